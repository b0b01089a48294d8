/**
 * One lifecycle transition, as people (alert.service) and devices (a resident's cancel in
 * alert.engine) make it: a compare-and-set on the state, an entry on the alert's timeline and
 * one in the audit log, in the caller's transaction.
 */
import type { Actor, AlertState, Outcome } from '@carecircle/protocol';
import type { StateStore } from '../storage/state-store';

export interface Transition {
  alertId: string;
  from: AlertState;
  to: AlertState;
  at: string;
  actor: Actor;
  eventId?: string | null;
  outcome?: Outcome | null;
  note?: string | null;
}

/** False when the alert was no longer in `from`: someone else moved it first. */
export function recordTransition(store: StateStore, t: Transition): boolean {
  const moved = store.alerts.transition(t.alertId, t.from, t.to, t.at, {
    ...(t.to === 'acknowledged' ? { acknowledgedBy: t.actor } : {}),
    ...(t.outcome ? { outcome: t.outcome } : {}),
    note: t.to === 'resolved' ? (t.note ?? null) : null,
  });
  if (!moved) return false;
  store.alerts.addTimeline({
    alertId: t.alertId,
    at: t.at,
    action: 'transition',
    fromState: t.from,
    toState: t.to,
    actor: t.actor,
    eventId: t.eventId ?? null,
    outcome: t.outcome ?? null,
    note: t.note ?? null,
  });
  store.audit.record(t.at, t.actor, `alert.${t.to}`, t.alertId, t.outcome ? { outcome: t.outcome } : undefined);
  return true;
}
