import type { Actor } from '@carecircle/protocol';
import type { Sql } from './database';

/** Append-only record of who did what (logins, provisioning, alert actions). Never holds secrets. */
export class AuditRepository {
  constructor(private readonly db: Sql) {}

  record(at: string, actor: Actor, action: string, target: string | null, detail?: Record<string, unknown>): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor_type, actor_id, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(at, actor.type, actor.id, action, target, detail ? JSON.stringify(detail) : null);
  }

  list(
    limit = 100,
  ): { seq: number; at: string; actorType: string; actorId: string; action: string; target: string | null }[] {
    return this.db
      .prepare(
        'SELECT seq, at, actor_type AS actorType, actor_id AS actorId, action, target FROM audit_log ORDER BY seq DESC LIMIT ?',
      )
      .all(limit) as never;
  }
}
