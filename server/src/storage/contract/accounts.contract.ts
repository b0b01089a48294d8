/** The state store's contract, part two: users, sessions and the audit log. */
import { ROLES } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import type { NewUser, StateStore } from '../ports';
import { at, type Fresh, NURSE, place, SYSTEM } from './harness';

async function addUser(store: StateStore, username: string, patch: Partial<NewUser> = {}) {
  return store.users.create(
    {
      username,
      displayName: `${username} (display)`,
      role: ROLES[0],
      siteId: null,
      residentId: null,
      passwordHash: `hash-of-${username}`,
      ...patch,
    },
    at(),
  );
}

export function describeAccountsContract(fresh: Fresh): void {
  describe('users', () => {
    it('creates a user of every role and gets each back by id; null for an unknown one', async () => {
      const store = await fresh();
      const { siteId, resident } = await place(store);
      for (const role of ROLES) {
        const scoped = { siteId, residentId: role === 'family' ? resident.id : null };
        const user = await addUser(store, `user-${role}`, { role, ...scoped });
        expect(user).toEqual({
          id: expect.any(String),
          username: `user-${role}`,
          displayName: `user-${role} (display)`,
          role,
          ...scoped,
        });
        expect(await store.users.get(user.id)).toEqual(user);
      }
      expect(await store.users.get('usr_unknown')).toBeNull();
    });

    it('finds a user by username with the password hash; null for an unknown name', async () => {
      const store = await fresh();
      const user = await addUser(store, 'zhou');
      await addUser(store, 'li');
      expect(await store.users.findByUsername('zhou')).toEqual({ ...user, passwordHash: 'hash-of-zhou' });
      expect(await store.users.findByUsername('nobody')).toBeNull();
      expect(await store.users.get(user.id)).not.toHaveProperty('passwordHash');
    });

    it("replaces the password hash and ends that user's sessions, and no one else's", async () => {
      const store = await fresh();
      const zhou = await addUser(store, 'zhou');
      const li = await addUser(store, 'li');
      const expiresAt = at(3600);
      await store.sessions.create({ tokenHash: 'tok-zhou-1', userId: zhou.id, now: at(), expiresAt });
      await store.sessions.create({ tokenHash: 'tok-zhou-2', userId: zhou.id, now: at(), expiresAt });
      await store.sessions.create({ tokenHash: 'tok-li', userId: li.id, now: at(), expiresAt });

      await store.users.setPasswordHash(zhou.id, 'new-hash');
      expect((await store.users.findByUsername('zhou'))?.passwordHash).toBe('new-hash');
      expect((await store.users.findByUsername('li'))?.passwordHash).toBe('hash-of-li');
      expect(await store.sessions.userFor('tok-zhou-1', at(1))).toBeNull();
      expect(await store.sessions.userFor('tok-zhou-2', at(1))).toBeNull();
      expect(await store.sessions.userFor('tok-li', at(1))).toEqual(li);
    });
  });

  describe('users by role, and duty shifts', () => {
    it('lists users of some roles, of a site (those with no site count for every site), by username', async () => {
      const store = await fresh();
      const a = await place(store, 'Sunshine');
      const b = await place(store, 'Heping');
      await addUser(store, 'zhou', { role: 'staff', siteId: a.siteId });
      await addUser(store, 'li', { role: 'staff', siteId: b.siteId });
      await addUser(store, 'boss', { role: 'supervisor' });
      await addUser(store, 'root', { role: 'admin' });
      const names = (users: { username: string }[]) => users.map((u) => u.username);
      expect(names(await store.users.list({ roles: ['staff'], siteId: a.siteId }))).toEqual(['zhou']);
      expect(names(await store.users.list({ roles: ['supervisor'], siteId: a.siteId }))).toEqual(['boss']);
      expect(names(await store.users.list({ roles: ['staff', 'admin'] }))).toEqual(['li', 'root', 'zhou']);
      expect(await store.users.list({ roles: [] })).toEqual([]);
    });

    it("replaces a user's shifts, and answers a site's shifts by user", async () => {
      const store = await fresh();
      const a = await place(store, 'Sunshine');
      const zhou = await addUser(store, 'zhou', { role: 'staff', siteId: a.siteId });
      const wang = await addUser(store, 'wang', { role: 'staff', siteId: a.siteId });
      const night = { weekday: 1, start: 22 * 60, end: 6 * 60 };
      const day = { weekday: 1, start: 8 * 60, end: 16 * 60 };
      await store.users.setShifts(zhou.id, [night, day]);
      await store.users.setShifts(wang.id, [{ weekday: 7, start: 0, end: 8 * 60 }]);
      expect(await store.users.shiftsOf(zhou.id)).toEqual([day, night]);
      await store.users.setShifts(zhou.id, [night]);
      expect(await store.users.shiftsOf(zhou.id)).toEqual([night]);
      expect(await store.users.shiftsAt(a.siteId)).toEqual(
        new Map([
          [zhou.id, [night]],
          [wang.id, [{ weekday: 7, start: 0, end: 8 * 60 }]],
        ]),
      );
      await store.users.setShifts(wang.id, []);
      expect([...(await store.users.shiftsAt(a.siteId)).keys()]).toEqual([zhou.id]);
    });
  });

  describe('sessions', () => {
    it('answers the user behind a live session, and null once it expired or for an unknown token', async () => {
      const store = await fresh();
      const user = await addUser(store, 'zhou');
      await store.sessions.create({ tokenHash: 'tok', userId: user.id, now: at(0), expiresAt: at(60) });
      expect(await store.sessions.userFor('tok', at(0))).toEqual(user);
      expect(await store.sessions.userFor('tok', at(59))).toEqual(user);
      expect(await store.sessions.userFor('tok', at(61))).toBeNull();
      expect(await store.sessions.userFor('tok-unknown', at(0))).toBeNull();
    });

    it('agrees with purgeExpired on whether a session is expired at the very moment it expires', async () => {
      const store = await fresh();
      const user = await addUser(store, 'zhou');
      await store.sessions.create({ tokenHash: 'tok', userId: user.id, now: at(0), expiresAt: at(60) });
      const liveAtExpiry = (await store.sessions.userFor('tok', at(60))) !== null;
      expect(await store.sessions.purgeExpired(at(60))).toBe(liveAtExpiry ? 0 : 1);
    });

    it('ends one session on delete and leaves the others', async () => {
      const store = await fresh();
      const user = await addUser(store, 'zhou');
      for (const tokenHash of ['tok-1', 'tok-2']) {
        await store.sessions.create({ tokenHash, userId: user.id, now: at(0), expiresAt: at(60) });
      }
      await store.sessions.delete('tok-1');
      await store.sessions.delete('tok-unknown');
      expect(await store.sessions.userFor('tok-1', at(1))).toBeNull();
      expect(await store.sessions.userFor('tok-2', at(1))).toEqual(user);
    });

    it('purges the sessions expired at `now`, counts them, and keeps the live ones', async () => {
      const store = await fresh();
      const user = await addUser(store, 'zhou');
      const sessions: [string, number][] = [
        ['tok-old-1', 10],
        ['tok-old-2', 20],
        ['tok-live', 120],
      ];
      for (const [tokenHash, expires] of sessions) {
        await store.sessions.create({ tokenHash, userId: user.id, now: at(0), expiresAt: at(expires) });
      }
      expect(await store.sessions.purgeExpired(at(30))).toBe(2);
      expect(await store.sessions.purgeExpired(at(30))).toBe(0);
      // Gone, not merely expired: a clock set back would not bring them back.
      expect(await store.sessions.userFor('tok-old-1', at(0))).toBeNull();
      expect(await store.sessions.userFor('tok-live', at(30))).toEqual(user);
    });
  });

  describe('audit', () => {
    it('lists what was recorded, newest first, with its detail as recorded', async () => {
      const store = await fresh();
      const detail = { outcome: 'false_alarm', nested: { count: 2, ok: true, list: ['a', 1] } };
      await store.audit.record(at(1), NURSE, 'auth.login', null);
      await store.audit.record(at(2), SYSTEM, 'device.provisioned', 'dev-1', { type: 'sos_button' });
      await store.audit.record(at(3), NURSE, 'alert.resolved', 'alt-1', detail);
      const entries = await store.audit.list();
      expect(entries).toEqual([
        {
          seq: expect.any(Number),
          at: at(3),
          actorType: 'user',
          actorId: NURSE.id,
          action: 'alert.resolved',
          target: 'alt-1',
          detail,
        },
        {
          seq: expect.any(Number),
          at: at(2),
          actorType: 'system',
          actorId: SYSTEM.id,
          action: 'device.provisioned',
          target: 'dev-1',
          detail: { type: 'sos_button' },
        },
        {
          seq: expect.any(Number),
          at: at(1),
          actorType: 'user',
          actorId: NURSE.id,
          action: 'auth.login',
          target: null,
          detail: null,
        },
      ]);
      const seqs = entries.map((e) => e.seq);
      expect([...seqs].sort((x, y) => y - x)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
    });

    it('lists at most `limit` entries, the newest', async () => {
      const store = await fresh();
      for (let i = 1; i <= 5; i++) await store.audit.record(at(i), SYSTEM, `action.${i}`, null);
      expect((await store.audit.list(2)).map((e) => e.action)).toEqual(['action.5', 'action.4']);
    });
  });
}
