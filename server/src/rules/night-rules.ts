/**
 * The night rules (DESIGN.md, "Alerts"), each with its state in the store and its deadline on
 * the durable timers, driven by the believed event times and the injected clock:
 *
 * - `bed_exit`: out of bed during the night hours and not back within `bedExitMinutes`.
 * - `wandering`, for residents at risk (dementia, 失智): an exit door opens during the night
 *   hours and nobody is seen back inside (presence or motion from any device placed inside the
 *   home) within `wanderingReturnMinutes`. Bed empty, then the door, then no return is **one**
 *   incident: one alert whose timeline holds the facts, and no `bed_exit` besides.
 *
 * Night hours, windows and flags come from the resident's care profile over the site's settings
 * over the defaults (`effectiveRules`); a resident away or in hospital is not watched. Events
 * come from the alert engine's unit of work; the timers fire in their own (`TimerRunner`).
 */
import {
  type Actor,
  type CareRules,
  type Clock,
  type DeviceEvent,
  effectiveRules,
  type ResidentCare,
  type Site,
} from '@carecircle/protocol';
import { raiseAlert } from '../alerts/alert.changes';
import type { TimerHandler } from '../scheduler/timer-runner';
import { newId } from '../storage/ids';
import type { StoredTimer, UnitOfWork } from '../storage/ports';
import { formatClock, inWindow, localTime, parseClock } from '../time/site-time';

export const WANDERING_TIMER = 'rule.wandering';
export const BED_EXIT_TIMER = 'rule.bed_exit';
export const wanderingKey = (residentId: string) => `wandering:${residentId}`;
export const bedExitKey = (residentId: string) => `bed_exit:${residentId}`;

/** Event kinds these rules read. */
export const NIGHT_RULE_KINDS: ReadonlySet<DeviceEvent['kind']> = new Set(['door', 'presence', 'motion', 'bed']);

const ACTOR: Actor = { type: 'system', id: 'care-rules', name: 'care rules' };
const MINUTE = 60_000;

interface Fact {
  at: string;
  what: 'bed_empty' | 'exit_door_opened';
}

interface Resident {
  id: string;
  care: ResidentCare;
  site: Site;
  rules: CareRules;
}

function isNight(site: Site, ms: number, rules: CareRules): boolean {
  const start = parseClock(rules.nightStart) ?? 0;
  const end = parseClock(rules.nightEnd) ?? 0;
  return inWindow(localTime(site.tz, ms).minute, start, end);
}

export class NightRules implements TimerHandler {
  readonly stats = { wandering: 0, bedExit: 0 };

  constructor(private readonly deps: { clock: Clock }) {}

  private async resident(tx: UnitOfWork, residentId: string, siteId: string): Promise<Resident | null> {
    const [care, site, siteRules] = [
      await tx.residents.care(residentId),
      await tx.sites.get(siteId),
      await tx.sites.rules(siteId),
    ];
    if (!care || !site) return null;
    return { id: residentId, care, site, rules: effectiveRules(siteRules ?? {}, care.rules) };
  }

  /** A door, presence, motion or bed event of a resident, at its believed time `when`. */
  async onEvent(tx: UnitOfWork, event: DeviceEvent, when: string): Promise<void> {
    if (!event.residentId || !NIGHT_RULE_KINDS.has(event.kind)) return;
    const r = await this.resident(tx, event.residentId, event.siteId);
    if (!r || r.care.presence !== 'home') return;
    const ms = Date.parse(when);
    const placement = (await tx.devices.get(event.deviceId))?.placement ?? null;
    switch (event.kind) {
      case 'bed':
        if (event.data.occupied) await tx.timers.cancel(bedExitKey(r.id));
        else if (isNight(r.site, ms, r.rules) && !(await tx.timers.get(bedExitKey(r.id)))) {
          await tx.timers.schedule({
            key: bedExitKey(r.id),
            kind: BED_EXIT_TIMER,
            siteId: r.site.id,
            dueAt: new Date(ms + r.rules.bedExitMinutes * MINUTE).toISOString(),
            payload: { residentId: r.id, deviceId: event.deviceId, since: when },
          });
        }
        return;
      case 'door': {
        if (placement !== 'exit_door' || !event.data.open || !r.care.wanderingRisk) return;
        if (!isNight(r.site, ms, r.rules) || (await tx.timers.get(wanderingKey(r.id)))) return;
        const bedEmpty = await tx.timers.get(bedExitKey(r.id));
        const facts: Fact[] = [
          ...(bedEmpty ? [{ at: String(bedEmpty.payload.since), what: 'bed_empty' as const }] : []),
          { at: when, what: 'exit_door_opened' },
        ];
        await tx.timers.schedule({
          key: wanderingKey(r.id),
          kind: WANDERING_TIMER,
          siteId: r.site.id,
          dueAt: new Date(ms + r.rules.wanderingReturnMinutes * MINUTE).toISOString(),
          payload: { residentId: r.id, deviceId: event.deviceId, facts },
        });
        return;
      }
      case 'presence':
      case 'motion': {
        const seen = event.kind === 'presence' ? event.data.present : event.data.motion;
        // Someone inside the home: back (a sensor at the door itself says nothing of inside).
        if (seen && placement !== null && placement !== 'exit_door') await tx.timers.cancel(wanderingKey(r.id));
        return;
      }
      default:
        return;
    }
  }

  async fire(tx: UnitOfWork, task: StoredTimer): Promise<void> {
    const residentId = String(task.payload.residentId);
    const subject = `resident:${residentId}`;
    const r = await this.resident(tx, residentId, task.siteId);
    if (!r || r.care.presence !== 'home') return;
    const now = this.deps.clock.now();
    const at = new Date(now).toISOString();
    const local = (iso: string) => formatClock(localTime(r.site.tz, Date.parse(iso)).minute);
    const raise = (kind: 'wandering' | 'bed_exit', severity: 'critical' | 'high', note: string) =>
      raiseAlert(
        tx,
        {
          id: newId('alt'),
          siteId: r.site.id,
          residentId,
          deviceId: String(task.payload.deviceId),
          subject,
          kind,
          severity,
          eventTs: at,
          at,
        },
        ACTOR,
        null,
        note,
      );
    if (task.kind === WANDERING_TIMER) {
      if (await tx.alerts.findActive(subject, 'wandering')) return;
      const facts = (task.payload.facts as Fact[]) ?? [];
      const said = facts.map((f) => `${local(f.at)} ${f.what === 'bed_empty' ? 'bed empty' : 'exit door opened'}`);
      said.push(`not back inside within ${r.rules.wanderingReturnMinutes} min`);
      await raise('wandering', 'critical', said.join(' · '));
      // One incident: the bed left empty is part of it, not an alert of its own.
      await tx.timers.cancel(bedExitKey(residentId));
      this.stats.wandering++;
      return;
    }
    if (task.kind === BED_EXIT_TIMER) {
      if (await tx.alerts.findActive(subject, 'wandering')) return;
      if (await tx.alerts.findActive(subject, 'bed_exit')) return;
      const since = String(task.payload.since);
      await raise(
        'bed_exit',
        'high',
        `out of bed since ${local(since)}, not back within ${r.rules.bedExitMinutes} min`,
      );
      this.stats.bedExit++;
    }
  }
}
