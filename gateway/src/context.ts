/**
 * What every hook shares: the injected ports, the limits, the counters and one place that
 * logs, counts and dead-letters a refusal, so each reason is handled the same way everywhere.
 */
import {
  type Clock,
  type DeadLetterStore,
  type DeviceDirectory,
  type DeviceEvent,
  type DeviceIncidents,
  type GatewayRejectReason,
  isAlarmKind,
  type Journal,
  NO_DEVICE_INCIDENTS,
} from '@carecircle/protocol';
import Denque from 'denque';
import type { Logger } from 'pino';
import type { GatewayLimits } from './limits';
import type { GatewayCounters } from './metrics';

/** Dead-lettered payloads are cut to this size: enough to diagnose, bounded per entry. */
export const DEAD_LETTER_PAYLOAD_BYTES = 2048;
const MAX_DETAIL_CHARS = 200;
/** At most one log line per refusal reason this often (the counters count them all). */
export const REFUSAL_LOG_EVERY_MS = 1000;

/** The intake is full (`intakeMaxWaiting`): the publish is shed, not queued. */
export class IntakeOverloaded extends Error {
  constructor() {
    // Thrown for every shed publish under overload: no stack trace, which would cost more
    // than the publish itself.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('intake overloaded: too many publishes waiting for the journal');
    Error.stackTraceLimit = limit;
  }
}

export interface Refusal {
  /** The device id, or for a refused CONNECT the username it claimed. */
  deviceId: string;
  reason: GatewayRejectReason;
  detail: string;
}

export interface DeadLetterInput extends Refusal {
  topic: string;
  payload: Buffer;
  receivedAt: string;
}

export interface GatewayContext {
  readonly devices: DeviceDirectory;
  /** Where failed authentications and flagged devices are reported (fire and forget). */
  readonly incidents: DeviceIncidents;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: GatewayLimits;
  readonly counters: GatewayCounters;
  /** Set once `close()` starts: new publishes (and wills) are refused so nothing half-lands. */
  closing: boolean;
  /** Counts the reason and logs it with a child logger (deviceId, reason, detail). */
  refuse(refusal: Refusal): void;
  /** `refuse` plus a dead letter, for payloads that were acknowledged but not accepted. */
  deadLetter(input: DeadLetterInput): void;
  /**
   * Appends to the journal, counts the outcome and keeps the promise until it settles. A routine
   * event waits for room first while `limits.intakeHighWater` appends are under way; an alarm
   * never waits.
   */
  append(event: DeviceEvent): Promise<void>;
  /** Routine publishes waiting for room in the journal right now, and in all since start. */
  readonly intake: { readonly waiting: number; readonly held: number };
  /**
   * True while a routine publish would be shed (`intakeMaxWaiting` are waiting): counted as
   * `intake_overloaded` and answered before its payload is looked at, which is what `append`
   * would do after decoding it.
   */
  shed(deviceId: string): boolean;
  /** Resolves when every append in flight has settled. */
  settled(): Promise<void>;
}

export interface ContextDeps {
  devices: DeviceDirectory;
  incidents?: DeviceIncidents;
  journal: Journal;
  deadLetters: DeadLetterStore;
  clock: Clock;
  logger: Logger;
  limits: GatewayLimits;
  counters: GatewayCounters;
}

