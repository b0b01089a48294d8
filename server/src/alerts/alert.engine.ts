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
import { recordTransition } from './alert.transition';

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

/**
 * What one batch changed, told to listeners once it has committed: each alert once (as raised
 * if it was new, with its state at the end of the batch), each resident's board status once.
 */
class BatchOutcome {
  readonly alerts = new Map<string, 'raised' | 'updated'>();
  readonly residents = new Set<string>();
  processed = 0;
  raised = 0;
  repeated = 0;
  failed = 0;

  alert(alertId: string, how: 'raised' | 'updated'): void {
    if (this.alerts.get(alertId) !== 'raised') this.alerts.set(alertId, how);
  }

  /** Takes in what an event that committed changed. */
  merge(other: BatchOutcome): void {
    for (const [id, how] of other.alerts) this.alert(id, how);
    for (const r of other.residents) this.residents.add(r);
    this.processed += other.processed;
    this.raised += other.raised;
    this.repeated += other.repeated;
  }
}

export class AlertEngine {
  /** Counted only for batches that committed, so a retried batch is not counted twice. */
  readonly stats = { processed: 0, raised: 0, repeated: 0, failed: 0 };

  constructor(private readonly deps: AlertEngineDeps) {}

  /** Applies a batch atomically with the offset commit, then tells listeners. */
  handle(entries: readonly JournalEntry[]): void {
    const last = entries.at(-1);
    if (!last) return;
    const batch = new BatchOutcome();
    this.deps.store.transaction(() => {
      for (const entry of entries) this.applyOne(entry, batch);
      this.deps.journal.commit(ALERT_ENGINE_CONSUMER, last.offset);
    });
    this.stats.processed += batch.processed;
    this.stats.raised += batch.raised;
    this.stats.repeated += batch.repeated;
    this.stats.failed += batch.failed;
    this.publish(batch);
  }

  private applyOne(entry: JournalEntry, batch: BatchOutcome): void {
    try {
      // A savepoint per event: one that fails for a reason of its own (a record it refers to is
      // gone) is logged, audited and skipped, not allowed to block every alert behind it. A
      // failure of the database itself fails the batch, which the consumer retries: skipping
      // then would lose an SOS that is safe in the journal.
      const own = new BatchOutcome();
      this.deps.store.transaction(() => this.apply(entry.event, own));
      // Only an event whose changes committed may announce them.
      own.processed = 1;
      batch.merge(own);
    } catch (err) {
      if (isTransient(err)) throw err;
      batch.failed += 1;
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

  private apply(event: DeviceEvent, out: BatchOutcome): void {
    const { store } = this.deps;
    const at = new Date(this.deps.clock.now()).toISOString();
    this.trackDevice(event, out);
    const intent = evaluate(event);
    if (!intent) return;
    const device: Actor = { type: 'device', id: event.deviceId, name: event.deviceId };
    const active = store.alerts.findActive(intent.subject, intent.kind);
    if (intent.action === 'cancel') {
      if (active) this.cancel(active, event, intent.windowMs, device, at, out);
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
      });
      out.repeated += 1;
      out.alert(active.id, 'updated');
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
    });
    out.raised += 1;
    out.alert(id, 'raised');
    if (event.residentId) out.residents.add(event.residentId);
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
    out: BatchOutcome,
  ): void {
    const elapsed = Date.parse(event.ts) - Date.parse(active.firstEventTs);
    const inTime = elapsed >= 0 && elapsed <= windowMs;
    if (active.state === 'open' && inTime) {
      const cancelled = recordTransition(this.deps.store, {
        alertId: active.id,
        from: 'open',
        to: 'cancelled',
        at,
        actor: device,
        eventId: event.eventId,
        outcome: 'cancelled_by_resident',
      });
      if (!cancelled) return;
      out.alert(active.id, 'updated');
      if (active.residentId) out.residents.add(active.residentId);
      return;
    }
    this.deps.store.alerts.addTimeline({
      alertId: active.id,
      at,
      action: 'cancel_declined',
      fromState: active.state,
      toState: active.state,
      actor: device,
      eventId: event.eventId,
      note: active.state !== 'open' ? 'already claimed' : `${Math.round(elapsed / 1000)} s after the fall`,
    });
    out.alert(active.id, 'updated');
  }

  private trackDevice(event: DeviceEvent, out: BatchOutcome): void {
    const patch =
      event.kind === 'status'
        ? { online: event.data.online }
        : event.kind === 'battery'
          ? { online: true, battery: event.data.percent }
          : { online: true };
    const before = this.deps.store.devices.get(event.deviceId);
    this.deps.store.devices.touch(event.deviceId, event.ts, patch);
    if (before && before.online !== patch.online && event.residentId) out.residents.add(event.residentId);
  }

  private publish(batch: BatchOutcome): void {
    const { store, bus } = this.deps;
    for (const [alertId, how] of batch.alerts) {
      const alert = store.alerts.get(alertId);
      if (alert) bus.emit(how === 'raised' ? 'alert:raised' : 'alert:updated', alert);
    }
    for (const residentId of batch.residents) {
      const status = store.residents.statusChange(residentId);
      if (status) bus.emit('resident:status', status);
    }
  }
}
