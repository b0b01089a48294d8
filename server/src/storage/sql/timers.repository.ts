/**
 * Durable timers on SQL (`TimersRepository`). A task's generation is drawn at random (48 bits)
 * at each schedule, so a task moved, or cancelled and scheduled again, does not match a
 * generation read before (but with odds of 2^-48): `take` fences on it. A counter would do it
 * for certain, but one row every scheduler bumps would make every unit of work that schedules —
 * on every server — wait for the others' commits.
 */
import { randomInt } from 'node:crypto';
import { partitionOf } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import type { StoredTimer, TimersRepository, TimerTask } from '../ports';
import type { Tables, TimersTable } from './schema';

/** Tasks per statement in `scheduleMany` (7 bound values each). */
const SCHEDULE_CHUNK = 100;

function toTimer(r: TimersTable): StoredTimer {
  return {
    key: r.key,
    kind: r.kind,
    siteId: r.site_id,
    dueAt: r.due_at,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    partition: Number(r.partition),
    generation: Number(r.generation),
  };
}

export class SqlTimersRepository implements TimersRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly partitions: number,
  ) {}

  private row(task: TimerTask): TimersTable {
    return {
      key: task.key,
      partition: partitionOf(task.siteId, this.partitions),
      kind: task.kind,
      site_id: task.siteId,
      due_at: task.dueAt,
      payload: JSON.stringify(task.payload),
      generation: randomInt(1, 2 ** 48),
    };
  }

  async schedule(task: TimerTask): Promise<void> {
    await this.scheduleMany([task]);
  }

  async scheduleMany(tasks: readonly TimerTask[]): Promise<void> {
    // The last schedule of a key in the list wins, as if each were scheduled in order.
    const byKey = new Map(tasks.map((t) => [t.key, t]));
    const rows = [...byKey.values()].map((t) => this.row(t));
    for (let i = 0; i < rows.length; i += SCHEDULE_CHUNK) {
      await this.db
        .insertInto('timers')
        .values(rows.slice(i, i + SCHEDULE_CHUNK))
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            partition: eb.ref('excluded.partition'),
            kind: eb.ref('excluded.kind'),
            site_id: eb.ref('excluded.site_id'),
            due_at: eb.ref('excluded.due_at'),
            payload: eb.ref('excluded.payload'),
            generation: eb.ref('excluded.generation'),
          })),
        )
        .execute();
    }
  }

  async cancel(key: string): Promise<boolean> {
    const r = await this.db.deleteFrom('timers').where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async get(key: string): Promise<StoredTimer | null> {
    const r = await this.db.selectFrom('timers').selectAll().where('key', '=', key).executeTakeFirst();
    return r ? toTimer(r) : null;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, StoredTimer>> {
    const found = new Map<string, StoredTimer>();
    if (keys.length === 0) return found;
    const rows = await this.db.selectFrom('timers').selectAll().where('key', 'in', keys).execute();
    for (const r of rows) found.set(r.key, toTimer(r));
    return found;
  }

  async due(partition: number, now: string, limit: number): Promise<StoredTimer[]> {
    const rows = await this.db
      .selectFrom('timers')
      .selectAll()
      .where('partition', '=', partition)
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .orderBy('key')
      .limit(limit)
      .execute();
    return rows.map(toTimer);
  }

  async nextDue(partition: number): Promise<string | null> {
    const r = await this.db
      .selectFrom('timers')
      .select('due_at')
      .where('partition', '=', partition)
      .orderBy('due_at')
      .limit(1)
      .executeTakeFirst();
    return r?.due_at ?? null;
  }

  async take(key: string, generation: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom('timers')
      .where('key', '=', key)
      .where('generation', '=', generation)
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
