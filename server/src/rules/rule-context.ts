/**
 * What every care rule reads of a resident before it decides, loaded once per event or timer:
 * the care profile, the site (its zone), the rules in force, and how to raise an alert.
 */
import {
  type Actor,
  type AlertFact,
  type AlertKind,
  type CareRules,
  effectiveRules,
  type ResidentCare,
  type Severity,
  type Site,
} from '@carecircle/protocol';
import { raiseAlert } from '../alerts/alert.changes';
import { newId } from '../storage/ids';
import type { UnitOfWork } from '../storage/ports';
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
  /** An instant as the site's wall clock, `HH:MM`. */
  local(iso: string): string;
  /** Raises an alert of the resident, attributed to the care rules, with what the rule saw. */
  raise(kind: AlertKind, severity: Severity, deviceId: string, note: string, facts: AlertFact[]): Promise<unknown>;
}

/** Null for a resident or site that is gone. */
export async function ruleContext(
  tx: UnitOfWork,
  residentId: string,
  siteId: string,
  now: number,
): Promise<RuleContext | null> {
  const care = await tx.residents.care(residentId);
  const site = await tx.sites.get(siteId);
  if (!care || !site) return null;
  const rules = effectiveRules((await tx.sites.rules(siteId)) ?? {}, care.rules);
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
