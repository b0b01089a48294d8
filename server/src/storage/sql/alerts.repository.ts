import {
  ACTIVE_ALERT_STATES,
  type Actor,
  type Alert,
  type AlertCategory,
  type AlertKind,
  type AlertState,
  alertCategory,
  CARE_ALERT_KINDS,
  type Outcome,
  SEVERITIES,
  type Severity,
  TECHNICAL_ALERT_KINDS,
} from '@carecircle/protocol';
import { type Kysely, sql } from 'kysely';
import type { AlertFilter, AlertPatch, AlertsRepository, NewAlert, SiteAlertCounts } from '../ports';
import type { Tables } from './schema';

function selectAlerts(db: Kysely<Tables>) {
  return db
    .selectFrom('alerts as a')
    .leftJoin('residents as r', 'r.id', 'a.resident_id')
    .select([
      'a.id',
      'a.site_id',
      'a.resident_id',
      'r.name as resident_name',
      'r.room',
      'a.device_id',
      'a.kind',
      'a.severity',
      'a.state',
      'a.count',
      'a.first_event_ts',
      'a.last_event_ts',
      'a.raised_at',
      'a.updated_at',
      'a.acknowledged_at',
      'a.acknowledged_by',
      'a.resolved_at',
      'a.outcome',
      'a.note',
      'a.ring',
      'a.paged_at',
    ]);
}

type Row = NonNullable<Awaited<ReturnType<ReturnType<typeof selectAlerts>['executeTakeFirst']>>>;

function toAlert(r: Row): Alert {
  const kind = r.kind as AlertKind;
  return {
    id: r.id,
    siteId: r.site_id,
    residentId: r.resident_id,
    residentName: r.resident_name ?? null,
    room: r.room ?? null,
    deviceId: r.device_id,
    kind,
    category: alertCategory(kind),
    severity: r.severity as Severity,
    state: r.state as AlertState,
    count: Number(r.count),
    firstEventTs: r.first_event_ts,
    lastEventTs: r.last_event_ts,
    raisedAt: r.raised_at,
    updatedAt: r.updated_at,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by ? (JSON.parse(r.acknowledged_by) as Actor) : null,
    resolvedAt: r.resolved_at,
    outcome: r.outcome as Outcome | null,
    note: r.note,
    ring: r.ring === null ? null : Number(r.ring),
    pagedAt: r.paged_at,
  };
}

/** The states an alert is over in: `resolved_at` is set on entering either (see `transition`). */
const CLOSED_ALERT_STATES = ['resolved', 'cancelled'] as const satisfies readonly AlertState[];

const KINDS_OF: Readonly<Record<AlertCategory, readonly AlertKind[]>> = {
  care: CARE_ALERT_KINDS,
  technical: TECHNICAL_ALERT_KINDS,
};

/**
 * Severity rank from the contract's order (critical first), as SQL. The ranks are literals: bound
 * as parameters, PostgreSQL would type them as text and order '10' before '2'.
 */
function severityRank() {
  return sql<number>`CASE a.severity ${sql.join(
    SEVERITIES.map((s, i) => sql`WHEN ${s} THEN ${sql.lit(i)}`),
    sql` `,
  )} ELSE ${sql.lit(SEVERITIES.length)} END`;
}

