import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Tables } from './schema';

/**
 * Tells the other processes that share the state about a change, from inside the transaction
 * that makes it, so that they hear of it exactly when it commits (PostgreSQL: `announcePg` in
 * pg/changes.ts). An engine that only one process opens (SQLite) has none.
 */
export type Announce = (db: Kysely<Tables>, channel: 'alerts' | 'devices', payload: string) => Promise<void>;

/**
 * Tells each append listener, isolated: the notice is a hint (readers also poll), so one that
 * throws is logged and the others still hear.
 */
export function notifyEach(listeners: Iterable<(partition: number) => void>, partition: number, logger?: Logger): void {
  for (const listener of listeners) {
    try {
      listener(partition);
    } catch (err) {
      logger?.error({ err, partition }, 'log append listener failed');
    }
  }
}
