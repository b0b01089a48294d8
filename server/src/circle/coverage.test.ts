import type { GeoPoint } from '@carecircle/protocol';
import { describe, expect, it } from 'vitest';
import { coverage, weakHomes } from './coverage';
import { GreatCircleEstimator, type TravelTimeEstimator } from './travel-time';

// Around People's Square, Shanghai. Hand-checked (see travel-time.test.ts): 0.001° lat = 111.195 m,
// 0.01° lon at 31.2304° N = 950.82 m; street = 1.4 × straight; m/min: walk 75, bicycle 200, car 366.667.
const O = { lat: 31.2304, lon: 121.4737 };
const at = (dLat: number, dLon = 0): GeoPoint => ({ lat: O.lat + dLat, lon: O.lon + dLon });
const est = new GreatCircleEstimator();

const responders = [
  { responderId: 'walker', mode: 'walk' as const, point: at(0.005) }, // 555.98 m N of h-square
  { responderId: 'cyclist', mode: 'bicycle' as const, point: at(-0.01) }, // 1,111.95 m S of h-square
  { responderId: 'driver', mode: 'car' as const, point: at(0, 0.03) }, // 2,852.45 m E of h-square
];
const homes = [
  // walker 555.98 × 1.4 / 75 = 10.378; cyclist 1111.95 × 1.4 / 200 = 7.784; driver 2852.45 × 1.4 / 366.667 = 10.891
  { homeId: 'h-square', point: O },
  // 0.1° due north of the driver = 11,119.51 m → 11119.51 × 1.4 / 366.667 = 42.456 min (the others are slower still:
  // cyclist > 12.2 km → > 85 min, walker > 10.5 km → > 197 min)
  { homeId: 'h-far-north', point: at(0.1, 0.03) },
  // 0.02° east of the driver = 1,901.63 m → 7.261 min; walker and cyclist are > 4.7 km off (> 33 min)
  { homeId: 'h-east', point: at(0, 0.05) },
];

describe('coverage', () => {
  const rows = coverage(homes, responders, est);

  it('counts who can reach each home within 15 minutes, in input order', () => {
    expect(rows.map((r) => [r.homeId, r.reachable])).toEqual([
      ['h-square', 3],
      ['h-far-north', 0],
      ['h-east', 1],
    ]);
  });

  it('reports the fastest minutes, in time or not', () => {
    expect(rows[0]?.fastestMinutes).toBeCloseTo(7.784, 2);
    expect(rows[1]?.fastestMinutes).toBeCloseTo(42.456, 2);
    expect(rows[2]?.fastestMinutes).toBeCloseTo(7.261, 2);
  });

  it('gives null for the fastest when nobody is on duty', () => {
    expect(coverage(homes.slice(0, 1), [], est)).toEqual([{ homeId: 'h-square', reachable: 0, fastestMinutes: null }]);
  });

  it('counts exactly the promise as reachable, and honours a different promise', () => {
    const fifteen: TravelTimeEstimator = { minutes: () => 15 };
    expect(coverage(homes.slice(0, 1), responders, fifteen)[0]?.reachable).toBe(3);
    expect(coverage(homes.slice(0, 1), responders, est, 10.5)[0]?.reachable).toBe(2); // 7.784, 10.378; not 10.891
    expect(() => coverage(homes, responders, est, 0)).toThrow(/promiseMinutes/);
  });
});

describe('weakHomes', () => {
  const rows = coverage(homes, responders, est);

  it('lists the homes fewer than two responders can reach', () => {
    expect(weakHomes(rows).map((r) => r.homeId)).toEqual(['h-far-north', 'h-east']);
  });

  it('takes another minimum', () => {
    expect(weakHomes(rows, 1).map((r) => r.homeId)).toEqual(['h-far-north']);
    expect(weakHomes(rows, 4).map((r) => r.homeId)).toEqual(['h-square', 'h-far-north', 'h-east']);
  });
});