export class SqlAlertsRepository implements AlertsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async get(id: string): Promise<Alert | null> {
    const r = await selectAlerts(this.db).where('a.id', '=', id).executeTakeFirst();
    return r ? toAlert(r) : null;
  }

  async findActive(subject: string, kind: AlertKind): Promise<Alert | null> {
    const r = await selectAlerts(this.db)
      .where('a.subject', '=', subject)
      .where('a.kind', '=', kind)
      .where('a.state', 'in', ACTIVE_ALERT_STATES)
      .executeTakeFirst();
    return r ? toAlert(r) : null;
  }

  async list(f: AlertFilter): Promise<Alert[]> {
    if (f.siteIds?.length === 0 || f.residentIds?.length === 0) return [];
    let q = selectAlerts(this.db);
    if (f.state === 'active') q = q.where('a.state', 'in', ACTIVE_ALERT_STATES);
    else if (f.state === 'closed') q = q.where('a.state', 'in', CLOSED_ALERT_STATES);
    else if (f.state) q = q.where('a.state', '=', f.state);
    if (f.kind) q = q.where('a.kind', '=', f.kind);
    if (f.category) q = q.where('a.kind', 'in', KINDS_OF[f.category]);
    if (f.siteIds) q = q.where('a.site_id', 'in', f.siteIds);
    if (f.residentIds) q = q.where('a.resident_id', 'in', f.residentIds);
    // ISO text of one shape (`toISOString`) in both stores (PostgreSQL: COLLATE "C"), so text order is time order.
    if (f.raisedFrom) q = q.where('a.raised_at', '>=', f.raisedFrom);
    if (f.raisedBefore) q = q.where('a.raised_at', '<', f.raisedBefore);
    if (f.closedFrom) q = q.where('a.resolved_at', '>=', f.closedFrom);
    const ordered =
      f.state === 'closed'
        ? q.orderBy('a.resolved_at', 'desc').orderBy('a.id')
        : q.orderBy(severityRank()).orderBy('a.raised_at', 'desc').orderBy('a.id');
    const rows = await ordered.limit(f.limit).execute();
    return rows.map(toAlert);
  }

  async insert(a: NewAlert): Promise<void> {
    await this.db
      .insertInto('alerts')
      .values({
        id: a.id,
        site_id: a.siteId,
        resident_id: a.residentId,
        device_id: a.deviceId,
        subject: a.subject,
        kind: a.kind,
        severity: a.severity,
        state: 'open' satisfies AlertState,
        count: 1,
        first_event_ts: a.eventTs,
        last_event_ts: a.eventTs,
        raised_at: a.at,
        updated_at: a.at,
      })
      .execute();
  }

  async bump(id: string, eventTs: string, at: string): Promise<void> {
    await this.db
      .updateTable('alerts')
      .set((eb) => ({
        count: eb('count', '+', 1),
        last_event_ts: eb.case().when('last_event_ts', '<', eventTs).then(eventTs).else(eb.ref('last_event_ts')).end(),
        updated_at: at,
      }))
      .where('id', '=', id)
      .execute();
  }

  async transition(id: string, from: AlertState, to: AlertState, at: string, patch: AlertPatch): Promise<boolean> {
    const closing: readonly AlertState[] = CLOSED_ALERT_STATES;
    const r = await this.db
      .updateTable('alerts')
      .set({
        state: to,
        updated_at: at,
        ...(patch.acknowledgedBy ? { acknowledged_at: at, acknowledged_by: JSON.stringify(patch.acknowledgedBy) } : {}),
        ...(closing.includes(to) ? { resolved_at: at } : {}),
        ...(patch.outcome ? { outcome: patch.outcome } : {}),
        ...(patch.note ? { note: patch.note } : {}),
      })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async markPaged(id: string, ring: number, at: string): Promise<void> {
    await this.db
      .updateTable('alerts')
      .set((eb) => ({
        ring: eb.case().when('ring', '>', ring).then(eb.ref('ring')).else(ring).end(),
        paged_at: at,
        updated_at: at,
      }))
      .where('id', '=', id)
      .execute();
  }

  async countActive(): Promise<number> {
    const r = await this.db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', 'in', ACTIVE_ALERT_STATES)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async activeCountsBySite(siteIds?: readonly string[]): Promise<SiteAlertCounts[]> {
    if (siteIds?.length === 0) return [];
    // One grouped query over the active alerts. The 1s are literals: COUNT skips the NULL the
    // CASE answers otherwise, and PostgreSQL need not type a bound parameter.
    const one = sql.lit(1);
    let q = this.db
      .selectFrom('alerts as a')
      .select((eb) => [
        'a.site_id',
        eb.fn.count<number | string>(eb.case().when('a.kind', 'in', CARE_ALERT_KINDS).then(one).end()).as('care'),
        eb.fn
          .count<number | string>(eb.case().when('a.kind', 'in', TECHNICAL_ALERT_KINDS).then(one).end())
          .as('technical'),
        eb.fn
          .count<number | string>(
            eb
              .case()
              .when(eb.and([eb('a.state', '=', 'open'), eb('a.severity', '=', SEVERITIES[0])]))
              .then(one)
              .end(),
          )
          .as('unclaimed_critical'),
        eb.fn
          .min<string | null>(eb.case().when('a.state', '=', 'open').then(eb.ref('a.raised_at')).end())
          .as('oldest_open_at'),
      ])
      .where('a.state', 'in', ACTIVE_ALERT_STATES);
    if (siteIds) q = q.where('a.site_id', 'in', siteIds);
    const rows = await q.groupBy('a.site_id').execute();
    return rows.map((r) => ({
      siteId: r.site_id,
      care: Number(r.care),
      technical: Number(r.technical),
      unclaimedCritical: Number(r.unclaimed_critical),
      oldestOpenAt: r.oldest_open_at ?? null,
    }));
  }
}
