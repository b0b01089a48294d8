/**
 * Range reads of a stream: "entries after sequence S, at most N" (the journal's `read`).
 *
 * nats-server 2.9 has no batched direct get (`$JS.API.DIRECT.GET` with `batch` came in 2.11), so
 * a range is read through a consumer: an ephemeral pull consumer that starts after S, acks
 * nothing and lives in memory, asked for N messages with `no_wait` — the server sends what it has,
 * up to N, then (short of N) a `404 No Messages` or `408 Request Timeout` status (ADR-13), in
 * one round trip.
 *
 * Creating a consumer costs a round trip and server state, so consumers are kept as *cursors*:
 * after a read the cursor stands at the last sequence it delivered, and the next read that asks
 * for exactly that position (a polling reader does, every time) pulls from it again without
 * creating anything. Each reader of a partition (the alert engine, the time-series sink, ...)
 * ends up following a cursor of its own. At most `maxPerStream` idle cursors are kept per stream;
 * the least recently used are deleted on the server, all are deleted at `close`, and the server
 * removes any left behind by a dead process after `inactive_threshold`.
 */
import { AckPolicy, DeliverPolicy, type JetStreamManager, ReplayPolicy } from '@nats-io/jetstream';
import { createInbox, type Msg, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export interface StoredEntry {
  /** The stream sequence. */
  seq: number;
  data: Uint8Array;
}

export interface CursorOptions {
  /** Idle cursors kept per stream (each a consumer on the server). */
  maxPerStream: number;
  /** The server deletes a cursor not pulled from for this long (a process died holding it). */
  inactiveMs: number;
  /** How long a pull or a consumer request may take. */
  timeoutMs: number;
  logger?: Logger;
}

interface Cursor {
  name: string;
  /** The last sequence delivered (or the one it was created after). */
  position: number;
  busy: boolean;
  /** `performance.now()` when last pulled from (or made). */
  usedAt: number;
}

/**
 * The pull found no consumer: deleted, expired, or the server restarted. A fresh one will do.
 * nats-server 2.9 does not answer a pull for a consumer it does not know (no 503: its JetStream
 * API subscription covers the subject), so a pull that gets no answer counts as this too.
 */
class CursorGone extends Error {}

/**
 * The stream sequence of a message a consumer delivered, from its reply subject (ADR-15):
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (9 tokens, what
 * nats-server 2.9 sends), or with `<domain>.<account hash>` after `ACK` and a token at the end.
 */
export function streamSequenceOf(reply: string | undefined): number {
  const t = reply?.split('.') ?? [];
  if (t[0] !== '$JS' || t[1] !== 'ACK') return Number.NaN;
  if (t.length === 9) return Number(t[5]);
  if (t.length >= 11) return Number(t[7]);
  return Number.NaN;
}

export class StreamCursors {
  private readonly byStream = new Map<string, Cursor[]>();
  /** Consumers created, for tests and metrics: a polling reader must not keep adding to it. */
  created = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: CursorOptions,
  ) {}

  /** Messages of `stream` with a sequence greater than `after`, oldest first, at most `limit`. */
  async read(stream: string, after: number, limit: number): Promise<StoredEntry[]> {
    const reused = this.take(stream, after);
    if (reused) {
      try {
        return await this.pullFrom(stream, reused, after, limit);
      } catch (err) {
        if (!(err instanceof CursorGone)) throw err;
        // Deleted or expired on the server (a restart forgets in-memory consumers): start over.
      }
    }
    const fresh = await this.create(stream, after);
    try {
      return await this.pullFrom(stream, fresh, after, limit);
    } catch (err) {
      throw err instanceof CursorGone ? new Error(`reading ${stream}: ${err.message}`) : err;
    }
  }

  /**
   * Stops using every cursor (after a reconnect: a restarted server has forgotten them, since
   * ephemeral consumers are not restored), deleting them in the background where they remain.
   */
  forget(): void {
    for (const [stream, cursors] of this.byStream) for (const c of cursors) void this.remove(stream, c);
    this.byStream.clear();
  }

  /** Deletes every cursor on the server (bounded by the request timeout). */
  async close(): Promise<void> {
    const all = [...this.byStream.entries()].flatMap(([stream, cursors]) => cursors.map((c) => ({ stream, c })));
    this.byStream.clear();
    await Promise.allSettled(all.map(({ stream, c }) => this.remove(stream, c)));
  }

  private take(stream: string, after: number): Cursor | undefined {
    const cursor = this.byStream.get(stream)?.find((c) => !c.busy && c.position === after);
    if (!cursor) return undefined;
    // Idle for half the server's `inactive_threshold`: it may be gone, and a pull to a consumer
    // that is gone waits for the whole timeout. Make a new one instead.
    if (performance.now() - cursor.usedAt > this.options.inactiveMs / 2) {
      this.discard(stream, cursor);
      return undefined;
    }
    cursor.busy = true;
    return cursor;
  }

  private async create(stream: string, after: number): Promise<Cursor> {
    const info = await this.jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: after + 1,
      replay_policy: ReplayPolicy.Instant,
      inactive_threshold: nanos(this.options.inactiveMs),
      mem_storage: true,
    });
    this.created += 1;
    const cursor: Cursor = { name: info.name, position: after, busy: true, usedAt: performance.now() };
    const list = this.byStream.get(stream) ?? [];
    list.push(cursor);
    this.byStream.set(stream, list);
    this.evict(stream, list);
    return cursor;
  }

  /** Keeps at most `maxPerStream` cursors, deleting the idle ones used longest ago. */
  private evict(stream: string, list: Cursor[]): void {
    const excess = list.length - this.options.maxPerStream;
    if (excess <= 0) return;
    const idle = list.filter((c) => !c.busy).sort((a, b) => a.usedAt - b.usedAt);
    for (const c of idle.slice(0, excess)) {
      list.splice(list.indexOf(c), 1);
      void this.remove(stream, c);
    }
  }

  private discard(stream: string, cursor: Cursor): void {
    const list = this.byStream.get(stream);
    const i = list?.indexOf(cursor) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
    void this.remove(stream, cursor);
  }

  private async remove(stream: string, cursor: Cursor): Promise<void> {
    try {
      await this.jsm.consumers.delete(stream, cursor.name);
    } catch (err) {
      // Already gone, or the server is away: `inactive_threshold` deletes it there.
      this.options.logger?.debug({ err, stream, consumer: cursor.name }, 'journal cursor not deleted');
    }
  }

  private async pullFrom(stream: string, cursor: Cursor, after: number, limit: number): Promise<StoredEntry[]> {
    let entries: StoredEntry[];
    try {
      entries = await this.pull(stream, cursor.name, after, limit);
    } catch (err) {
      // Where a failed pull left the consumer is unknown: never pull from it again.
      this.discard(stream, cursor);
      throw err;
    }
    cursor.position = entries.at(-1)?.seq ?? after;
    cursor.busy = false;
    cursor.usedAt = performance.now();
    return entries;
  }

  /** One pull request with `no_wait`: what the consumer has now, up to `limit`. */
  private pull(stream: string, consumer: string, after: number, limit: number): Promise<StoredEntry[]> {
    return new Promise((resolve, reject) => {
      const out: StoredEntry[] = [];
      let done = false;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub.unsubscribe();
        if (err) reject(err);
        else resolve(out);
      };
      /** What a message means for the pull: go on (`null`), end it (`'done'`), or fail it. */
      const outcome = (msg: Msg): Error | 'done' | null => {
        const code = msg.headers?.code ?? 0;
        if (code !== 0 && msg.data.length === 0) {
          // [ADR-13] no_wait: 404 when nothing is there; 2.9 ends a partial batch with 408.
          if (code === 404 || code === 408) return 'done';
          // No responders: no such consumer (any more).
          if (code === 503) return new CursorGone(`consumer ${consumer} is gone`);
          return new Error(`pull from ${stream}: ${code} ${msg.headers?.description ?? ''}`.trim());
        }
        const seq = streamSequenceOf(msg.reply);
        const last = out.at(-1)?.seq ?? after;
        if (!(seq > last)) return new Error(`pull from ${stream}: sequence ${seq} after ${last}`);
        out.push({ seq, data: msg.data });
        return out.length >= limit ? 'done' : null;
      };
      const onMessage = (err: Error | null, msg: Msg): void => {
        const result = err ?? outcome(msg);
        if (result === 'done') finish();
        else if (result !== null) finish(result);
      };
      const inbox = createInbox();
      const sub = this.nc.subscribe(inbox, { callback: onMessage });
      const timer = setTimeout(
        () => finish(new CursorGone(`consumer ${consumer} did not answer in ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      try {
        this.nc.publish(
          `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
          JSON.stringify({ batch: limit, no_wait: true }),
          {
            reply: inbox,
          },
        );
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }
}
