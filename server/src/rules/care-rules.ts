/**
 * The stateful care rules together (DESIGN.md, "Alerts"): the alert engine hands them the
 * events they read, in its unit of work; the timer runner hands them their due timers. Each rule
 * is its own module with its state on the durable timers; this one loads what they all read
 * (`RuleContext`) and keeps residents who are away or in hospital out of all of them.
 */
import type { Clock, DeviceEvent } from '@carecircle/protocol';
import type { TimerHandler } from '../scheduler/timer-runner';
import type { StoredTimer, UnitOfWork } from '../storage/ports';
import { DayRules, INACTIVITY_TIMER, inactivityKey, VITALS_TIMER, vitalsKey } from './day-rules';
import { BED_EXIT_TIMER, bedExitKey, NightRules, WANDERING_TIMER, wanderingKey } from './night-rules';
import { ruleContext } from './rule-context';

/** Event kinds the care rules read. */
export const CARE_RULE_KINDS: ReadonlySet<DeviceEvent['kind']> = new Set([
  'door',
  'presence',
  'motion',
  'bed',
  'vitals',
]);
/** Their timers' kinds, for the timer runner. */
export const CARE_RULE_TIMERS = [WANDERING_TIMER, BED_EXIT_TIMER, INACTIVITY_TIMER, VITALS_TIMER] as const;

export class CareRuleSet implements TimerHandler {
  readonly night = new NightRules();
  readonly day = new DayRules();

  constructor(private readonly deps: { clock: Clock }) {}

  /** An event of a resident a rule reads, at its believed time `when`. */
  async onEvent(tx: UnitOfWork, event: DeviceEvent, when: string): Promise<void> {
    if (!event.residentId || !CARE_RULE_KINDS.has(event.kind)) return;
    const ctx = await ruleContext(tx, event.residentId, event.siteId, this.deps.clock.now());
    if (!ctx) return;
    if (ctx.care.presence !== 'home') {
      // Away or in hospital: nothing is watched, and what was pending is dropped.
      for (const key of [wanderingKey, bedExitKey, inactivityKey, vitalsKey])
        await tx.timers.cancel(key(ctx.residentId));
      return;
    }
    const placement = (await tx.devices.get(event.deviceId))?.placement ?? null;
    await this.night.onEvent(tx, ctx, event, when, placement);
    await this.day.onEvent(tx, ctx, event, when);
  }

  async fire(tx: UnitOfWork, task: StoredTimer): Promise<void> {
    const ctx = await ruleContext(tx, String(task.payload.residentId), task.siteId, this.deps.clock.now());
    if (ctx?.care.presence !== 'home') return;
    if (task.kind === WANDERING_TIMER || task.kind === BED_EXIT_TIMER) await this.night.fire(tx, ctx, task);
    else await this.day.fire(tx, ctx, task);
  }
}
