/**
 * Seeded randomness. A fleet run with the same seed, clock and scheduler produces the same
 * events, which is what makes a simulated day usable in tests and reproducible in drills.
 */

/** A source of numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/** mulberry32: tiny, fast and good enough for simulation (not for anything secret). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number in [min, max). */
export function between(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** An integer in [min, max]. */
export function intBetween(random: Random, min: number, max: number): number {
  return Math.floor(between(random, min, max + 1));
}

export function chance(random: Random, p: number): boolean {
  return random() < p;
}

export function pick<T>(random: Random, items: readonly T[]): T | undefined {
  if (items.length === 0) return undefined;
  return items[Math.floor(random() * items.length)];
}

/**
 * `mean` give or take half: "roughly every N" without the long gaps of an exponential
 * distribution, so a demo shows an SOS at a predictable pace.
 */
export function jitter(random: Random, mean: number): number {
  return between(random, mean * 0.5, mean * 1.5);
}
