/**
 * A device's events from the moment they are made until their PUBACK, as firmware keeps them in
 * RAM: what could not be handed to the MQTT client yet (the connection is down, or the client is
 * still resending its own store after a reconnect) waits here, bounded, and goes out in order
 * once the device is online again. Each event keeps its payload, so a resend carries the same
 * `eventId` and the journal drops the copy.
 *
 * Bounded by `limit` queued events. Past it the oldest queued routine event (reading, door,
 * motion, …) is dropped and counted; alarms (`isAlarmKind`: `sos`, `fall`, `fall_cancel`) are
 * never dropped, so a long outage costs heartbeats, not an SOS.
 */

export interface OutboxMessage {
  eventId: string;
  topic: string;
  /** The serialised payload, sent as is on every attempt. */
  body: string;
  /** Alarm-class: never dropped by the limit. */
  alarm: boolean;
}

export interface OutboxStats {
  /** Waiting to be handed to the client. */
  queued: number;
  /** Handed to the client, no PUBACK yet. */
  inFlight: number;
  /** Routine events dropped because the queue was full, since the device was created. */
  dropped: number;
}

/** Hands one message to the client; `done` runs on its PUBACK, or with the reason it was not sent. */
export type OutboxSend = (message: OutboxMessage, done: (err?: Error) => void) => void;

export type OutboxErrorCode = 'ERR_OUTBOX_FULL' | 'ERR_DEVICE_STOPPED';

export class OutboxError extends Error {
  readonly code: OutboxErrorCode;
  constructor(code: OutboxErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'OutboxError';
    this.code = code;
  }
}

interface Entry extends OutboxMessage {
  inFlight: boolean;
  resolve(): void;
  reject(err: Error): void;
}

export class Outbox {
  readonly limit: number;
  readonly #onDrop: (message: OutboxMessage) => void;
  /** By eventId; a Map iterates in insertion order, so this is also the order events were made. */
  readonly #entries = new Map<string, Entry>();
  #queued = 0;
  #dropped = 0;

  /** `onDrop` hears of each routine message dropped to stay within `limit`. */
  constructor(limit: number, onDrop: (message: OutboxMessage) => void = () => {}) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`outbox limit must be a positive integer, got ${limit}`);
    this.limit = limit;
    this.#onDrop = onDrop;
  }

  get stats(): OutboxStats {
    return { queued: this.#queued, inFlight: this.#entries.size - this.#queued, dropped: this.#dropped };
  }

  /**
   * Queues `message`; resolves on its PUBACK, rejects when it is dropped to make room
   * (`ERR_OUTBOX_FULL`) or abandoned (`clear`).
   */
  push(message: OutboxMessage): Promise<void> {
    let settle!: Pick<Entry, 'resolve' | 'reject'>;
    const acked = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.#entries.set(message.eventId, { ...message, ...settle, inFlight: false });
    this.#enqueued();
    return acked;
  }

  /**
   * Hands every queued message to `send`, oldest first. A message whose `done` reports an
   * error was not taken by the client and is queued again, in its place, for the next flush.
   */
  flush(send: OutboxSend): void {
    for (const entry of this.#entries.values()) {
      if (entry.inFlight) continue;
      entry.inFlight = true;
      this.#queued -= 1;
      send(entry, (err) => this.#done(entry, err));
    }
  }

  /** Rejects every message still waiting or in flight with `err`, and forgets them. */
  clear(err: Error): void {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#queued = 0;
    for (const entry of entries) entry.reject(err);
  }

  #done(entry: Entry, err: Error | undefined): void {
    if (this.#entries.get(entry.eventId) !== entry || !entry.inFlight) return; // cleared meanwhile
    if (err) {
      entry.inFlight = false;
      this.#enqueued();
      return;
    }
    this.#entries.delete(entry.eventId);
    entry.resolve();
  }

  /** Counts one more queued message and, past the limit, drops the oldest routine one. */
  #enqueued(): void {
    this.#queued += 1;
    if (this.#queued <= this.limit) return;
    for (const entry of this.#entries.values()) {
      if (entry.inFlight || entry.alarm) continue;
      this.#entries.delete(entry.eventId);
      this.#queued -= 1;
      this.#dropped += 1;
      entry.reject(
        new OutboxError('ERR_OUTBOX_FULL', `${entry.eventId}: dropped, ${this.limit} events already waiting`),
      );
      this.#onDrop(entry);
      return;
    }
    // Only alarms are waiting: they are kept over the limit.
  }
}
