/**
 * Who is offered an alarm raised in a home (the 15-minute service circle). Pure: candidates,
 * positions and the instant `now` (ms since epoch) are passed in; nothing is stored or fetched.
 *
 * The offer rule:
 * - Only on-duty candidates count. Each is placed at their live position while it is fresh
 *   (`whereIs`), otherwise at their home base, and timed there by the injected estimator.
 * - `inTime`: everyone who can arrive within the promise (minutes ≤ `promiseMinutes`, inclusive);
 *   `late`: the rest. Both fastest first; ties go to fewer metres (straight line), then to the
 *   lower `responderId`, so the order never depends on input order.
 * - `offer`: the `offerCount` fastest of `inTime` who are NOT already handling a critical alert.
 *   Responders handling a critical alert are never taken off it while a free responder can make
 *   it in time — even if that means offering fewer than `offerCount`. Only when no free responder
 *   is in time are busy-but-in-time responders offered (fastest first, up to `offerCount`): a
 *   second emergency is better served by someone who may hand over than by no one.
 * - Late responders are never offered; the caller escalates instead (see `late`).
 * - After a decline, `nextOffer` applies the same rule to whoever has not been offered yet.
 */
import { DEFAULT_PROMISE_MINUTES, type GeoPoint, POSITION_FRESH_MS, type TravelMode } from '@carecircle/protocol';
import { greatCircleMeters, type TravelTimeEstimator } from './travel-time';

/** A live position from a clock slightly ahead is accepted up to this far in the future. */
export const POSITION_CLOCK_SKEW_MS = 60_000;

export interface Candidate {
  responderId: string;
  name: string;
  mode: TravelMode;
  homeBase: GeoPoint;
  /** The last live position; `at` is ms since epoch. */
  position: { lat: number; lon: number; at: number } | null;
  onDuty: boolean;
  /** Already handling a critical alert elsewhere. */
  handlingCritical: boolean;
}

export interface Whereabouts {
  point: GeoPoint;
  source: 'live' | 'home';
}

export interface Ranked {
  responderId: string;
  name: string;
  mode: TravelMode;
  /** Estimated travel minutes to the home. */
  minutes: number;
  /** Straight-line (great-circle) metres to the home. */
  meters: number;
  /** Which point was timed: the fresh live position or the home base. */
  source: 'live' | 'home';
  /** Set by `rankForHome`; absent counts as free (used by `nextOffer` to keep the offer rule). */
  handlingCritical?: boolean;
}

export interface RankOptions {
  /** Minutes within which a responder counts as in time (inclusive); default 15. */
  promiseMinutes?: number;
  /** How many responders to offer at once; default 3. */
  offerCount?: number;
}

export interface Ranking {
  offer: Ranked[];
  inTime: Ranked[];
  late: Ranked[];
}

/**
 * Where to time a candidate from: the live position while fresh (`now − at ≤ POSITION_FRESH_MS`
 * and no more than `POSITION_CLOCK_SKEW_MS` in the future), otherwise the home base.
 */
export function whereIs(candidate: Candidate, now: number): Whereabouts {
  const p = candidate.position;
  if (
    p !== null &&
    Number.isFinite(p.lat) &&
    Number.isFinite(p.lon) &&
    now - p.at <= POSITION_FRESH_MS &&
    p.at - now <= POSITION_CLOCK_SKEW_MS
  ) {
    return { point: { lat: p.lat, lon: p.lon }, source: 'live' };
  }
  return { point: { lat: candidate.homeBase.lat, lon: candidate.homeBase.lon }, source: 'home' };
}

/** Fastest first; ties: fewer metres, then lower responderId. */
export function compareRanked(a: Ranked, b: Ranked): number {
  if (a.minutes !== b.minutes) return a.minutes - b.minutes;
  if (a.meters !== b.meters) return a.meters - b.meters;
  return a.responderId < b.responderId ? -1 : a.responderId > b.responderId ? 1 : 0;
}

function checkPromise(promiseMinutes: number): void {
  if (!Number.isFinite(promiseMinutes) || promiseMinutes <= 0) {
    throw new Error(`promiseMinutes must be a finite number above 0, got ${promiseMinutes}`);
  }
}

/** Ranks the on-duty candidates for an alarm at `home` and picks whom to offer it (rule above). */
export function rankForHome(
  home: GeoPoint,
  candidates: readonly Candidate[],
  estimator: TravelTimeEstimator,
  now: number,
  { promiseMinutes = DEFAULT_PROMISE_MINUTES, offerCount = 3 }: RankOptions = {},
): Ranking {
  checkPromise(promiseMinutes);
  if (!Number.isInteger(offerCount) || offerCount < 1) {
    throw new Error(`offerCount must be a whole number of at least 1, got ${offerCount}`);
  }
  const ranked: Ranked[] = candidates
    .filter((c) => c.onDuty)
    .map((c) => {
      const { point, source } = whereIs(c, now);
      return {
        responderId: c.responderId,
        name: c.name,
        mode: c.mode,
        minutes: estimator.minutes(point, home, c.mode),
        meters: greatCircleMeters(point, home),
        source,
        handlingCritical: c.handlingCritical,
      };
    })
    .sort(compareRanked);
  const inTime = ranked.filter((r) => r.minutes <= promiseMinutes);
  const late = ranked.filter((r) => !(r.minutes <= promiseMinutes));
  const free = inTime.filter((r) => r.handlingCritical !== true);
  const offer = (free.length > 0 ? free : inTime).slice(0, offerCount);
  return { offer, inTime, late };
}

/**
 * The next responder to offer after a decline: the fastest in-time responder not yet offered,
 * a free one before one handling a critical alert (the same rule as `offer`); null when none is
 * left. `ranked` may be `inTime` or any list of `Ranked`; late entries are skipped.
 */
export function nextOffer(
  ranked: readonly Ranked[],
  alreadyOffered: ReadonlySet<string>,
  promiseMinutes: number = DEFAULT_PROMISE_MINUTES,
): Ranked | null {
  checkPromise(promiseMinutes);
  const open = ranked
    .filter((r) => r.minutes <= promiseMinutes && !alreadyOffered.has(r.responderId))
    .sort(compareRanked);
  return open.find((r) => r.handlingCritical !== true) ?? open[0] ?? null;
}
