/**
 * Brings a PostgreSQL state database up to date: `schema_migrations` as on SQLite (version,
 * name, applied_at), each pending migration in a transaction of its own with its bookkeeping row.
 *
 * Several servers may start at once against one database (roadmap step 4). Every transaction
 * here first takes one transaction-scoped advisory lock, so the migrations run one server at a
 * time: a server that waited finds the version recorded and skips it. Without the lock, two
 * `CREATE TABLE IF NOT EXISTS` racing can both fail on a catalog unique index, and two servers
 * could each run a migration that is not idempotent.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Migration } from './migrations';

/**
 * The advisory lock key of schema changes. Advisory keys are per database; the partition leases
 * of roadmap step 4 must take theirs from another range (or the two-key form).
 */
export const MIGRATION_LOCK_KEY = 0x63_63_6d_69_67_72; // 'ccmigr'

async function inTransaction<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {}); // the connection may be gone: the error says why
    throw err;
  }
}

/** Applies what is pending; answers the versions this call applied (none when another server did). */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: readonly Migration[],
  logger: Logger,
): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  let failed = false;
  try {
    const done = await inTransaction(client, async () => {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      return new Set(rows.map((r) => r.version));
    });
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      const ran = await inTransaction(client, async () => {
        // Another server may have applied it while this one waited for the lock.
        const { rowCount } = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
        if (rowCount) return false;
        // No parameters: the simple query protocol, which runs several statements in one go.
        if (m.sql.trim() !== '') await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          new Date().toISOString(),
        ]);
        return true;
      });
      if (ran) {
        applied.push(m.version);
        logger.info({ version: m.version, name: m.name }, 'applied migration');
      }
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    client.release(failed); // a connection that failed is not handed out again
  }
  return applied;
}
