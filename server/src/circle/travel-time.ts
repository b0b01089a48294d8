/**
 * How long a responder takes to reach a home (the 15-minute service circle, protocol `circle.ts`).
 * Today a straight-line estimate: the great-circle distance, stretched by a detour factor to
 * approximate streets, divided by a door-to-door speed per travel mode. Pure: no I/O, no clock.
 */
import {
  DEFAULT_DETOUR_FACTOR,
  DEFAULT_SPEEDS_KMH,
  type GeoPoint,
  TRAVEL_MODES,
  type TravelMode,
} from '@carecircle/protocol';

/** Mean Earth radius (IUGG), metres. */
export const EARTH_RADIUS_M = 6_371_008.8;

const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle (haversine) distance between two points, metres. */
export function greatCircleMeters(a: GeoPoint, b: GeoPoint): number {
  const phi1 = toRadians(a.lat);
  const phi2 = toRadians(b.lat);
  const dPhi = phi2 - phi1;
  const dLambda = toRadians(b.lon - a.lon);
  const h = Math.sin(dPhi / 2) ** 2 + Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) ** 2;
  // Clamp: rounding can push h a hair past 1 for antipodal points.
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(Math.min(1, Math.max(0, h))));
}

/**
 * The port dispatch and coverage ask for travel times. A routing engine (street graph, live
 * traffic, lifts and stairs) can replace the straight-line `GreatCircleEstimator` later by
 * implementing this interface; callers do not change.
 */
export interface TravelTimeEstimator {
  /** Estimated minutes to travel from `from` to `to` by `mode`. */
  minutes(from: GeoPoint, to: GeoPoint, mode: TravelMode): number;
}

export interface GreatCircleOptions {
  /** Street distance ÷ straight-line distance; 1 ≤ factor ≤ 5 (default `DEFAULT_DETOUR_FACTOR`). */
  detourFactor?: number;
  /** Per-mode speeds (km/h, > 0) overriding `DEFAULT_SPEEDS_KMH`; unnamed modes keep the defaults. */
  speedsKmh?: Partial<Record<TravelMode, number>>;
}

/** minutes = great-circle distance × detour factor ÷ speed of the mode. */
export class GreatCircleEstimator implements TravelTimeEstimator {
  readonly detourFactor: number;
  readonly speedsKmh: Readonly<Record<TravelMode, number>>;

  constructor(options: GreatCircleOptions = {}) {
    const detourFactor = options.detourFactor ?? DEFAULT_DETOUR_FACTOR;
    if (!Number.isFinite(detourFactor) || detourFactor < 1 || detourFactor > 5) {
      throw new Error(`detourFactor must be a number from 1 to 5, got ${detourFactor}`);
    }
    const speeds = { ...DEFAULT_SPEEDS_KMH };
    for (const mode of TRAVEL_MODES) {
      const speed = options.speedsKmh?.[mode];
      if (speed === undefined) continue;
      if (!Number.isFinite(speed) || speed <= 0) {
        throw new Error(`speedsKmh.${mode} must be a finite number above 0 km/h, got ${speed}`);
      }
      speeds[mode] = speed;
    }
    for (const mode of Object.keys(options.speedsKmh ?? {})) {
      if (!(TRAVEL_MODES as readonly string[]).includes(mode)) {
        throw new Error(`speedsKmh names an unknown travel mode: ${mode}`);
      }
    }
    this.detourFactor = detourFactor;
    this.speedsKmh = speeds;
  }

  minutes(from: GeoPoint, to: GeoPoint, mode: TravelMode): number {
    const speedKmh = this.speedsKmh[mode];
    if (speedKmh === undefined) throw new Error(`unknown travel mode: ${String(mode)}`);
    const metresPerMinute = (speedKmh * 1000) / 60;
    return (greatCircleMeters(from, to) * this.detourFactor) / metresPerMinute;
  }
}
