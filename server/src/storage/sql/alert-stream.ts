/**
 * The durable alert stream on SQL (DESIGN.md, "Data flow"). Entries are written only inside a
 * unit of work, with the change they describe; each append takes the next offset of its
 * partition from `log_heads` in the same transaction, so offsets have no gaps and follow
 * commit order on SQLite and PostgreSQL alike (a plain sequence would not: a later
 * transaction could commit a higher number first, and a reader would step over the lower one).
 */
import {
  type Actor,
  type Alert,
  type AlertFact,
  type AlertState,
  type AlertTimelineEntry,
  type Outcome,
  type Page,
  partitionOf,
} from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AlertStream, AlertStreamAction, AlertStreamAppend, AlertStreamEntry, AlertStreamWriter } from '../ports';
import { notifyEach } from './notify';
import type { AlertStreamTable, Tables } from './schema';

const LOG = 'alerts';

function toEntry(r: AlertStreamTable): AlertStreamEntry {
  return {
    partition: Number(r.partition),
    offset: Number(r.offset),
    siteId: r.site_id,
    residentId: r.resident_id,
    alertId: r.alert_id,
    at: r.at,
    action: r.action as AlertStreamAction,
    fromState: r.from_state as AlertState | null,
    toState: r.to_state as AlertState | null,
    actor: { type: r.actor_type as Actor['type'], id: r.actor_id, name: r.actor_name },
    eventId: r.event_id,
    outcome: r.outcome as Outcome | null,
    note: r.note,
    page: r.page ? (JSON.parse(r.page) as Page) : null,
    facts: r.facts ? (JSON.parse(r.facts) as AlertFact[]) : null,
    alert: r.alert ? (JSON.parse(r.alert) as Alert) : null,
  };
}

export class SqlAlertStreamWriter implements AlertStreamWriter {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly partitions: number,
    /** Told of each partition written, so the store can wake readers after the commit. */
    private readonly written: (partition: number) => void,
  ) {}

  async append(e: AlertStreamAppend): Promise<AlertStreamEntry> {
    const partition = partitionOf(e.siteId, this.partitions);
    const { head } = await this.db
      .insertInto('log_heads')
      .values({ log: LOG, partition, head: 1 })
      .onConflict((oc) =>
        oc.columns(['log', 'partition']).doUpdateSet((eb) => ({ head: eb('log_heads.head', '+', 1) })),
      )
      .returning('head')
      .executeTakeFirstOrThrow();
    const row: AlertStreamTable = {
      partition,
      offset: Number(head),
      site_id: e.siteId,
      resident_id: e.residentId,
      alert_id: e.alertId,
      at: e.at,
      action: e.action,
      from_state: e.fromState,
      to_state: e.toState,
      actor_type: e.actor.type,
      actor_id: e.actor.id,
      actor_name: e.actor.name,
      event_id: e.eventId ?? null,
      outcome: e.outcome ?? null,
      note: e.note ?? null,
      page: e.page ? JSON.stringify(e.page) : null,
      facts: e.facts?.length ? JSON.stringify(e.facts) : null,
      alert: e.alert ? JSON.stringify(e.alert) : null,
    };
    await this.db.insertInto('alert_stream').values(row).execute();
    this.written(partition);
    return toEntry(row);
  }

  async timeline(alertId: string): Promise<AlertTimelineEntry[]> {
    const rows = await this.db
      .selectFrom('alert_stream')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('partition')
      .orderBy('offset')
      .execute();
    return rows.flatMap((r): AlertTimelineEntry[] => {
      const e = toEntry(r);
      if (e.action === 'device_status' || e.toState === null) return [];
      return [
        {
          seq: e.offset,
          at: e.at,
          action: e.action,
          fromState: e.fromState,
          toState: e.toState,
          actor: e.actor,
          eventId: e.eventId,
          outcome: e.outcome,
          note: e.note,
          page: e.page,
          facts: e.facts,
        },
      ];
    });
  }
}

export class SqlAlertStream implements AlertStream {
  private readonly listeners = new Set<(partition: number) => void>();

  constructor(
    private readonly db: Kysely<Tables>,
    readonly partitions: number,
    private readonly logger?: Logger,
  ) {}

  async read(partition: number, after: number, limit: number): Promise<AlertStreamEntry[]> {
    const rows = await this.db
      .selectFrom('alert_stream')
      .selectAll()
      .where('partition', '=', partition)
      .where('offset', '>', after)
      .orderBy('offset')
      .limit(limit)
      .execute();
    return rows.map(toEntry);
  }

  async head(partition: number): Promise<number> {
    const r = await this.db
      .selectFrom('log_heads')
      .select('head')
      .where('log', '=', LOG)
      .where('partition', '=', partition)
      .executeTakeFirst();
    return r ? Number(r.head) : 0;
  }

  onAppend(listener: (partition: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the store once a unit of work that appended to `partitions` has committed. */
  committed(partitions: Iterable<number>): void {
    for (const p of partitions) notifyEach(this.listeners, p, this.logger);
  }
}
