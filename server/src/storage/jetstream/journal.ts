/**
 * The device journal on NATS JetStream (DESIGN.md, "Growing past one machine"; issue #7): the
 * same `Journal` port as the embedded SQLite journal, shared by every gateway and server
 * process. Chosen by `CARECIRCLE_JOURNAL_URL=nats://…`.
 *
 * Layout: **one stream per journal partition**, `<streamName>_<p>` for `p` in `0 … 2n-1` (the
 * routine lane's `n` partitions, then the alarm lane's, `journalPartition` as in SQLite), file
 * storage, holding the subjects `<prefix>.<p>.<site>` (one per site; the site id escaped to one
 * token, see `subjects.ts`). A partition's offset is its stream's sequence, so offsets are dense,
 * `head` is the stream's last sequence, and a consumer's lag (`head - offset`) counts entries.
 * One stream per partition rather than one stream for all: a stream is the unit JetStream
 * places and replicates on a cluster, so partitions spread over servers as Kafka's do; an
 * alarm stream never shares a write path or a lock with a flood of readings; and each lane
 * gets the duplicate window its volume affords (below).
 *
 * Durability: `append` resolves only on the stream's PubAck, which nats-server sends after the
 * message is stored. nats-server 2.9 writes it to the file before acking but fsyncs only
 * periodically (every 2 minutes; 2.9 refuses `sync_interval` as an unknown field, later servers
 * take `sync_interval: always`), so on one server an acknowledged event
 * survives the server's crash but not the machine's power loss; with `replicas: 3` on a cluster
 * the PubAck waits for a quorum, so it survives losing a machine.
 *
 * Duplicates: `Nats-Msg-Id` = the event's (device, eventId), so a device's resend within the
 * stream's `duplicate_window` is answered `duplicate` and not stored again. nats-server keeps
 * every id of the window in memory; measured on 2.9.10 (200k publishes with and without a
 * 36-character id): ~230 B of server RSS per id. Per lane:
 * - routine lane: 10 minutes. A resend comes after the device noticed the lost PUBACK and
 *   reconnected (keepalive 60 s ×1.5, then back-off): minutes. At 1,000 readings/s that is
 *   600k ids, ~140 MB. A resend later than that stores a reading twice, which the time-series
 *   sink absorbs (a point is identified by device, kind and time) and the engine only uses for
 *   "last seen".
 * - alarm lane: 24 hours. An SOS stored twice would count twice; SOS and falls are rare (even
 *   one a second all day is 86k ids, ~20 MB), so the window covers a home offline for a day.
 * The window is per stream, so an event is recognised as a resend in its own partition: a
 * device moved to another site between the send and the resend is not deduplicated.
 *
 * Alarms first: nothing queues in this adapter. Every append is published at once (requests are
 * pipelined over the connection) and alarm-lane streams are separate streams on the server;
 * the gateway bounds how many appends are under way (its intake queue), never the alarms.
 */
import type { AppendResult, DeviceEvent, Journal, JournalEntry, MetricSample } from '@carecircle/protocol';
import { isAlarmKind, journalPartition } from '@carecircle/protocol';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { appendFailureSample, type JournalStats } from '../sql/journal';
import { notifyEach } from '../sql/notify';
import { StreamCursors } from './cursors';
import { ensureStream, parseUrl, streamConfig } from './streams';
import {
  allNotices,
  DEFAULT_NAMES,
  eventSubject,
  type JournalNames,
  messageId,
  partitionOfNotice,
  streamOf,
  validateNames,
} from './subjects';
import { PerTurn } from './turns';

const MINUTE = 60_000;

export const DEFAULT_DUPLICATE_WINDOW_MS = { routine: 10 * MINUTE, alarm: 24 * 60 * MINUTE } as const;

export interface JetStreamJournalOptions {
  /** `nats://host:port`, several separated by commas (a cluster); `nats://user:pass@…` logs in. */
  url: string;
  /** Routine partitions (sites are spread over them); as many alarm partitions follow. */
  sitePartitions?: number;
  logger?: Logger;
  /** Base name of the streams, `<streamName>_<partition>`; default `CARECIRCLE_JOURNAL`. */
  streamName?: string;
  /** First tokens of the subjects, `<subjectPrefix>.<partition>.<site>`; default `carecircle.journal`. */
  subjectPrefix?: string;
  /** Copies of each stream on a cluster (1 on a single server; 3 to survive losing a machine). */
  replicas?: number;
  duplicateWindowMs?: { routine: number; alarm: number };
  /** How long an append waits for its PubAck before it fails (and the device is not acknowledged). */
  publishTimeoutMs?: number;
  /** Reads, heads and stream/consumer requests. */
  requestTimeoutMs?: number;
  /** Between reconnection attempts, forever; appends fail at once while disconnected. */
  reconnectWaitMs?: number;
}

