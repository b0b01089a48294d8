/**
 * The alert engine: a journal consumer that turns events into alerts in real time. It never
 * waits on the time-series store. Each batch is applied in one unit of work together with the
 * consumer's offset, and every change it makes is appended to the alert stream in that same
 * unit of work, so a crash at any point neither loses nor doubles an event or an announcement.
 *
 * Cost per batch: a savepoint and the rule's statements only for events a rule acts on (in
 * the alarm lane, each one); for the rest (readings, heartbeats) nothing but each device's
 * "last seen", written once per device at the end of the batch.
 */
import {
  type Actor,
  type Alert,
  type Clock,
  DEVICE_PROFILES,
  type DeviceEvent,
  type DeviceProfile,
  type DeviceType,
  type JournalEntry,
  type MetricSample,
} from '@carecircle/protocol';
import type { Logger } from 'pino';
import type { LogHandler } from '../logs/log.consumer';
import { CARE_RULE_KINDS, type CareRuleSet } from '../rules/care-rules';
import { newId } from '../storage/ids';
import type { StateStore, UnitOfWork } from '../storage/ports';
import {
  announceDeviceStatus,
  noteOnAlert,
  raiseAlert,
  recoverAlert,
  repeatAlert,
  transitionAlert,
} from './alert.changes';
import { DEFAULT_MAX_CLOCK_SKEW_MS, evaluate, eventTime, type AlertIntent as Intent } from './alert.rules';
import { onlineChanged, watchSilence } from './supervision';

/** For a device the store does not know (removed): no cancel window, no supervision. */
const UNKNOWN_DEVICE: DeviceProfile = { heartbeatMs: 0, graceMs: 0, fallCancelWindowMs: 0 };

export const ALERT_ENGINE_CONSUMER = 'alert-engine';

export interface AlertEngineDeps {
  store: StateStore;
  clock: Clock;
  logger: Logger;
  /** Beyond this a device's clock is not believed (`eventTime`); default 5 min. */
  maxClockSkewMs?: number;
  /** The stateful care rules (wandering, bed exit, inactivity, vitals); their timers fire in the `TimerRunner`. */
  careRules?: CareRuleSet;
}

interface BatchCounts {
  processed: number;
  raised: number;
  repeated: number;
  failed: number;
}

export class AlertEngine implements LogHandler<JournalEntry> {
  /** Counted only for batches that committed, so a retried batch is not counted twice. */
  readonly stats: BatchCounts = { processed: 0, raised: 0, repeated: 0, failed: 0 };

  /** Device types by id: a device's type never changes once provisioned. */
  private readonly types = new Map<string, DeviceType | null>();

  constructor(private readonly deps: AlertEngineDeps) {}

  private async typeOf(tx: UnitOfWork, deviceId: string): Promise<DeviceType | null> {
    let type = this.types.get(deviceId);
    if (type === undefined) {
      type = (await tx.devices.get(deviceId))?.type ?? null;
      if (this.types.size >= 100_000) this.types.clear();
      // Unknown devices are not kept: one provisioned later must be seen.
      if (type !== null) this.types.set(deviceId, type);
    }
    return type;
  }

  private async profileOf(tx: UnitOfWork, deviceId: string): Promise<DeviceProfile> {
    const type = await this.typeOf(tx, deviceId);
    return type ? DEVICE_PROFILES[type] : UNKNOWN_DEVICE;
  }

