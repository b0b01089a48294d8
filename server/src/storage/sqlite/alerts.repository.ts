import {
  ACTIVE_ALERT_STATES,
  type Actor,
  type Alert,
  type AlertKind,
  type AlertState,
  type AlertTimelineEntry,
  alertCategory,
  type Outcome,
  type Severity,
} from '@carecircle/protocol';
import { placeholders, type Sql, sqlConstants } from './database';

const ACTIVE = sqlConstants(ACTIVE_ALERT_STATES);

const SELECT = `SELECT a.id, a.site_id AS siteId, a.resident_id AS residentId, r.name AS residentName, r.room AS room,
  a.device_id AS deviceId, a.kind, a.severity, a.state, a.count, a.first_event_ts AS firstEventTs,
  a.last_event_ts AS lastEventTs, a.raised_at AS raisedAt, a.updated_at AS updatedAt,
  a.acknowledged_at AS acknowledgedAt, a.acknowledged_by AS acknowledgedBy, a.resolved_at AS resolvedAt,
  a.outcome, a.note
  FROM alerts a LEFT JOIN residents r ON r.id = a.resident_id`;

type AlertRow = Omit<Alert, 'category' | 'acknowledgedBy'> & { acknowledgedBy: string | null };

function toAlert(row: AlertRow): Alert {
  return {
    ...row,
    category: alertCategory(row.kind),
    acknowledgedBy: row.acknowledgedBy ? (JSON.parse(row.acknowledgedBy) as Actor) : null,
  };
}

export interface NewAlert {
  id: string;
  siteId: string;
  residentId: string | null;
  deviceId: string;
  /** What "one active alert per (resident or device, kind)" is keyed on. */
  subject: string;
  kind: AlertKind;
  severity: Severity;
  eventTs: string;
  at: string;
}

export interface AlertFilter {
  state?: AlertState | 'active';
  siteIds?: readonly string[];
  residentIds?: readonly string[];
  kind?: AlertKind;
  limit: number;
}

export class AlertsRepository {
  constructor(private readonly db: Sql) {}

  get(id: string): Alert | null {
    const row = this.db.prepare(`${SELECT} WHERE a.id = ?`).get(id) as AlertRow | undefined;
    return row ? toAlert(row) : null;
  }

  findActive(subject: string, kind: AlertKind): Alert | null {
    const row = this.db
      .prepare(`${SELECT} WHERE a.subject = ? AND a.kind = ? AND a.state IN (${ACTIVE})`)
      .get(subject, kind) as AlertRow | undefined;
    return row ? toAlert(row) : null;
  }

  list(f: AlertFilter): Alert[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.state === 'active') where.push(`a.state IN (${ACTIVE})`);
    else if (f.state) {
      where.push('a.state = ?');
      args.push(f.state);
    }
    if (f.kind) {
      where.push('a.kind = ?');
      args.push(f.kind);
    }
    if (f.siteIds) {
      where.push(`a.site_id IN (${placeholders(f.siteIds.length)})`);
      args.push(...f.siteIds);
    }
    if (f.residentIds) {
      where.push(`a.resident_id IN (${placeholders(f.residentIds.length)})`);
      args.push(...f.residentIds);
    }
    const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, a.raised_at DESC
      LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit) as AlertRow[]).map(toAlert);
  }

  insert(a: NewAlert): void {
    this.db
      .prepare(
        `INSERT INTO alerts (id, site_id, resident_id, device_id, subject, kind, severity, state, count,
           first_event_ts, last_event_ts, raised_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'open', 1, ?, ?, ?, ?)`,
      )
      .run(a.id, a.siteId, a.residentId, a.deviceId, a.subject, a.kind, a.severity, a.eventTs, a.eventTs, a.at, a.at);
  }

  /** A repeat of the same condition while the alert is active. */
  bump(id: string, eventTs: string, at: string): void {
    this.db
      .prepare(
        'UPDATE alerts SET count = count + 1, last_event_ts = MAX(last_event_ts, ?), updated_at = ? WHERE id = ?',
      )
      .run(eventTs, at, id);
  }

  /** Compare-and-set on the state, so two people acting at once cannot both win. */
  transition(
    id: string,
    from: AlertState,
    to: AlertState,
    at: string,
    patch: { acknowledgedBy?: Actor; outcome?: Outcome; note?: string | null },
  ): boolean {
    const info = this.db
      .prepare(
        `UPDATE alerts SET state = ?, updated_at = ?,
           acknowledged_at = CASE WHEN ? IS NOT NULL THEN ? ELSE acknowledged_at END,
           acknowledged_by = COALESCE(?, acknowledged_by),
           resolved_at = CASE WHEN ? IN ('resolved', 'cancelled') THEN ? ELSE resolved_at END,
           outcome = COALESCE(?, outcome),
           note = COALESCE(?, note)
         WHERE id = ? AND state = ?`,
      )
      .run(
        to,
        at,
        patch.acknowledgedBy ? 1 : null,
        at,
        patch.acknowledgedBy ? JSON.stringify(patch.acknowledgedBy) : null,
        to,
        at,
        patch.outcome ?? null,
        patch.note ?? null,
        id,
        from,
      );
    return info.changes === 1;
  }

  /** `eventId`, `outcome` and `note` default to null. */
  addTimeline(
    e: Omit<AlertTimelineEntry, 'seq' | 'eventId' | 'outcome' | 'note'> &
      Partial<Pick<AlertTimelineEntry, 'eventId' | 'outcome' | 'note'>> & { alertId: string },
  ): void {
    this.db
      .prepare(
        `INSERT INTO alert_events (alert_id, at, action, from_state, to_state, actor_type, actor_id, actor_name,
           event_id, outcome, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.alertId,
        e.at,
        e.action,
        e.fromState,
        e.toState,
        e.actor.type,
        e.actor.id,
        e.actor.name,
        e.eventId ?? null,
        e.outcome ?? null,
        e.note ?? null,
      );
  }

  timeline(alertId: string): AlertTimelineEntry[] {
    const rows = this.db
      .prepare(
        `SELECT seq, at, action, from_state AS fromState, to_state AS toState, actor_type, actor_id, actor_name,
           event_id AS eventId, outcome, note FROM alert_events WHERE alert_id = ? ORDER BY seq`,
      )
      .all(alertId) as (Omit<AlertTimelineEntry, 'actor'> & {
      actor_type: Actor['type'];
      actor_id: string;
      actor_name: string;
    })[];
    return rows.map(({ actor_type, actor_id, actor_name, ...rest }) => ({
      ...rest,
      actor: { type: actor_type, id: actor_id, name: actor_name },
    }));
  }

  countActive(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM alerts WHERE state IN (${ACTIVE})`).get() as { n: number }).n;
  }
}