/** What `openJetStreamJournal` resolves to: the port plus what the platform reads of a journal. */
export class JetStreamJournal implements Journal {
  /** `batches` counts PubAcks: each append is a publish of its own (the server batches its writes). */
  readonly stats: JournalStats = { appended: 0, duplicates: 0, batches: 0, failures: 0 };
  /** Why the last append failed, while none has succeeded since; null when appending works. */
  lastFailure: string | null = null;
  readonly partitions: number;

  private closed = false;
  private connected = true;
  /** `lastFailure` was set by a lost connection (a reconnect clears it), not by an append. */
  private failureIsDisconnect = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Fails each append waiting for its PubAck (the connection was lost). */
  private readonly aborts = new Set<(err: Error) => void>();
  private readonly listeners = new Set<(partition: number) => void>();
  private readonly notices: PerTurn;
  private noticeSub: Subscription | null = null;
  private readonly watching: Promise<void>;
  private readonly decoder = new TextDecoder();

  /** @internal built by `openJetStreamJournal`, which makes the streams first. */
  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly cursors: StreamCursors,
    private readonly names: JournalNames,
    private readonly sitePartitions: number,
    private readonly publishTimeoutMs: number,
    private readonly logger: Logger | undefined,
  ) {
    this.partitions = 2 * sitePartitions;
    this.notices = new PerTurn((partition) => notifyEach(this.listeners, partition, this.logger));
    this.watching = this.watch();
  }

  /** Appends published and not yet acknowledged (nothing waits in this adapter before publishing). */
  get backlog(): number {
    return this.inFlight.size;
  }

  /** Range-read consumers this journal created on the server so far (each read that missed a cursor). */
  get cursorsCreated(): number {
    return this.cursors.created;
  }

  async append(event: DeviceEvent): Promise<AppendResult> {
    if (this.closed) throw new Error('journal is closed');
    if (!this.connected) {
      this.stats.failures += 1;
      throw new Error(`journal: not connected to NATS (${this.lastFailure ?? 'reconnecting'})`);
    }
    const partition = journalPartition(event.siteId, event.kind, this.sitePartitions);
    const published = this.js.publish(eventSubject(this.names, partition, event.siteId), JSON.stringify(event), {
      msgID: messageId(event.deviceId, event.eventId),
      timeout: this.publishTimeoutMs,
      // The server refuses the message if some other stream captured the subject.
      expect: { streamName: streamOf(this.names, partition) },
    });
    // A lost connection fails what waits for a PubAck at once, not after the timeout: the
    // outcome is unknown either way, and the device resends into the duplicate window.
    published.catch(() => {});
    let abort: (err: Error) => void = () => {};
    const lost = new Promise<never>((_, reject) => {
      abort = reject;
    });
    this.aborts.add(abort);
    const acked = Promise.race([published, lost]);
    this.inFlight.add(acked);
    let duplicate: boolean;
    try {
      duplicate = (await acked).duplicate;
    } catch (err) {
      this.stats.failures += 1;
      this.lastFailure = `${isAlarmKind(event.kind) ? 'alarm' : 'routine'} publish failed: ${describe(err)}`;
      this.failureIsDisconnect = false;
      throw err;
    } finally {
      this.inFlight.delete(acked);
      this.aborts.delete(abort);
    }
    this.lastFailure = null;
    this.failureIsDisconnect = false;
    this.stats.batches += 1;
    if (duplicate) this.stats.duplicates += 1;
    else this.stats.appended += 1;
    return duplicate ? 'duplicate' : 'appended';
  }

  async read(partition: number, after: number, limit: number): Promise<JournalEntry[]> {
    this.checkPartition(partition);
    if (limit <= 0) return [];
    const stored = await this.cursors.read(streamOf(this.names, partition), after, limit);
    return stored.map((m) => ({
      partition,
      offset: m.seq,
      event: JSON.parse(this.decoder.decode(m.data)) as DeviceEvent,
    }));
  }

  async head(partition: number): Promise<number> {
    this.checkPartition(partition);
    const info = await this.jsm.streams.info(streamOf(this.names, partition));
    return info.state.last_seq;
  }

  /**
   * Told of appends by any process: each stream republishes a headers-only notice of every
   * message it stored (after storing it), and this subscribes to them while anyone listens.
   */
  onAppend(listener: (partition: number) => void): () => void {
    this.listeners.add(listener);
    if (this.noticeSub === null && !this.closed) {
      this.noticeSub = this.nc.subscribe(allNotices(this.names), {
        callback: (err, msg) => this.noticed(err, msg),
      });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.noticeSub?.unsubscribe();
        this.noticeSub = null;
      }
    };
  }

  /**
   * Resolves once the server has processed everything this journal sent so far — the notice
   * subscription of an `onAppend` included, so notices of appends other connections make from
   * now on reach it. (Before that, a notice may be missed: they are hints, readers also poll.)
   */
  async flush(): Promise<void> {
    await this.nc.flush();
  }

  samples(): MetricSample[] {
    return [
      {
        name: 'carecircle_journal_publishes_total',
        help: 'Journal appends acknowledged by JetStream (one publish each), duplicates included',
        type: 'counter',
        values: [{ value: this.stats.batches }],
      },
      appendFailureSample(this.stats),
      {
        name: 'carecircle_journal_publishes_in_flight',
        help: 'Journal appends published and waiting for their PubAck',
        type: 'gauge',
        values: [{ value: this.inFlight.size }],
      },
    ];
  }

  /** Waits for the appends under way, then removes this journal's cursors and drains the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.listeners.clear();
    this.notices.stop();
    this.noticeSub?.unsubscribe();
    this.noticeSub = null;
    if (this.connected) {
      await this.cursors.close();
      await this.drain();
    }
    if (!this.nc.isClosed()) await this.nc.close();
    await this.watching;
  }

  private async drain(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.publishTimeoutMs);
    });
    try {
      await Promise.race([this.nc.drain(), timedOut]);
    } catch (err) {
      this.logger?.warn({ err }, 'journal connection did not drain');
    } finally {
      clearTimeout(timer);
    }
  }

  private noticed(err: Error | null, msg: Msg): void {
    if (err) {
      this.logger?.warn({ err }, 'journal notices failed');
      return;
    }
    const partition = partitionOfNotice(this.names, msg.subject);
    if (partition !== null && partition < this.partitions) this.notices.add(partition);
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        if (this.lastFailure === null) {
          this.lastFailure = `disconnected from NATS ${s.server}`;
          this.failureIsDisconnect = true;
        }
        for (const abort of this.aborts) abort(new Error(`connection to NATS ${s.server} lost before the PubAck`));
        this.aborts.clear();
        this.logger?.warn({ server: s.server }, 'journal disconnected from NATS; appends fail until it reconnects');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.cursors.forget();
        if (this.failureIsDisconnect) this.lastFailure = null;
        this.failureIsDisconnect = false;
        this.logger?.info({ server: s.server }, 'journal reconnected to NATS');
      }
    }
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
      throw new RangeError(`journal partition ${partition} is not in 0 … ${this.partitions - 1}`);
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

/**
 * Connects, creates or updates the journal's streams, and returns the journal. Its `close()`
 * waits for appends under way, removes its read cursors and drains the connection.
 */
