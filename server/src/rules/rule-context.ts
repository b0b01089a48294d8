/**
 * What every care rule reads of a resident before it decides, loaded once per event or timer:
 * the care profile, the site (its zone), the rules in force, and how to raise an alert.
 */
import {
  type Actor,
  type AlertFact,
  type AlertKind,
  type CareRules,
  type CareRulesPatch,
  effectiveRules,
  type Placement,
  type ResidentCare,
  type Severity,
  type Site,
} from '@carecircle/protocol';
import { raiseAlert } from '../alerts/alert.changes';
import { newId } from '../storage/ids';
import type { TimerTask, UnitOfWork } from '../storage/ports';
import { formatClock, localTime } from '../time/site-time';

export const RULES_ACTOR: Actor = { type: 'system', id: 'care-rules', name: 'care rules' };

/** A window as people read it: `10 min`, or `3 s` for a fraction of a minute (a drill). */
export function spoken(minutes: number): string {
  return minutes < 1 ? `${Math.round(minutes * 60)} s` : `${minutes} min`;
}

export interface RuleContext {
  residentId: string;
  /** What its alerts count against (`resident:<id>`). */
  subject: string;
  care: ResidentCare;
  site: Site;
  rules: CareRules;
  now: number;
  at: string;
  actor: Actor;
  /** What the engine's batch already read (and the timers it wrote). */
  inputs: RuleInputs;
  /** An instant as the site's wall clock, `HH:MM`. */
  local(iso: string): string;
  /** Raises an alert of the resident, attributed to the care rules, with what the rule saw. */
  raise(kind: AlertKind, severity: Severity, deviceId: string, note: string, facts: AlertFact[]): Promise<unknown>;
}

/**
 * What the rules read of residents, sites and devices, kept for one batch of the alert engine:
 * a batch of radar readings from one site reads the site and its settings once, and a resident
 * or device seen again in it is not read again. Settings a person changes meanwhile apply from
 * the next batch (a unit of work sees one state anyway).
 */
export class RuleInputs {
  private readonly cares = new Map<string, ResidentCare | null>();
  private readonly sites = new Map<string, { site: Site; rules: CareRulesPatch } | null>();
  private readonly placements = new Map<string, Placement | null>();
  /** Pending timers the batch read or wrote, by key (null: none). */
  private readonly timers = new Map<string, TimerTask | null>();

  /** What one read each found for the whole batch (`CareRuleSet.batchInputs`). */
  seed(found: {
    cares: ReadonlyMap<string, ResidentCare | null>;
    placements: ReadonlyMap<string, Placement | null>;
    timers: ReadonlyMap<string, TimerTask | null>;
  }): void {
    for (const [k, v] of found.cares) this.cares.set(k, v);
    for (const [k, v] of found.placements) this.placements.set(k, v);
    for (const [k, v] of found.timers) this.timers.set(k, v);
  }

  /** A pending timer as this batch last saw or left it. */
  async timer(tx: UnitOfWork, key: string): Promise<TimerTask | null> {
    if (!this.timers.has(key)) this.timers.set(key, await tx.timers.get(key));
    return this.timers.get(key) ?? null;
  }

  /** Deadlines moved by this batch, written together by `flush` before it commits. */
  private readonly deferred = new Map<string, TimerTask>();

  /** This batch removed the timer of `key` (a deadline it moved and not yet wrote goes too). */
  removedTimer(key: string): void {
    this.timers.set(key, null);
    this.deferred.delete(key);
  }

  /**
   * Moves a deadline that only this batch's later events read (an inactivity deadline, moved by
   * every presence): kept here and written once per key by `flush`, in the same unit of work.
   */
  deferSchedule(task: TimerTask): void {
    this.timers.set(task.key, task);
    this.deferred.set(task.key, task);
  }

  /** Writes the deadlines this batch moved; the engine calls it before the batch commits. */
  async flush(tx: UnitOfWork): Promise<void> {
    if (this.deferred.size === 0) return;
    await tx.timers.scheduleMany([...this.deferred.values()]);
    this.deferred.clear();
  }

  /**
   * An event's work was rolled back (its savepoint failed): what was read may be stale. The
   * deadlines earlier events moved stand (their work committed to the batch), and so does what
   * they say of their keys.
   */
  clear(): void {
    this.cares.clear();
    this.sites.clear();
    this.placements.clear();
    for (const key of this.timers.keys()) if (!this.deferred.has(key)) this.timers.delete(key);
  }

  async care(tx: UnitOfWork, residentId: string): Promise<ResidentCare | null> {
    if (!this.cares.has(residentId)) this.cares.set(residentId, await tx.residents.care(residentId));
    return this.cares.get(residentId) ?? null;
  }

  async site(tx: UnitOfWork, siteId: string): Promise<{ site: Site; rules: CareRulesPatch } | null> {
    if (!this.sites.has(siteId)) {
      const site = await tx.sites.get(siteId);
      this.sites.set(siteId, site ? { site, rules: (await tx.sites.rules(siteId)) ?? {} } : null);
    }
    return this.sites.get(siteId) ?? null;
  }

  async placement(tx: UnitOfWork, deviceId: string): Promise<Placement | null> {
    if (!this.placements.has(deviceId)) {
      this.placements.set(deviceId, (await tx.devices.get(deviceId))?.placement ?? null);
    }
    return this.placements.get(deviceId) ?? null;
  }
}

/** Null for a resident or site that is gone. `inputs`: what this batch already read. */
export async function ruleContext(
  tx: UnitOfWork,
  residentId: string,
  siteId: string,
  now: number,
  inputs: RuleInputs = new RuleInputs(),
): Promise<RuleContext | null> {
  const care = await inputs.care(tx, residentId);
  const found = await inputs.site(tx, siteId);
  if (!care || !found) return null;
  const { site } = found;
  const rules = effectiveRules(found.rules, care.rules);
  const at = new Date(now).toISOString();
  const subject = `resident:${residentId}`;
  return {
    residentId,
    subject,
    care,
    site,
    rules,
    now,
    at,
    actor: RULES_ACTOR,
    inputs,
    local: (iso) => formatClock(localTime(site.tz, Date.parse(iso)).minute),
    raise: (kind, severity, deviceId, note, facts) =>
      raiseAlert(
        tx,
        { id: newId('alt'), siteId, residentId, deviceId, subject, kind, severity, eventTs: at, at },
        RULES_ACTOR,
        null,
        note,
        facts,
      ),
  };
}