export function createContext(deps: ContextDeps): GatewayContext {
  const log = deps.logger.child({ module: 'gateway' });
  const inflight = new Set<Promise<unknown>>();
  const { counters, limits } = deps;

  // Intake: at most `intakeHighWater` appends go to the journal at once. A routine publish over
  // it waits here, and since aedes reads a connection's next bytes only once every packet it
  // parsed has been answered, the waiting publish stops its own connection: the socket's
  // buffers fill, TCP pushes back to the device, and the gateway's memory stays bounded by one
  // read per connection. Alarms skip the queue, and CONNECTs never enter it.
  let appending = 0;
  // A deque: an array's shift() is linear, and under overload this holds tens of thousands.
  const waiting = new Denque<() => void>();
  const intake = { waiting: 0, held: 0 };
  function room(): Promise<void> {
    intake.held += 1;
    return new Promise<void>((resolve) => {
      waiting.push(resolve);
      intake.waiting = waiting.length;
    });
  }
  function released(): void {
    appending -= 1;
    if (waiting.length === 0 || appending > limits.intakeLowWater) return;
    while (waiting.length > 0 && appending < limits.intakeHighWater) {
      appending += 1;
      waiting.shift()?.();
    }
    intake.waiting = waiting.length;
  }
  function admit(urgent: boolean): Promise<void> | null {
    if (urgent || (waiting.length === 0 && appending < limits.intakeHighWater)) {
      appending += 1;
      return null;
    }
    if (waiting.length >= limits.intakeMaxWaiting) throw new IntakeOverloaded();
    return room(); // `released` counts it in when it lets it through
  }

  function refuseOverloaded(deviceId: string): void {
    refuse({ deviceId, reason: 'intake_overloaded', detail: 'too many publishes waiting for the journal' });
  }

  // A flood of garbage must not become a flood of log lines: per reason, one line per
  // `REFUSAL_LOG_EVERY_MS`, the next one saying how many were not logged. Every refusal is counted.
  const lastLogged = new Map<GatewayRejectReason, { at: number; suppressed: number }>();
  function refuse({ deviceId, reason, detail }: Refusal): void {
    counters.reject(reason);
    const now = deps.clock.now();
    const last = lastLogged.get(reason);
    if (last && now - last.at < REFUSAL_LOG_EVERY_MS) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    lastLogged.set(reason, { at: now, suppressed: 0 });
    log
      .child({ deviceId: cut(deviceId, 64) })
      .warn({ reason, detail: cut(detail, MAX_DETAIL_CHARS), ...(suppressed > 0 ? { suppressed } : {}) }, 'refused');
  }

  return {
    devices: deps.devices,
    incidents: deps.incidents ?? NO_DEVICE_INCIDENTS,
    clock: deps.clock,
    log,
    limits: deps.limits,
    counters,
    closing: false,
    refuse,
    deadLetter(input) {
      refuse(input);
      // A dead letter is for inspection; a store that fails costs the record, never the device.
      Promise.resolve()
        .then(() =>
          deps.deadLetters.record({
            deviceId: input.deviceId,
            topic: input.topic,
            reason: input.reason,
            detail: cut(input.detail, MAX_DETAIL_CHARS),
            // A copy, so the entry does not pin the whole received buffer.
            payload: Buffer.from(input.payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES)),
            receivedAt: input.receivedAt,
          }),
        )
        .catch((err: unknown) => {
          log.error({ err, deviceId: input.deviceId, reason: input.reason }, 'dead letter store failed');
        });
    },
    intake,
    shed(deviceId) {
      if (waiting.length < limits.intakeMaxWaiting) return false;
      refuseOverloaded(deviceId);
      return true;
    },
    append(event) {
      let admitted: Promise<void>;
      try {
        admitted = admit(isAlarmKind(event.kind)) ?? Promise.resolve();
      } catch (err) {
        refuseOverloaded(event.deviceId);
        return Promise.reject(err);
      }
      const pending = admitted
        .then(() => deps.journal.append(event))
        .finally(released)
        .then(
          (result) => {
            if (result === 'duplicate') counters.reject('duplicate');
            else counters.eventsAccepted++;
          },
          (err: unknown) => {
            refuse({ deviceId: event.deviceId, reason: 'journal_unavailable', detail: describe(err) });
            throw err;
          },
        );
      inflight.add(pending);
      const forget = () => inflight.delete(pending);
      pending.then(forget, forget);
      return pending;
    },
    async settled() {
      await Promise.allSettled([...inflight]);
    },
  };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
