/**
 * The rules that watch a resident's day (DESIGN.md, "Alerts"), with their state on the durable
 * timers and their times from the believed event times and the injected clock:
 *
 * - `inactivity`: no motion, presence, door or bed activity in the home for `inactivityHours`
 *   of waking hours (site zone; a quiet night is sleep, not inactivity); cleared by the next
 *   activity. For the visiting system of elders living alone, and any resident at home.
 * - `vitals`: heart rate, breathing rate or SpO2 outside the resident's range for
 *   `vitalsSustainMinutes` without an in-range reading in between; a single outlier raises
 *   nothing.
 *
 * A resident away or in hospital is not watched (their timers are dropped at the next event).
 */
import { type AlertFact, type CareRules, type DeviceEvent, type DeviceEventOf, fact } from '@carecircle/protocol';
import { transitionAlert } from '../alerts/alert.changes';
import type { StoredTimer, UnitOfWork } from '../storage/ports';
import { inWindow, localTime, parseClock } from '../time/site-time';
import { type RuleContext, spoken } from './rule-context';

export const INACTIVITY_TIMER = 'rule.inactivity';
export const VITALS_TIMER = 'rule.vitals';
export const inactivityKey = (residentId: string) => `inactivity:${residentId}`;
export const vitalsKey = (residentId: string) => `vitals:${residentId}`;

const MINUTE = 60_000;

/** Activity in the home: someone moved, was there, used a door or the bed. */
function isActivity(event: DeviceEvent): boolean {
  switch (event.kind) {
    case 'motion':
      return event.data.motion;
    case 'presence':
      return event.data.present;
    case 'door':
    case 'bed':
      return true;
    default:
      return false;
  }
}

/** Waking minutes between `from` and `to` (ms), in the site's zone, to the minute. */
export function wakingMinutesBetween(tz: string, rules: CareRules, from: number, to: number): number {
  const start = parseClock(rules.wakingStart) ?? 0;
  const end = parseClock(rules.wakingEnd) ?? 0;
  let awake = 0;
  // At most a few days are ever asked for: one step per minute is cheap enough and exact
  // across a daylight-saving change.
  for (let t = from; t + MINUTE <= to; t += MINUTE) {
    if (inWindow(localTime(tz, t).minute, start, end)) awake++;
  }
  return awake;
}

export class DayRules {
  readonly stats = { inactivity: 0, vitals: 0 };

  async onEvent(tx: UnitOfWork, ctx: RuleContext, event: DeviceEvent, when: string): Promise<void> {
    if (isActivity(event)) await this.activity(tx, ctx, event, when);
    if (event.kind === 'vitals') await this.vitals(tx, ctx, event, when);
  }

  private async activity(tx: UnitOfWork, ctx: RuleContext, event: DeviceEvent, when: string): Promise<void> {
    const key = inactivityKey(ctx.residentId);
    const existing = await ctx.inputs.timer(tx, key);
    // Out of order: an older event than the one the deadline counts from changes nothing.
    if (existing && String(existing.payload.since) > when) return;
    const task = {
      key,
      kind: INACTIVITY_TIMER,
      siteId: ctx.site.id,
      dueAt: new Date(Date.parse(when) + ctx.rules.inactivityHours * 60 * MINUTE).toISOString(),
      payload: { residentId: ctx.residentId, deviceId: event.deviceId, since: when },
    };
    ctx.inputs.deferSchedule(task);
    // The next activity clears an inactivity alert. While a deadline is pending none is active:
    // the deadline raises it when it fires, and firing consumes it; only the next activity sets
    // a new one (and clears the alert). So only with no deadline is there an alert to look for.
    if (existing) return;
    const active = await tx.alerts.findActive(ctx.subject, 'inactivity');
    if (active) {
      await transitionAlert(tx, {
        alertId: active.id,
        from: active.state,
        to: 'resolved',
        at: ctx.at,
        actor: ctx.actor,
        eventId: event.eventId,
        outcome: 'other',
        note: `activity again at ${ctx.local(when)}`,
        facts: [fact('activity_again', { at: when })],
      });
    }
  }

