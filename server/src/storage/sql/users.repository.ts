import type { Role, User } from '@carecircle/protocol';
import type { Kysely } from 'kysely';
import { newId } from '../ids';
import type { DutyShift, NewUser, SessionsRepository, UsersRepository } from '../ports';
import type { Tables } from './schema';

const COLUMNS = [
  'u.id',
  'u.username',
  'u.display_name as displayName',
  'u.role',
  'u.site_id as siteId',
  'u.resident_id as residentId',
] as const;

function toUser<R extends { role: string }>(r: R): Omit<R, 'role'> & { role: Role } {
  return { ...r, role: r.role as Role };
}

export class SqlUsersRepository implements UsersRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async create(input: NewUser, now: string): Promise<User> {
    const user: User = {
      id: newId('usr'),
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      siteId: input.siteId,
      residentId: input.residentId,
    };
    await this.db
      .insertInto('users')
      .values({
        id: user.id,
        username: user.username,
        display_name: user.displayName,
        role: user.role,
        site_id: user.siteId,
        resident_id: user.residentId,
        password_hash: input.passwordHash,
        created_at: now,
      })
      .execute();
    return user;
  }

  async get(id: string): Promise<User | null> {
    const r = await this.db.selectFrom('users as u').select(COLUMNS).where('u.id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async list(filter: { roles: readonly Role[]; siteId?: string }): Promise<User[]> {
    if (filter.roles.length === 0) return [];
    let q = this.db.selectFrom('users as u').select(COLUMNS).where('u.role', 'in', filter.roles).orderBy('u.username');
    const { siteId } = filter;
    if (siteId !== undefined) q = q.where((eb) => eb.or([eb('u.site_id', '=', siteId), eb('u.site_id', 'is', null)]));
    return (await q.execute()).map(toUser);
  }

  async setShifts(userId: string, shifts: readonly DutyShift[]): Promise<void> {
    const work = async (db: Kysely<Tables>) => {
      await db.deleteFrom('duty_shifts').where('user_id', '=', userId).execute();
      if (shifts.length === 0) return;
      await db
        .insertInto('duty_shifts')
        .values(shifts.map((s) => ({ user_id: userId, weekday: s.weekday, start_minute: s.start, end_minute: s.end })))
        .execute();
    };
    await (this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work));
  }

  async shiftsOf(userId: string): Promise<DutyShift[]> {
    const rows = await this.db
      .selectFrom('duty_shifts')
      .select(['weekday', 'start_minute', 'end_minute'])
      .where('user_id', '=', userId)
      .orderBy('weekday')
      .orderBy('start_minute')
      .execute();
    return rows.map((r) => ({ weekday: Number(r.weekday), start: Number(r.start_minute), end: Number(r.end_minute) }));
  }

  async shiftsAt(siteId: string): Promise<Map<string, DutyShift[]>> {
    const rows = await this.db
      .selectFrom('duty_shifts as d')
      .innerJoin('users as u', 'u.id', 'd.user_id')
      .select(['d.user_id', 'd.weekday', 'd.start_minute', 'd.end_minute'])
      .where('u.site_id', '=', siteId)
      .orderBy('d.user_id')
      .orderBy('d.weekday')
      .orderBy('d.start_minute')
      .execute();
    const out = new Map<string, DutyShift[]>();
    for (const r of rows) {
      const list = out.get(r.user_id) ?? [];
      list.push({ weekday: Number(r.weekday), start: Number(r.start_minute), end: Number(r.end_minute) });
      out.set(r.user_id, list);
    }
    return out;
  }

  async findByUsername(username: string): Promise<(User & { passwordHash: string }) | null> {
    const r = await this.db
      .selectFrom('users as u')
      .select([...COLUMNS, 'u.password_hash as passwordHash'])
      .where('u.username', '=', username)
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    await this.db.deleteFrom('sessions').where('user_id', '=', id).execute();
  }
}

export class SqlSessionsRepository implements SessionsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async create(input: { tokenHash: string; userId: string; now: string; expiresAt: string }): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: input.tokenHash,
        user_id: input.userId,
        created_at: input.now,
        expires_at: input.expiresAt,
      })
      .execute();
  }

  async userFor(tokenHash: string, now: string): Promise<User | null> {
    const r = await this.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(COLUMNS)
      .where('s.token_hash', '=', tokenHash)
      .where('s.expires_at', '>', now)
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  async purgeExpired(now: string): Promise<number> {
    const r = await this.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
