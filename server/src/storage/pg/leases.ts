/**
 * Partition leases on PostgreSQL advisory locks (`cluster/leases.ts`): one session of its own
 * per process holds a session-level `pg_try_advisory_lock(key1, key2)` per lease, key1 a hash of
 * the consumer's key and key2 the partition. (The two-key lock space does not overlap the
 * one-key space the migrations lock in.) PostgreSQL frees a session's locks when the session
 * ends, so a killed server's leases are free as soon as its connection closes, and a server cut
 * off from the network loses them once TCP keepalives give up (`KEEPALIVE_*`, ~15 s). This
 * process learns that its session ended from the client's `error`/`end` and drops every lease
 * at once; the next `acquire` opens a new session.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { PartitionLeases } from '../../cluster/leases';

/** Server-side TCP keepalives for the lease session: idle 5 s, then 5 probes 2 s apart. */
const KEEPALIVE_SETTINGS = 'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 5';

/** FNV-1a of the key, as a signed 32-bit integer (advisory lock keys are int4 pairs). */
export function leaseKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export class PgAdvisoryLeases implements PartitionLeases {
  private session: Promise<pg.Client> | null = null;
  /** The client of `session`; an old client's late `end` must not drop a newer session's leases. */
  private current: pg.Client | null = null;
  private readonly held = new Set<string>();
  private readonly lostListeners = new Set<() => void>();
  private closed = false;
  /** The session's queries, one at a time: every consumer's keeper asks on it, and pg wants no overlap. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  private connect(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('leases are closed'));
    this.session ??= (async () => {
      const client = new pg.Client({ connectionString: this.url, keepAlive: true });
      this.current = client;
      const lost = (err?: Error) => this.lose(client, err);
      client.on('error', lost);
      client.on('end', () => lost());
      try {
        await client.connect();
        await client.query(KEEPALIVE_SETTINGS);
      } catch (err) {
        this.session = null;
        this.current = null;
        client.end().catch(() => {});
        throw err;
      }
      return client;
    })();
    return this.session;
  }

  /** The session is gone: so is every lease it held. */
  private lose(client: pg.Client, err?: Error): void {
    if (client !== this.current) return;
    this.current = null;
    this.session = null;
    const had = this.held.size;
    this.held.clear();
    client.end().catch(() => {});
    if (this.closed) return;
    if (had > 0) this.logger.warn({ err, leases: had }, 'lease session ended; every lease it held is lost');
    for (const listener of this.lostListeners) listener();
  }

  async acquire(key: string, partition: number): Promise<boolean> {
    const id = `${key}\u0000${partition}`;
    // Session locks nest: taking one again would need two unlocks.
    if (this.held.has(id)) return true;
    const { rows } = await this.serially(async () =>
      (await this.connect()).query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        leaseKey(key),
        partition,
      ]),
    );
    if (rows[0]?.ok !== true) return false;
    this.held.add(id);
    return true;
  }

  async release(key: string, partition: number): Promise<void> {
    const id = `${key}\u0000${partition}`;
    if (!this.held.delete(id) || this.session === null) return;
    const session = this.session;
    await this.serially(async () =>
      (await session).query('SELECT pg_advisory_unlock($1, $2)', [leaseKey(key), partition]),
    );
  }

  /** Runs `query` after the ones before it have answered (or failed). */
  private serially<T>(query: () => Promise<T>): Promise<T> {
    const run = this.queue.then(query, query);
    this.queue = run.catch(() => undefined);
    return run;
  }

  holds(key: string, partition: number): boolean {
    return this.held.has(`${key}\u0000${partition}`);
  }

  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = null;
    this.current = null;
    this.held.clear();
    if (session) await (await session.catch(() => null))?.end().catch(() => {});
  }
}
