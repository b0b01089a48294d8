import type { User } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, seedWorld, type TestDb, type World } from '../testing/fixtures';
import { canSee, scopeOf, siteFilter } from './scope';

let t: TestDb;
let w: World;

beforeEach(async () => {
  t = createTestDb();
  w = await seedWorld(t.store, t.clock);
});
afterEach(() => t.close());

const user = (role: User['role'], siteId: string | null = null, residentId: string | null = null): User => ({
  id: `usr_${role}`,
  username: role,
  displayName: role,
  role,
  siteId,
  residentId,
});

describe('scope', () => {
  it('admin and supervisor see every site', async () => {
    for (const role of ['admin', 'supervisor'] as const) {
      const scope = scopeOf(user(role));
      expect(scope).toEqual({ siteIds: null, residentIds: null });
      expect(canSee(scope, { siteId: w.siteB, residentId: null })).toBe(true);
      expect(await siteFilter(scope, t.store)).toBeUndefined();
      expect(await siteFilter(scope, t.store, w.siteB)).toEqual([w.siteB]);
      expect(await siteFilter(scope, t.store, 'site_unknown')).toEqual([]);
    }
  });

  it('staff and responders see their own site only, even when asking for another', async () => {
    for (const role of ['staff', 'responder'] as const) {
      const scope = scopeOf(user(role, w.siteA));
      expect(canSee(scope, { siteId: w.siteA, residentId: null })).toBe(true);
      expect(canSee(scope, { siteId: w.siteB, residentId: w.resB.id })).toBe(false);
      expect(await siteFilter(scope, t.store)).toEqual([w.siteA]);
      expect(await siteFilter(scope, t.store, w.siteB)).toEqual([]);
    }
    expect(scopeOf(user('staff'))).toEqual({ siteIds: [], residentIds: null });
  });

  it('family see their relative and nothing else of the site', async () => {
    const scope = scopeOf(user('family', w.siteA, w.resA.id));
    expect(canSee(scope, { siteId: w.siteA, residentId: w.resA.id })).toBe(true);
    expect(canSee(scope, { siteId: w.siteA, residentId: w.resA2.id })).toBe(false);
    expect(canSee(scope, { siteId: w.siteA, residentId: null })).toBe(false);
    expect(await siteFilter(scope, t.store)).toBeUndefined();
    expect(await siteFilter(scope, t.store, w.siteB)).toEqual([w.siteB]);
  });

  it('family lists are limited by resident, so the site filter must not empty them', async () => {
    const scope = scopeOf(user('family', w.siteA, w.resA.id));
    const sites = await siteFilter(scope, t.store);
    const alertsFilter = { limit: 10, ...(sites ? { siteIds: sites } : {}), residentIds: scope.residentIds ?? [] };
    await t.store.alerts.insert({
      id: 'alt_1',
      siteId: w.siteA,
      residentId: w.resA.id,
      deviceId: w.devA,
      subject: `resident:${w.resA.id}`,
      kind: 'sos',
      severity: 'critical',
      eventTs: t.clock.iso(),
      at: t.clock.iso(),
    });
    expect((await t.store.alerts.list(alertsFilter)).map((a) => a.id)).toEqual(['alt_1']);
    expect(
      (
        await t.store.residents.board({ ...(sites ? { siteIds: sites } : {}), residentIds: scope.residentIds ?? [] })
      ).map((r) => r.id),
    ).toEqual([w.resA.id]);
  });
});