  private async vitals(tx: UnitOfWork, ctx: RuleContext, event: DeviceEventOf<'vitals'>, when: string): Promise<void> {
    const r = ctx.rules;
    const { heartRate, breathingRate, spo2 } = event.data;
    const outside: string[] = [];
    const facts: AlertFact[] = [];
    if (heartRate !== undefined && (heartRate < r.heartRateMin || heartRate > r.heartRateMax)) {
      outside.push(`heart rate ${heartRate} (range ${r.heartRateMin}–${r.heartRateMax})`);
      facts.push(
        fact('vital_outside', { vital: 'heart_rate', value: heartRate, min: r.heartRateMin, max: r.heartRateMax }),
      );
    }
    if (breathingRate !== undefined && (breathingRate < r.breathingRateMin || breathingRate > r.breathingRateMax)) {
      outside.push(`breathing rate ${breathingRate} (range ${r.breathingRateMin}–${r.breathingRateMax})`);
      facts.push(
        fact('vital_outside', {
          vital: 'breathing_rate',
          value: breathingRate,
          min: r.breathingRateMin,
          max: r.breathingRateMax,
        }),
      );
    }
    if (spo2 !== undefined && spo2 < r.spo2Min) {
      outside.push(`SpO2 ${spo2} % (at least ${r.spo2Min} %)`);
      facts.push(fact('vital_outside', { vital: 'spo2', value: spo2, min: r.spo2Min }));
    }
    const key = vitalsKey(ctx.residentId);
    if (outside.length === 0) {
      await tx.timers.cancel(key); // back in range: the run of outliers is over
      return;
    }
    if (await tx.timers.get(key)) return; // already counting from the first
    await tx.timers.schedule({
      key,
      kind: VITALS_TIMER,
      siteId: ctx.site.id,
      dueAt: new Date(Date.parse(when) + r.vitalsSustainMinutes * MINUTE).toISOString(),
      payload: { residentId: ctx.residentId, deviceId: event.deviceId, since: when, what: outside, facts },
    });
  }

  /** A day rule's timer fell due. */
  async fire(tx: UnitOfWork, ctx: RuleContext, task: StoredTimer): Promise<void> {
    const since = String(task.payload.since);
    if (task.kind === INACTIVITY_TIMER) {
      const needed = ctx.rules.inactivityHours * 60;
      const awake = wakingMinutesBetween(ctx.site.tz, ctx.rules, Date.parse(since), ctx.now);
      if (awake < needed) {
        // Part of it was night: wait for the waking minutes still missing.
        await tx.timers.schedule({ ...task, dueAt: new Date(ctx.now + (needed - awake) * MINUTE).toISOString() });
        return;
      }
      if (await tx.alerts.findActive(ctx.subject, 'inactivity')) return;
      await ctx.raise('inactivity', 'high', String(task.payload.deviceId), `no activity since ${ctx.local(since)}`, [
        fact('no_activity', { at: since, minutes: needed }),
      ]);
      this.stats.inactivity++;
      return;
    }
    if (task.kind === VITALS_TIMER) {
      if (await tx.alerts.findActive(ctx.subject, 'vitals')) return;
      const what = (task.payload.what as string[]).join(', ');
      await ctx.raise(
        'vitals',
        'high',
        String(task.payload.deviceId),
        `${what} since ${ctx.local(since)}, for ${spoken(ctx.rules.vitalsSustainMinutes)}`,
        // A deadline scheduled before facts were kept has only the words.
        ((task.payload.facts as AlertFact[] | undefined) ?? []).map((f) => ({
          ...f,
          at: since,
          minutes: ctx.rules.vitalsSustainMinutes,
        })),
      );
      this.stats.vitals++;
    }
  }
}
