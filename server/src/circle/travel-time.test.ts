import { DEFAULT_PROMISE_MINUTES } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { EARTH_RADIUS_M, GreatCircleEstimator, greatCircleMeters } from './travel-time';

// A small made-up map around People's Square, Shanghai (31.2304 N, 121.4737 E).
// Hand-checked scale: 1° latitude = 6,371,008.8 m × π/180 = 111,195.08 m, so 0.001° lat = 111.195 m.
// cos(31.2304°) = cos 31° cos 0.2304° − sin 31° sin 0.2304° = 0.857167 × 0.999992 − 0.515038 × 0.004021
//              = 0.855089, so 0.01° longitude = 1,111,950.8 m × 0.855089 × 0.01 = 950.82 m.
const HOME = { lat: 31.2304, lon: 121.4737 };
const north = (dLat: number) => ({ lat: HOME.lat + dLat, lon: HOME.lon });
const east = (dLon: number) => ({ lat: HOME.lat, lon: HOME.lon + dLon });

describe('greatCircleMeters', () => {
  it('is zero for the same point and symmetric', () => {
    expect(greatCircleMeters(HOME, HOME)).toBe(0);
    const p = { lat: 31.2334, lon: 121.4777 };
    expect(greatCircleMeters(HOME, p)).toBeCloseTo(greatCircleMeters(p, HOME), 9);
  });

  it('measures along a meridian: 1° = 111,195.08 m, 0.01° = 1,111.95 m', () => {
    expect(EARTH_RADIUS_M).toBe(6_371_008.8);
    expect(greatCircleMeters({ lat: 31, lon: 121.4737 }, { lat: 32, lon: 121.4737 })).toBeCloseTo(111_195.08, 1);
    expect(greatCircleMeters(HOME, north(0.01))).toBeCloseTo(1111.95, 1);
  });

  it('shrinks longitude by cos(latitude): 0.01° east at 31.23° N = 950.82 m', () => {
    expect(greatCircleMeters(HOME, east(0.01))).toBeCloseTo(950.82, 1);
    expect(greatCircleMeters(HOME, east(0.03))).toBeCloseTo(2852.45, 1); // 3 × 950.817
  });

  it('is Pythagorean on a block: 0.003° N, 0.004° E ≈ √(333.585² + 380.327²) = 505.89 m', () => {
    // 0.003 × 111,195.08 = 333.585 m; 0.004 × 95,081.7 = 380.327 m (cos at 31.2319°, mid-way, differs < 0.01%).
    expect(greatCircleMeters(HOME, { lat: HOME.lat + 0.003, lon: HOME.lon + 0.004 })).toBeCloseTo(505.89, 0);
  });
});

describe('GreatCircleEstimator', () => {
  // 0.01° north = 1,111.95 m straight, × 1.4 = 1,556.73 m along streets.
  it('divides the detoured distance by the default speed of each mode', () => {
    const est = new GreatCircleEstimator();
    const to = north(0.01);
    expect(est.minutes(HOME, to, 'walk')).toBeCloseTo(20.756, 3); // 4.5 km/h = 75 m/min: 1556.73 / 75
    expect(est.minutes(HOME, to, 'bicycle')).toBeCloseTo(7.7837, 3); // 12 km/h = 200 m/min
    expect(est.minutes(HOME, to, 'ebike')).toBeCloseTo(5.1891, 3); // 18 km/h = 300 m/min
    expect(est.minutes(HOME, to, 'car')).toBeCloseTo(4.2456, 3); // 22 km/h = 366.667 m/min
  });

  it('puts a walker 803.57 m away (straight line) exactly on the 15-minute promise', () => {
    // 15 min × 75 m/min = 1,125 m of street ÷ 1.4 = 803.57 m straight = 0.0072267° of latitude.
    const est = new GreatCircleEstimator();
    const inside = north(0.0072); // 800.605 m → 800.605 × 1.4 / 75 = 14.9446 min
    const outside = north(0.0073); // 811.72 m → 15.152 min
    expect(est.minutes(HOME, inside, 'walk')).toBeCloseTo(14.9446, 3);
    expect(est.minutes(HOME, outside, 'walk')).toBeCloseTo(15.152, 3);
    expect(est.minutes(HOME, inside, 'walk')).toBeLessThanOrEqual(DEFAULT_PROMISE_MINUTES);
    expect(est.minutes(HOME, outside, 'walk')).toBeGreaterThan(DEFAULT_PROMISE_MINUTES);
  });

  it('takes a detour factor and per-mode speeds, keeping defaults for modes not named', () => {
    const straight = new GreatCircleEstimator({ detourFactor: 1 });
    expect(straight.minutes(HOME, north(0.01), 'walk')).toBeCloseTo(14.826, 3); // 1111.95 / 75
    const brisk = new GreatCircleEstimator({ speedsKmh: { walk: 6 } }); // 100 m/min
    expect(brisk.minutes(HOME, north(0.01), 'walk')).toBeCloseTo(15.567, 3); // 1556.73 / 100
    expect(brisk.minutes(HOME, north(0.01), 'bicycle')).toBeCloseTo(7.7837, 3);
  });

  it('refuses a detour factor outside 1..5 and speeds that are not above 0', () => {
    for (const detourFactor of [0.99, 5.01, Number.NaN]) {
      expect(() => new GreatCircleEstimator({ detourFactor })).toThrow(/detourFactor must be a number from 1 to 5/);
    }
    expect(() => new GreatCircleEstimator({ detourFactor: 1 })).not.toThrow();
    expect(() => new GreatCircleEstimator({ detourFactor: 5 })).not.toThrow();
    for (const speed of [0, -3, Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => new GreatCircleEstimator({ speedsKmh: { ebike: speed } })).toThrow(/speedsKmh\.ebike must be/);
    }
    expect(() => new GreatCircleEstimator({ speedsKmh: { scooter: 20 } as never })).toThrow(
      /unknown travel mode: scooter/,
    );
  });
});
