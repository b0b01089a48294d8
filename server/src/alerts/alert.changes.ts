/**
 * The one path by which an alert changes, for people (alert.service) and the system
 * (alert.engine) alike: the change to the alert, its entry on the durable alert stream (which
 * is also its timeline), and for lifecycle transitions the audit record — all in the caller's
 * unit of work, so the change and its announcement commit together or not at all. Whatever
 * must follow (live push, later escalation, dispatch, notifications) consumes the stream.
 */
import type { Actor, Alert, AlertFact, AlertState, Outcome, Page } from '@carecircle/protocol';
import type { AlertStreamAppend, NewAlert, UnitOfWork } from '../storage/ports';

async function announce(
  tx: UnitOfWork,
  alertId: string,
  entry: Omit<AlertStreamAppend, 'alert' | 'alertId' | 'siteId' | 'residentId'>,
): Promise<Alert> {
  const alert = await tx.alerts.get(alertId);
  if (!alert) throw new Error(`alert ${alertId} vanished inside its own unit of work`);
  await tx.alertStream.append({ ...entry, alertId, siteId: alert.siteId, residentId: alert.residentId, alert });
  return alert;
}

/** `note`: what the rule saw, for the timeline (a wandering incident's facts). */
export async function raiseAlert(
  tx: UnitOfWork,
  a: NewAlert,
  actor: Actor,
  eventId: string | null,
  note?: string,
  facts?: AlertFact[],
): Promise<Alert> {
  await tx.alerts.insert(a);
  return announce(tx, a.id, {
    at: a.at,
    action: 'raised',
    fromState: null,
    toState: 'open',
    actor,
    eventId,
    ...(note ? { note } : {}),
    ...(facts?.length ? { facts } : {}),
  });
}

/** The same condition again while the alert is active: a count, not a new alert. */
export async function repeatAlert(
  tx: UnitOfWork,
  active: Alert,
  event: { ts: string; eventId: string },
  at: string,
  actor: Actor,
): Promise<Alert> {
  await tx.alerts.bump(active.id, event.ts, at);
  return announce(tx, active.id, {
    at,
    action: 'repeated',
    fromState: active.state,
    toState: active.state,
    actor,
    eventId: event.eventId,
  });
}

/**
 * The escalation ladder paged a ring of people about an alert that nobody has claimed: the
 * alert records the ring reached, the stream (its timeline) whom it paged, and the live push
 * tells exactly those people.
 */
export async function pageAlert(tx: UnitOfWork, active: Alert, page: Page, at: string, actor: Actor): Promise<Alert> {
  await tx.alerts.markPaged(active.id, page.ring, at);
  return announce(tx, active.id, {
    at,
    action: 'paged',
    fromState: active.state,
    toState: active.state,
    actor,
    eventId: null,
    page,
  });
}

/** Something worth keeping on the timeline that changes nothing (a cancel that came too late). */
export async function noteOnAlert(
  tx: UnitOfWork,
  active: Alert,
  note: { action: 'cancel_declined'; at: string; actor: Actor; eventId: string | null; text: string },
): Promise<Alert> {
  return announce(tx, active.id, {
    at: note.at,
    action: note.action,
    fromState: active.state,
    toState: active.state,
    actor: note.actor,
    eventId: note.eventId,
    note: note.text,
  });
}

export interface Transition {
  alertId: string;
  from: AlertState;
  to: AlertState;
  at: string;
  actor: Actor;
  eventId?: string | null;
  outcome?: Outcome | null;
  note?: string | null;
  /** What a care rule saw, when a rule closes it. */
  facts?: AlertFact[] | null;
}

/** A compare-and-set on the state; null when the alert was no longer in `from` (someone else moved it first). */
export async function transitionAlert(tx: UnitOfWork, t: Transition): Promise<Alert | null> {
  const moved = await tx.alerts.transition(t.alertId, t.from, t.to, t.at, {
    ...(t.to === 'acknowledged' ? { acknowledgedBy: t.actor } : {}),
    ...(t.outcome ? { outcome: t.outcome } : {}),
    note: t.to === 'resolved' ? (t.note ?? null) : null,
  });
  if (!moved) return null;
  const alert = await announce(tx, t.alertId, {
    at: t.at,
    action: 'transition',
    fromState: t.from,
    toState: t.to,
    actor: t.actor,
    eventId: t.eventId ?? null,
    outcome: t.outcome ?? null,
    note: t.note ?? null,
    facts: t.facts ?? null,
  });
  await tx.audit.record(t.at, t.actor, `alert.${t.to}`, t.alertId, t.outcome ? { outcome: t.outcome } : undefined);
  return alert;
}

/** A technical alert the device closed itself (back online, battery replaced): resolved, `device_recovered`. */
export function recoverAlert(
  tx: UnitOfWork,
  active: Alert,
  r: { at: string; actor: Actor; note: string; eventId?: string | null },
): Promise<Alert | null> {
  return transitionAlert(tx, {
    alertId: active.id,
    from: active.state,
    to: 'resolved',
    at: r.at,
    actor: r.actor,
    eventId: r.eventId ?? null,
    outcome: 'device_recovered',
    note: r.note,
  });
}

/**
 * A device of a resident went online or offline: the resident's board status may change. It
 * rides on the stream so the board hears of it the same durable way (and becomes a
 * `device_offline` alert with the supervision rules).
 */
export async function announceDeviceStatus(
  tx: UnitOfWork,
  s: { siteId: string; residentId: string; deviceId: string; online: boolean; at: string; eventId: string },
): Promise<void> {
  await tx.alertStream.append({
    siteId: s.siteId,
    residentId: s.residentId,
    alertId: null,
    at: s.at,
    action: 'device_status',
    fromState: null,
    toState: null,
    actor: { type: 'device', id: s.deviceId, name: s.deviceId },
    eventId: s.eventId,
    note: s.online ? 'online' : 'offline',
    alert: null,
  });
}
