/**
 * The night rules (DESIGN.md, "Alerts"), each with its state on the durable timers:
 *
 * - `bed_exit`: out of bed during the night hours and not back within `bedExitMinutes`.
 * - `wandering`, for residents at risk (dementia, 失智): an exit door opens during the night
 *   hours and nobody is seen back inside (presence or motion from any device placed inside the
 *   home) within `wanderingReturnMinutes`. Bed empty, then the door, then no return is **one**
 *   incident: one alert whose timeline holds the facts, and no `bed_exit` besides.
 */
import { type CareRules, type DeviceEvent, fact, type Placement, type Site } from '@carecircle/protocol';
import type { StoredTimer, UnitOfWork } from '../storage/ports';
import { inWindow, localTime, parseClock } from '../time/site-time';
import { type RuleContext, spoken } from './rule-context';

export const WANDERING_TIMER = 'rule.wandering';
export const BED_EXIT_TIMER = 'rule.bed_exit';
export const wanderingKey = (residentId: string) => `wandering:${residentId}`;
export const bedExitKey = (residentId: string) => `bed_exit:${residentId}`;

const MINUTE = 60_000;

interface Fact {
  at: string;
  what: 'bed_empty' | 'exit_door_opened';
}

function isNight(site: Site, ms: number, rules: CareRules): boolean {
  const start = parseClock(rules.nightStart) ?? 0;
  const end = parseClock(rules.nightEnd) ?? 0;
  return inWindow(localTime(site.tz, ms).minute, start, end);
}

export class NightRules {
  readonly stats = { wandering: 0, bedExit: 0 };

  async onEvent(
    tx: UnitOfWork,
    ctx: RuleContext,
    event: DeviceEvent,
    when: string,
    placement: Placement | null,
  ): Promise<void> {
    const ms = Date.parse(when);
    const r = ctx.residentId;
    switch (event.kind) {
      case 'bed':
        if (event.data.occupied) await tx.timers.cancel(bedExitKey(r));
        else if (isNight(ctx.site, ms, ctx.rules) && !(await tx.timers.get(bedExitKey(r)))) {
          await tx.timers.schedule({
            key: bedExitKey(r),
            kind: BED_EXIT_TIMER,
            siteId: ctx.site.id,
            dueAt: new Date(ms + ctx.rules.bedExitMinutes * MINUTE).toISOString(),
            payload: { residentId: r, deviceId: event.deviceId, since: when },
          });
        }
        return;
      case 'door': {
        if (placement !== 'exit_door' || !event.data.open || !ctx.care.wanderingRisk) return;
        if (!isNight(ctx.site, ms, ctx.rules) || (await tx.timers.get(wanderingKey(r)))) return;
        const bedEmpty = await tx.timers.get(bedExitKey(r));
        const facts: Fact[] = [
          ...(bedEmpty ? [{ at: String(bedEmpty.payload.since), what: 'bed_empty' as const }] : []),
          { at: when, what: 'exit_door_opened' },
        ];
        await tx.timers.schedule({
          key: wanderingKey(r),
          kind: WANDERING_TIMER,
          siteId: ctx.site.id,
          dueAt: new Date(ms + ctx.rules.wanderingReturnMinutes * MINUTE).toISOString(),
          payload: { residentId: r, deviceId: event.deviceId, facts },
        });
        return;
      }
      case 'presence':
      case 'motion': {
        const seen = event.kind === 'presence' ? event.data.present : event.data.motion;
        // Someone inside the home: back (a sensor at the door itself says nothing of inside).
        // Only a resident at risk has a wandering deadline (see `fire` for a flag lifted meanwhile).
        if (seen && ctx.care.wanderingRisk && placement !== null && placement !== 'exit_door')
          await tx.timers.cancel(wanderingKey(r));
        return;
      }
      default:
        return;
    }
  }

  async fire(tx: UnitOfWork, ctx: RuleContext, task: StoredTimer): Promise<void> {
    const deviceId = String(task.payload.deviceId);
    if (task.kind === WANDERING_TIMER) {
      // No longer at risk: the deadline set while they were is dropped, not raised.
      if (!ctx.care.wanderingRisk) return;
      if (await tx.alerts.findActive(ctx.subject, 'wandering')) return;
      const facts = (task.payload.facts as Fact[]) ?? [];
      const said = facts.map((f) => `${ctx.local(f.at)} ${f.what === 'bed_empty' ? 'bed empty' : 'exit door opened'}`);
      said.push(`not back inside within ${spoken(ctx.rules.wanderingReturnMinutes)}`);
      await ctx.raise('wandering', 'critical', deviceId, said.join(' · '), [
        ...facts.map((f) => fact(f.what, { at: f.at })),
        fact('not_back_inside', { minutes: ctx.rules.wanderingReturnMinutes }),
      ]);
      // One incident: the bed left empty is part of it, not an alert of its own.
      await tx.timers.cancel(bedExitKey(ctx.residentId));
      this.stats.wandering++;
      return;
    }
    if (task.kind === BED_EXIT_TIMER) {
      if (await tx.alerts.findActive(ctx.subject, 'wandering')) return;
      if (await tx.alerts.findActive(ctx.subject, 'bed_exit')) return;
      const since = String(task.payload.since);
      const note = `out of bed since ${ctx.local(since)}, not back within ${spoken(ctx.rules.bedExitMinutes)}`;
      await ctx.raise('bed_exit', 'high', deviceId, note, [
        fact('bed_empty', { at: since }),
        fact('not_back_in_bed', { minutes: ctx.rules.bedExitMinutes }),
      ]);
      this.stats.bedExit++;
    }
  }
}
