/**
 * What other servers changed in the shared state, heard through PostgreSQL's LISTEN/NOTIFY
 * (`StateChanges` in ports.ts). The store announces inside the transaction that makes the change
 * (`pg_notify`), so PostgreSQL delivers the notice only if, and as soon as, it commits; a rolled
 * back change announces nothing.
 *
 * One session of its own per process listens. A notice sent while that session was down is
 * never delivered, so after every (re)connect each listener is told that it may have missed
 * some (`null` for devices, every partition for the alert stream): a device cache forgets
 * everything, a consumer reads every partition. The notice is a hint for the alert stream (its
 * consumers also poll) and the cache bound for devices (`DEVICE_CACHE_TTL_MS`) stays as the last
 * resort.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MetricSample } from '@carecircle/protocol';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { StateChanges } from '../ports';
import type { Announce } from '../sql/notify';
import type { Tables } from '../sql/schema';

/** The channels, one per kind of change. */
export const CHANNELS = { alerts: 'carecircle_alerts', devices: 'carecircle_devices' } as const;
type Channel = keyof typeof CHANNELS;

/** `Announce` on PostgreSQL: a notice delivered at the commit of `db`'s transaction. */
export const announcePg: Announce = async (db: Kysely<Tables>, channel, payload) => {
  await sql`SELECT pg_notify(${CHANNELS[channel]}, ${payload})`.execute(db);
};

const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

export class PgChangeFeed implements StateChanges {
  private readonly listeners: Record<Channel, Set<(payload: string | null) => void>> = {
    alerts: new Set(),
    devices: new Set(),
  };
  private client: pg.Client | null = null;
  private closed = false;
  private running: Promise<void> | null = null;
  /** Sessions opened so far; notices heard per channel. */
  readonly stats = { sessions: 0, heard: { alerts: 0, devices: 0 } };

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the first session listens; later sessions are opened in the background. */
  async start(): Promise<void> {
    const { ended } = await this.listen();
    this.running = this.keepListening(ended);
  }

  onDeviceChanged(listener: (deviceId: string | null) => void): () => void {
    return this.on('devices', listener);
  }

  /** `partition` null: any partition may have been appended to. */
  onAlertAppended(listener: (partition: number | null) => void): () => void {
    return this.on('alerts', (payload) => listener(payload === null ? null : Number(payload)));
  }

  private on(channel: Channel, listener: (payload: string | null) => void): () => void {
    this.listeners[channel].add(listener);
    return () => this.listeners[channel].delete(listener);
  }

  private tell(channel: Channel, payload: string | null): void {
    for (const listener of this.listeners[channel]) {
      try {
        listener(payload);
      } catch (err) {
        this.logger.error({ err, channel }, 'a change listener failed');
      }
    }
  }

  /** Opens a session and listens (rejects when it cannot); `ended` resolves when the session ends. */
  private async listen(): Promise<{ ended: Promise<void> }> {
    const client = new pg.Client({
      connectionString: this.url,
      keepAlive: true,
      application_name: 'carecircle-changes',
    });
    const ended = new Promise<void>((resolve) => {
      client.on('error', (err) => {
        if (!this.closed) this.logger.warn({ err }, 'the change feed lost its PostgreSQL session');
        resolve();
      });
      client.on('end', () => resolve());
    });
    client.on('notification', (n) => {
      const channel = (Object.keys(CHANNELS) as Channel[]).find((c) => CHANNELS[c] === n.channel);
      if (channel && n.payload !== undefined) {
        this.stats.heard[channel]++;
        this.tell(channel, n.payload);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNELS.alerts}; LISTEN ${CHANNELS.devices}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    this.client = client;
    this.stats.sessions++;
    // Whatever was announced before this session listened was not heard here.
    if (this.stats.sessions > 1) {
      this.tell('devices', null);
      this.tell('alerts', null);
    }
    return { ended };
  }

  private async keepListening(first: Promise<void>): Promise<void> {
    let ended = first;
    let retryMs = MIN_RETRY_MS;
    while (!this.closed) {
      await ended;
      this.client?.end().catch(() => {});
      this.client = null;
      if (this.closed) return;
      try {
        ({ ended } = await this.listen());
        retryMs = MIN_RETRY_MS;
      } catch (err) {
        this.logger.warn({ err, retryMs }, 'the change feed cannot listen yet');
        ended = sleep(retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    }
  }

  samples(): MetricSample[] {
    return [
      {
        name: 'carecircle_state_changes_heard_total',
        help: "Notices of other processes' changes to the shared state (PostgreSQL NOTIFY), by kind",
        type: 'counter',
        values: (Object.keys(CHANNELS) as Channel[]).map((kind) => ({
          labels: { kind },
          value: this.stats.heard[kind],
        })),
      },
      {
        name: 'carecircle_state_change_sessions_total',
        help: 'Sessions the change feed opened to listen (more than one: it reconnected, and forgot what it cached)',
        type: 'counter',
        values: [{ value: this.stats.sessions }],
      },
    ];
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => {});
    await this.running;
  }
}
