import { type GeoPoint, POSITION_FRESH_MS } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { type Candidate, nextOffer, rankForHome, whereIs } from './ranking';
import { GreatCircleEstimator, type TravelTimeEstimator } from './travel-time';

// A made-up block around People's Square, Shanghai. Hand-checked scale (see travel-time.test.ts):
// 0.001° latitude = 111.195 m; 0.01° longitude at 31.2304° N = 950.82 m. Street distance = 1.4 × straight;
// speeds (m/min): walk 75, bicycle 200, ebike 300, car 366.667.
const HOME = { lat: 31.2304, lon: 121.4737 };
const at = (dLat: number, dLon = 0): GeoPoint => ({ lat: HOME.lat + dLat, lon: HOME.lon + dLon });
const NOW = Date.UTC(2025, 2, 14, 9, 30);
const est = new GreatCircleEstimator();

const candidate = (over: Partial<Candidate> & Pick<Candidate, 'responderId'>): Candidate => ({
  name: over.responderId,
  mode: 'walk',
  homeBase: HOME,
  position: null,
  onDuty: true,
  handlingCritical: false,
  ...over,
});

// alice: walks from 0.0072° N = 800.60 m → 800.605 × 1.4 / 75 = 14.9446 min (just inside)
// bob: walks from 0.0073° N = 811.72 m → 15.152 min (just outside)
// chen: bicycle, home base 0.02° N (2,223.90 m → 15.568 min) but a fresh live position 0.005° S
//       = 555.98 m → 555.98 × 1.4 / 200 = 3.892 min
// dai: ebike, stale live position next door; home base 0.03° E = 2,852.45 m → 2852.45 × 1.4 / 300 = 13.311 min
// eve: off duty, right next door — never counts
// fang: car, handling a critical alert, home base 0.01° E = 950.82 m → 950.82 × 1.4 / 366.667 = 3.630 min
const MAP: Candidate[] = [
  candidate({ responderId: 'alice', homeBase: at(0.0072) }),
  candidate({ responderId: 'bob', homeBase: at(0.0073) }),
  candidate({
    responderId: 'chen',
    mode: 'bicycle',
    homeBase: at(0.02),
    position: { ...at(-0.005), at: NOW - 2 * 60_000 },
  }),
  candidate({
    responderId: 'dai',
    mode: 'ebike',
    homeBase: at(0, 0.03),
    position: { ...at(0.0001), at: NOW - POSITION_FRESH_MS - 1 },
  }),
  candidate({ responderId: 'eve', homeBase: at(0.0001), onDuty: false }),
  candidate({ responderId: 'fang', mode: 'car', homeBase: at(0, 0.01), handlingCritical: true }),
];

const ids = (rs: { responderId: string }[]) => rs.map((r) => r.responderId);

describe('whereIs', () => {
  const base = candidate({ responderId: 'x', homeBase: at(0.01) });
  const live = (t: number) => ({ ...base, position: { ...at(-0.01), at: t } });

  it('uses the live position while it is fresh, up to POSITION_FRESH_MS old', () => {
    expect(whereIs(live(NOW), NOW)).toEqual({ point: at(-0.01), source: 'live' });
    expect(whereIs(live(NOW - POSITION_FRESH_MS), NOW).source).toBe('live');
  });

  it('falls back to the home base once stale, or with no position', () => {
    expect(whereIs(live(NOW - POSITION_FRESH_MS - 1), NOW)).toEqual({ point: at(0.01), source: 'home' });
    expect(whereIs(base, NOW)).toEqual({ point: at(0.01), source: 'home' });
  });

  it('tolerates a phone clock up to 60 s ahead, not more', () => {
    expect(whereIs(live(NOW + 60_000), NOW).source).toBe('live');
    expect(whereIs(live(NOW + 60_001), NOW).source).toBe('home');
  });
});

