/** Latency samples with a bounded memory: every sample up to `capacity`, then a uniform reservoir. */
import type { Quantiles } from './messages';

export class Samples {
  private readonly values: Float64Array;
  private seen = 0;
  private max = 0;

  constructor(private readonly capacity = 1_000_000) {
    this.values = new Float64Array(capacity);
  }

  add(ms: number): void {
    if (ms > this.max) this.max = ms;
    if (this.seen < this.capacity) this.values[this.seen] = ms;
    else {
      // Algorithm R: the sample kept stays uniform over everything seen.
      const j = Math.floor(Math.random() * (this.seen + 1));
      if (j < this.capacity) this.values[j] = ms;
    }
    this.seen++;
  }

  /** The samples kept (all of them up to `capacity`), in the order they came. */
  kept(): number[] {
    return Array.from(this.values.subarray(0, Math.min(this.seen, this.capacity)));
  }

  get count(): number {
    return this.seen;
  }

  /** Nearest-rank quantiles (as report.ts computes them), or null without samples. */
  quantiles(): Quantiles | null {
    if (this.seen === 0) return null;
    const kept = this.values.slice(0, Math.min(this.seen, this.capacity)).sort();
    const at = (p: number) => kept[Math.min(kept.length - 1, Math.floor(kept.length * p))]!;
    return { p50: at(0.5), p99: at(0.99), max: this.max, count: this.seen };
  }
}