export async function openJetStreamJournal(options: JetStreamJournalOptions): Promise<JetStreamJournal> {
  const sitePartitions = options.sitePartitions ?? 1;
  if (!Number.isInteger(sitePartitions) || sitePartitions < 1) {
    throw new RangeError(`journal sitePartitions must be a positive integer, not ${sitePartitions}`);
  }
  const names: JournalNames = {
    streamName: options.streamName ?? DEFAULT_NAMES.streamName,
    subjectPrefix: options.subjectPrefix ?? DEFAULT_NAMES.subjectPrefix,
  };
  validateNames(names);
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5000;
  const logger = options.logger?.child({ module: 'journal' });
  const nc = await connect({
    ...parseUrl(options.url),
    name: 'carecircle-journal',
    timeout: requestTimeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectWaitMs ?? 250,
  });
  try {
    const jsm = await jetstreamManager(nc, { timeout: requestTimeoutMs });
    const settings = {
      replicas: options.replicas ?? 1,
      duplicateWindowMs: options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
    };
    await Promise.all(
      Array.from({ length: 2 * sitePartitions }, (_, p) =>
        ensureStream(jsm, streamConfig(names, p, sitePartitions, settings)),
      ),
    );
    const cursors = new StreamCursors(nc, jsm, {
      maxPerStream: 4,
      inactiveMs: 5 * MINUTE,
      timeoutMs: requestTimeoutMs,
      ...(logger ? { logger } : {}),
    });
    return new JetStreamJournal(
      nc,
      jetstream(nc, { timeout: publishTimeoutMs }),
      jsm,
      cursors,
      names,
      sitePartitions,
      publishTimeoutMs,
      logger,
    );
  } catch (err) {
    await nc.close();
    throw err;
  }
}