describe('rankForHome', () => {
  it('splits on-duty responders into in time and late, fastest first, and offers the free ones', () => {
    const r = rankForHome(HOME, MAP, est, NOW);
    expect(ids(r.inTime)).toEqual(['fang', 'chen', 'dai', 'alice']);
    expect(r.inTime.map((x) => x.minutes)).toEqual([
      expect.closeTo(3.63, 2),
      expect.closeTo(3.892, 2),
      expect.closeTo(13.311, 2),
      expect.closeTo(14.9446, 3),
    ]);
    expect(r.inTime.map((x) => x.meters)).toEqual([
      expect.closeTo(950.82, 1),
      expect.closeTo(555.98, 1),
      expect.closeTo(2852.45, 1),
      expect.closeTo(800.6, 1),
    ]);
    expect(r.inTime.map((x) => x.source)).toEqual(['home', 'live', 'home', 'home']); // dai's position is stale
    expect(ids(r.late)).toEqual(['bob']);
    expect(r.late[0]?.minutes).toBeCloseTo(15.152, 2);
    // fang is fastest but already at a critical alert: free responders are offered first.
    expect(ids(r.offer)).toEqual(['chen', 'dai', 'alice']);
    expect(r.offer[0]).toMatchObject({ responderId: 'chen', name: 'chen', mode: 'bicycle', source: 'live' });
  });

  it('never counts off-duty responders, however close', () => {
    const r = rankForHome(HOME, MAP, est, NOW);
    expect([...ids(r.inTime), ...ids(r.late)]).not.toContain('eve');
  });

  it('times a responder from the home base when the live position has gone stale', () => {
    const chenLater = rankForHome(HOME, MAP, est, NOW + POSITION_FRESH_MS); // chen's fix is now 12 min old
    expect(ids(chenLater.inTime)).toEqual(['fang', 'dai', 'alice']);
    expect(chenLater.late.find((x) => x.responderId === 'chen')).toMatchObject({
      source: 'home',
      minutes: expect.closeTo(15.568, 2), // 2223.90 × 1.4 / 200
    });
  });

  it('offers at most offerCount, and a longer promise brings the late walker in', () => {
    expect(ids(rankForHome(HOME, MAP, est, NOW, { offerCount: 2 }).offer)).toEqual(['chen', 'dai']);
    const r20 = rankForHome(HOME, MAP, est, NOW, { promiseMinutes: 20 });
    expect(ids(r20.inTime)).toEqual(['fang', 'chen', 'dai', 'alice', 'bob']);
    expect(r20.late).toEqual([]);
  });

  it('offers a responder busy with a critical alert only when no free one is in time', () => {
    const onlyBusy = MAP.filter((c) => c.responderId === 'fang' || c.responderId === 'bob');
    const r = rankForHome(HOME, onlyBusy, est, NOW);
    expect(ids(r.offer)).toEqual(['fang']); // bob is free but late, so the busy car is offered
    const twoBusy = [...onlyBusy, candidate({ responderId: 'gao', homeBase: at(0.001), handlingCritical: true })];
    // gao walks 111.195 m → 2.076 min, faster than fang's 3.630
    expect(ids(rankForHome(HOME, twoBusy, est, NOW, { offerCount: 1 }).offer)).toEqual(['gao']);
    expect(ids(rankForHome(HOME, twoBusy, est, NOW).offer)).toEqual(['gao', 'fang']);
  });

  it('does not top up a short free list with busy responders', () => {
    const r = rankForHome(HOME, MAP, est, NOW, { offerCount: 5 });
    expect(ids(r.offer)).toEqual(['chen', 'dai', 'alice']);
  });

  it('counts exactly the promise as in time', () => {
    const fifteen: TravelTimeEstimator = { minutes: () => 15 };
    const r = rankForHome(HOME, [candidate({ responderId: 'x' })], fifteen, NOW);
    expect(ids(r.inTime)).toEqual(['x']);
    const justOver: TravelTimeEstimator = { minutes: () => 15.000001 };
    expect(ids(rankForHome(HOME, [candidate({ responderId: 'x' })], justOver, NOW).late)).toEqual(['x']);
  });

  it('breaks equal minutes by fewer metres, then by responderId, whatever the input order', () => {
    const fiveMinutes: TravelTimeEstimator = { minutes: () => 5 };
    const tied = [
      candidate({ responderId: 'r-b', homeBase: at(0.002) }), // 222.39 m
      candidate({ responderId: 'r-c', homeBase: at(0.001) }), // 111.195 m: fewer metres wins
      candidate({ responderId: 'r-a', homeBase: at(0.002) }), // 222.39 m, same as r-b: id decides
    ];
    expect(ids(rankForHome(HOME, tied, fiveMinutes, NOW).inTime)).toEqual(['r-c', 'r-a', 'r-b']);
    expect(ids(rankForHome(HOME, [...tied].reverse(), fiveMinutes, NOW).inTime)).toEqual(['r-c', 'r-a', 'r-b']);
  });

  it('refuses a promise or offer count that makes no sense', () => {
    expect(() => rankForHome(HOME, MAP, est, NOW, { promiseMinutes: 0 })).toThrow(/promiseMinutes/);
    expect(() => rankForHome(HOME, MAP, est, NOW, { offerCount: 0 })).toThrow(/offerCount/);
    expect(() => rankForHome(HOME, MAP, est, NOW, { offerCount: 1.5 })).toThrow(/offerCount/);
  });
});

describe('nextOffer', () => {
  const { inTime, late } = rankForHome(HOME, MAP, est, NOW);

  it('after declines, offers the fastest free responder not yet offered', () => {
    expect(nextOffer(inTime, new Set())?.responderId).toBe('chen');
    expect(nextOffer(inTime, new Set(['chen']))?.responderId).toBe('dai'); // not fang: busy
    expect(nextOffer(inTime, new Set(['chen', 'dai']))?.responderId).toBe('alice');
  });

  it('turns to a busy responder only when every free one in time has been offered', () => {
    expect(nextOffer(inTime, new Set(['chen', 'dai', 'alice']))?.responderId).toBe('fang');
    expect(nextOffer(inTime, new Set(['chen', 'dai', 'alice', 'fang']))).toBeNull();
  });

  it('never offers a late responder, even when handed the whole ranking', () => {
    expect(nextOffer([...late, ...inTime], new Set(['chen', 'dai', 'alice', 'fang']))).toBeNull();
    expect(nextOffer([...late, ...inTime], new Set(['chen', 'dai', 'alice', 'fang']), 20)?.responderId).toBe('bob');
  });
});