  /** When an event happened, as far as the rules are concerned. */
  private when(event: DeviceEvent): string {
    return eventTime(event, this.deps.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
  }

  async handle(partition: number, entries: readonly JournalEntry[], after: number): Promise<void> {
    const last = entries.at(-1);
    if (!last) return;
    const counts: BatchCounts = { processed: 0, raised: 0, repeated: 0, failed: 0 };
    await this.deps.store.transaction(
      async (tx) => {
        const routine: JournalEntry[] = [];
        const inputs = await this.deps.careRules?.batchInputs(
          tx,
          entries.map((e) => e.event),
        );
        for (const entry of entries) {
          const intent = evaluate(entry.event, await this.profileOf(tx, entry.event.deviceId));
          if (intent) await this.applyOne(tx, entry, intent, counts);
          else {
            const rules = this.deps.careRules;
            if (rules && entry.event.residentId && CARE_RULE_KINDS.has(entry.event.kind)) {
              // Its own savepoint, like an alarm: a rule that fails on one event skips that event only.
              const done = await this.guarded(tx, entry, counts, (sp) =>
                rules.onEvent(sp, entry.event, this.when(entry.event), inputs),
              );
              // Rolled back: what the batch kept of timers it wrote may no longer hold.
              if (!done) inputs?.clear();
            }
            routine.push(entry);
            counts.processed += 1;
          }
        }
        // Deadlines the rules moved in this batch, once per resident (see `RuleInputs`).
        await inputs?.flush(tx);
        await this.trackDevices(tx, routine);
        // Fenced: if another server already handled these entries, this unit of work rolls back.
        await tx.offsets.advance('journal', ALERT_ENGINE_CONSUMER, partition, after, last.offset);
      },
      { derived: true },
    );
    this.stats.processed += counts.processed;
    this.stats.raised += counts.raised;
    this.stats.repeated += counts.repeated;
    this.stats.failed += counts.failed;
  }

  samples(): MetricSample[] {
    return [
      {
        name: 'carecircle_alerts_raised_total',
        help: 'Alerts raised since start',
        type: 'counter',
        values: [{ value: this.stats.raised }],
      },
      {
        name: 'carecircle_alert_engine_failures_total',
        help: 'Events the alert engine could not handle (skipped and audited)',
        type: 'counter',
        values: [{ value: this.stats.failed }],
      },
    ];
  }

  private async applyOne(tx: UnitOfWork, entry: JournalEntry, intent: Intent, counts: BatchCounts): Promise<void> {
    const own = { raised: 0, repeated: 0 };
    if (await this.guarded(tx, entry, counts, (sp) => this.apply(sp, entry.event, intent, own))) {
      counts.processed += 1;
      counts.raised += own.raised;
      counts.repeated += own.repeated;
    }
  }

  /**
   * Runs `work` for one event in a savepoint of its own: one that fails for a reason of its own
   * (a record it refers to is gone) is logged, audited and skipped (false), not allowed to block
   * every alert behind it. A failure of the store itself fails the batch, which the consumer
   * retries: skipping then would lose an SOS that is safe in the journal.
   */
  private async guarded(
    tx: UnitOfWork,
    entry: JournalEntry,
    counts: BatchCounts,
    work: (sp: UnitOfWork) => Promise<void>,
  ): Promise<boolean> {
    try {
      await tx.savepoint(work);
      return true;
    } catch (err) {
      if (this.deps.store.isTransient(err)) throw err;
      counts.failed += 1;
      this.deps.logger.error(
        { err, offset: entry.offset, eventId: entry.event.eventId },
        'alert engine failed on event',
      );
      await tx.audit.record(
        new Date(this.deps.clock.now()).toISOString(),
        { type: 'system', id: ALERT_ENGINE_CONSUMER, name: 'alert engine' },
        'alert_engine.event_skipped',
        entry.event.eventId,
        { offset: entry.offset, partition: entry.partition, deviceId: entry.event.deviceId, kind: entry.event.kind },
      );
      return false;
    }
  }

  private async apply(
    tx: UnitOfWork,
    event: DeviceEvent,
    intent: Intent,
    own: { raised: number; repeated: number },
  ): Promise<void> {
    const at = new Date(this.deps.clock.now()).toISOString();
    // In the event's savepoint: an event that fails leaves nothing, not even "last seen".
    await this.trackDevices(tx, [{ event }]);
    const device: Actor = { type: 'device', id: event.deviceId, name: event.deviceId };
    const active = await tx.alerts.findActive(intent.subject, intent.kind);
    if (intent.action === 'cancel') {
      if (active) await this.cancel(tx, active, event, intent.windowMs, device, at);
      return;
    }
    if (intent.action === 'recover') {
      if (active) await recoverAlert(tx, active, { at, actor: device, note: intent.note, eventId: event.eventId });
      return;
    }
    if (active && intent.once) return; // still the same condition: nothing new to say
    if (active) {
      await repeatAlert(tx, active, { ts: this.when(event), eventId: event.eventId }, at, device);
      own.repeated += 1;
      return;
    }
    await raiseAlert(
      tx,
      {
        id: newId('alt'),
        siteId: event.siteId,
        residentId: event.residentId ?? null,
        deviceId: event.deviceId,
        subject: intent.subject,
        kind: intent.kind,
        severity: intent.severity,
        eventTs: this.when(event),
        at,
      },
      device,
      event.eventId,
    );
    own.raised += 1;
  }

  /**
   * The resident cancels from the device: honoured while the alert is still open and the cancel
   * came within the window of the first event (device time against device time); otherwise it
   * is put on the timeline for whoever handles the alert.
   */
  private async cancel(
    tx: UnitOfWork,
    active: Alert,
    event: DeviceEvent,
    windowMs: number,
    device: Actor,
    at: string,
  ): Promise<void> {
    const elapsed = Date.parse(this.when(event)) - Date.parse(active.firstEventTs);
    const inTime = elapsed >= 0 && elapsed <= windowMs;
    if (active.state === 'open' && inTime) {
      await transitionAlert(tx, {
        alertId: active.id,
        from: 'open',
        to: 'cancelled',
        at,
        actor: device,
        eventId: event.eventId,
        outcome: 'cancelled_by_resident',
      });
      return;
    }
    await noteOnAlert(tx, active, {
      action: 'cancel_declined',
      at,
      actor: device,
      eventId: event.eventId,
      text: active.state !== 'open' ? 'already claimed' : `${Math.round(elapsed / 1000)} s after the fall`,
    });
  }

  /**
   * Each device's "last seen", online state and battery, in a few statements per batch: what
   * touching it for every event in order would leave (the latest event by device time decides,
   * an older one changes nothing), and a change of online state announced once.
   */
  private async trackDevices(tx: UnitOfWork, entries: readonly { event: DeviceEvent }[]): Promise<void> {
    const latest = new Map<string, { event: DeviceEvent; when: string; online: boolean; battery?: number }>();
    for (const { event } of entries) {
      const seen = latest.get(event.deviceId);
      const when = this.when(event);
      if (seen && when < seen.when) continue;
      const online = event.kind === 'status' ? event.data.online : true;
      const battery = event.kind === 'battery' ? event.data.percent : seen?.battery;
      latest.set(event.deviceId, { event, when, online, ...(battery !== undefined ? { battery } : {}) });
    }
    if (latest.size === 0) return;
    const at = new Date(this.deps.clock.now()).toISOString();
    const changed = await tx.devices.touchMany(
      [...latest.values()].map(({ event, when, online, battery }) => ({
        id: event.deviceId,
        seenAt: when,
        online,
        ...(battery !== undefined ? { battery } : {}),
      })),
    );
    const seen = [];
    for (const { event, when, online } of latest.values()) {
      const type = await this.typeOf(tx, event.deviceId);
      // Every message moves its silence deadline; the last will does not (it says offline).
      if (type !== null && online) seen.push({ deviceId: event.deviceId, siteId: event.siteId, type, when });
      if (!changed.has(event.deviceId)) continue;
      if (event.residentId) {
        await announceDeviceStatus(tx, {
          siteId: event.siteId,
          residentId: event.residentId,
          deviceId: event.deviceId,
          online,
          at,
          eventId: event.eventId,
        });
      }
      const owner = { id: event.deviceId, siteId: event.siteId, residentId: event.residentId ?? null };
      await onlineChanged(tx, owner, online, at, online ? 'back online' : 'said it is going offline (last will)');
    }
    await watchSilence(tx, seen);
  }
}
