import type { Actor } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import type { AuditEntry, AuditRepository } from '../ports';
import type { Tables } from './schema';

export class SqlAuditRepository implements AuditRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async record(
    at: string,
    actor: Actor,
    action: string,
    target: string | null,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at,
        actor_type: actor.type,
        actor_id: actor.id,
        action,
        target,
        detail: detail ? JSON.stringify(detail) : null,
      })
      .execute();
  }

  async list(limit = 100): Promise<AuditEntry[]> {
    const rows = await this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      actorType: r.actor_type as Actor['type'],
      actorId: r.actor_id,
      action: r.action,
      target: r.target,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    }));
  }
}
