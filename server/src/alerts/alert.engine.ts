/**
 * The alert engine: a journal consumer that turns events into alerts in real time. It never
 * waits on the time-series store. Each batch is applied in one transaction together with the
 * consumer's offset, so a crash at any point neither loses nor double-counts an event.
 */
import type { Actor, Alert, Clock, DeviceEvent, Journal, JournalEntry } from '@carecircle/protocol';
import type { Logger } from 'pino';
import { newId } from '../storage/ids';
import type { StateStore } from '../storage/state-store';
import type { AlertBus } from './alert.bus';
import { evaluate } from './alert.rules';

export const ALERT_ENGINE_CONSUMER = 'alert-engine';

/** SQLite result codes that say the database, not the event, is the problem: retry later. */
const TRANSIENT_SQLITE = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_NOMEM',
  'SQLITE_CANTOPEN',
];

export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_SQLITE.some((c) => code === c || code.startsWith(`${c}_`));
}

export interface AlertEngineDeps {
  store: StateStore;
  journal: Journal;
  clock: Clock;
  bus: AlertBus;
  logger: Logger;
}

type Notice = { type: 'raised' | 'updated'; alertId: string } | { type: 'resident'; residentId: string };

export class AlertEngine {
  readonly stats = { processed: 0, raised: 0, repeated: 0, failed: 0 };

  constructor(private readonly deps: AlertEngineDeps) {}

  /** Applies a batch atomically with the offset commit, then tells listeners. */
  handle(entries: readonly JournalEntry[]): void {
    const last = entries.at(-1);
    if (!last) return;
    const notices: Notice[] = [];
    this.deps.store.transaction(() => {
      for (const entry of entries) this.applyOne(entry, notices);
      this.deps.journal.commit(ALERT_ENGINE_CONSUMER, last.offset);
    });
    this.publish(notices);
  }

  private applyOne(entry: JournalEntry, notices: Notice[]): void {
    try {
      // A savepoint per event: one that fails for a reason of its own (a record it refers to is
      // gone) is logged, audited and skipped, not allowed to block every alert behind it. A
      // failure of the database itself fails the batch, which the consumer retries: skipping
      // then would lose an SOS that is safe in the journal.
      const own: Notice[] = [];
      this.deps.store.transaction(() => this.apply(entry.event, own));
      // Only an event whose changes committed may announce them.
      notices.push(...own);
      this.stats.processed += 1;
    } catch (err) {
      if (isTransient(err)) throw err;
      this.stats.failed += 1;
      this.deps.logger.error(
        { err, offset: entry.offset, eventId: entry.event.eventId },
        'alert engine failed on event',
      );
      this.deps.store.audit.record(
        new Date(this.deps.clock.now()).toISOString(),
        { type: 'system', id: ALERT_ENGINE_CONSUMER, name: 'alert engine' },
        'alert_engine.event_skipped',
        entry.event.eventId,
        { offset: entry.offset, deviceId: entry.event.deviceId, kind: entry.event.kind },
      );
    }
  }

  private apply(event: DeviceEvent, notices: Notice[]): void {
    const { store } = this.deps;
    const at = new Date(this.deps.clock.now()).toISOString();
    this.trackDevice(event, notices);
    const intent = evaluate(event);
    if (!intent) return;
    const device: Actor = { type: 'device', id: event.deviceId, name: event.deviceId };
    const active = store.alerts.findActive(intent.subject, intent.kind);
    if (intent.action === 'cancel') {
      if (active) this.cancel(active, event, intent.windowMs, device, at, notices);
      return;
    }
    if (active) {
      store.alerts.bump(active.id, event.ts, at);
      store.alerts.addTimeline({
        alertId: active.id,
        at,
        action: 'repeated',
        fromState: active.state,
        toState: active.state,
        actor: device,
        eventId: event.eventId,
        outcome: null,
        note: null,
      });
      this.stats.repeated += 1;
      notices.push({ type: 'updated', alertId: active.id });
      return;
    }
    const id = newId('alt');
    store.alerts.insert({
      id,
      siteId: event.siteId,
      residentId: event.residentId ?? null,
      deviceId: event.deviceId,
      subject: intent.subject,
      kind: intent.kind,
      severity: intent.severity,
      eventTs: event.ts,
      at,
    });
    store.alerts.addTimeline({
      alertId: id,
      at,
      action: 'raised',
      fromState: null,
      toState: 'open',
      actor: device,
      eventId: event.eventId,
      outcome: null,
      note: null,
    });
    this.stats.raised += 1;
    notices.push({ type: 'raised', alertId: id });
    if (event.residentId) notices.push({ type: 'resident', residentId: event.residentId });
  }

  /**
   * The resident cancels from the device: honoured while the alert is still open and the cancel
   * came within the window of the first event (device time against device time); otherwise it
   * is put on the timeline for whoever handles the alert.
   */
  private cancel(
    active: Alert,
    event: DeviceEvent,
    windowMs: number,
    device: Actor,
    at: string,
    notices: Notice[],
  ): void {
    const { store } = this.deps;
    const elapsed = Date.parse(event.ts) - Date.parse(active.firstEventTs);
    const inTime = elapsed >= 0 && elapsed <= windowMs;
    if (active.state === 'open' && inTime) {
      if (
        !store.alerts.transition(active.id, 'open', 'cancelled', at, { outcome: 'cancelled_by_resident', note: null })
      ) {
        return;
      }
      store.alerts.addTimeline({
        alertId: active.id,
        at,
        action: 'transition',
        fromState: 'open',
        toState: 'cancelled',
        actor: device,
        eventId: event.eventId,
        outcome: 'cancelled_by_resident',
        note: null,
      });
      store.audit.record(at, device, 'alert.cancelled', active.id, { outcome: 'cancelled_by_resident' });
      notices.push({ type: 'updated', alertId: active.id });
      if (active.residentId) notices.push({ type: 'resident', residentId: active.residentId });
      return;
    }
    store.alerts.addTimeline({
      alertId: active.id,
      at,
      action: 'cancel_declined',
      fromState: active.state,
      toState: active.state,
      actor: device,
      eventId: event.eventId,
      outcome: null,
      note: active.state !== 'open' ? 'already claimed' : `${Math.round(elapsed / 1000)} s after the fall`,
    });
    notices.push({ type: 'updated', alertId: active.id });
  }

  private trackDevice(event: DeviceEvent, notices: Notice[]): void {
    const patch =
      event.kind === 'status'
        ? { online: event.data.online }
        : event.kind === 'battery'
          ? { online: true, battery: event.data.percent }
          : { online: true };
    const before = this.deps.store.devices.get(event.deviceId);
    this.deps.store.devices.touch(event.deviceId, event.ts, patch);
    if (before && before.online !== patch.online && event.residentId) {
      notices.push({ type: 'resident', residentId: event.residentId });
    }
  }

  private publish(notices: readonly Notice[]): void {
    const { store, bus } = this.deps;
    const residents = new Set<string>();
    for (const n of notices) {
      if (n.type === 'resident') {
        residents.add(n.residentId);
        continue;
      }
      const alert: Alert | null = store.alerts.get(n.alertId);
      if (!alert) continue;
      bus.emit(n.type === 'raised' ? 'alert:raised' : 'alert:updated', alert);
    }
    for (const residentId of residents) {
      const [status] = store.residents.board({ residentIds: [residentId] });
      if (status) {
        bus.emit('resident:status', {
          residentId,
          siteId: status.siteId,
          status: status.status,
          activeAlerts: status.activeAlerts,
        });
      }
    }
  }
}
