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
import { RuleInputs, ruleContext } from './rule-context';

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

  /**
   * An event of a resident a rule reads, at its believed time `when`. `inputs`: what the engine's
   * batch already read (one per batch, from `batchInputs`).
   */
  async onEvent(tx: UnitOfWork, event: DeviceEvent, when: string, inputs = new RuleInputs()): Promise<void> {
    if (!event.residentId || !CARE_RULE_KINDS.has(event.kind)) return;
    const ctx = await ruleContext(tx, event.residentId, event.siteId, this.deps.clock.now(), inputs);
    if (!ctx) return;
    if (ctx.care.presence !== 'home') {
      // Away or in hospital: nothing is watched, and what was pending is dropped.
      for (const key of [wanderingKey, bedExitKey, inactivityKey, vitalsKey]) {
        await tx.timers.cancel(key(ctx.residentId));
        inputs.removedTimer(key(ctx.residentId));
      }
      return;
    }
    const placement = await inputs.placement(tx, event.deviceId);
    await this.night.onEvent(tx, ctx, event, when, placement);
    await this.day.onEvent(tx, ctx, event, when);
  }

  /**
   * What one batch of the engine reads once for all its events: the care profiles of its
   * residents, its devices' placements and its residents' inactivity deadlines, one read each
   * (a radar's batch is mostly presence, each of which moves that deadline).
   */
  async batchInputs(tx: UnitOfWork, events: readonly DeviceEvent[]): Promise<RuleInputs> {
    const inputs = new RuleInputs();
    const ruled = events.filter((e) => e.residentId && CARE_RULE_KINDS.has(e.kind));
    if (ruled.length === 0) return inputs;
    const residents = [...new Set(ruled.map((e) => e.residentId as string))];
    const devices = [...new Set(ruled.map((e) => e.deviceId))];
    const keys = residents.map(inactivityKey);
    const [cares, placements, timers] = await Promise.all([
      tx.residents.cares(residents),
      tx.devices.placements(devices),
      tx.timers.getMany(keys),
    ]);
    inputs.seed({
      cares: new Map(residents.map((id) => [id, cares.get(id) ?? null])),
      placements: new Map(devices.map((id) => [id, placements.get(id) ?? null])),
      timers: new Map(keys.map((key) => [key, timers.get(key) ?? null])),
    });
    return inputs;
  }

  async fire(tx: UnitOfWork, task: StoredTimer): Promise<void> {
    const ctx = await ruleContext(tx, String(task.payload.residentId), task.siteId, this.deps.clock.now());
    if (ctx?.care.presence !== 'home') return;
    if (task.kind === WANDERING_TIMER || task.kind === BED_EXIT_TIMER) await this.night.fire(tx, ctx, task);
    else await this.day.fire(tx, ctx, task);
  }
}
