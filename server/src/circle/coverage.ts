/**
 * How well the 15-minute service circle covers each home: how many on-duty responders could reach
 * it within the promise, and how fast the fastest would be. Pure; the caller passes only on-duty
 * responders, at the points it wants timed (home base or fresh live position).
 */
import { DEFAULT_PROMISE_MINUTES, type GeoPoint, type TravelMode } from '@carecircle/protocol';
import type { TravelTimeEstimator } from './travel-time';

export interface CoverageHome {
  homeId: string;
  point: GeoPoint;
}

export interface CoverageResponder {
  responderId: string;
  mode: TravelMode;
  point: GeoPoint;
}

export interface CoverageRow {
  homeId: string;
  /** Responders who can arrive within the promise (minutes ≤ promise, inclusive). */
  reachable: number;
  /** The fastest responder's minutes, in time or not (how far off a weak home is); null with no responders. */
  fastestMinutes: number | null;
}

/** One row per home, in input order. */
export function coverage(
  homes: readonly CoverageHome[],
  responders: readonly CoverageResponder[],
  estimator: TravelTimeEstimator,
  promiseMinutes: number = DEFAULT_PROMISE_MINUTES,
): CoverageRow[] {
  if (!Number.isFinite(promiseMinutes) || promiseMinutes <= 0) {
    throw new Error(`promiseMinutes must be a finite number above 0, got ${promiseMinutes}`);
  }
  return homes.map((home) => {
    let reachable = 0;
    let fastestMinutes: number | null = null;
    for (const r of responders) {
      const minutes = estimator.minutes(r.point, home.point, r.mode);
      if (minutes <= promiseMinutes) reachable++;
      if (fastestMinutes === null || minutes < fastestMinutes) fastestMinutes = minutes;
    }
    return { homeId: home.homeId, reachable, fastestMinutes };
  });
}

/** The homes fewer than `minimum` responders can reach in time (input order kept). */
export function weakHomes(rows: readonly CoverageRow[], minimum = 2): CoverageRow[] {
  return rows.filter((row) => row.reachable < minimum);
}
