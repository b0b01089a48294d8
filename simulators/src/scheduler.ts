/**
 * Timers behind a port, so a simulated day can be fast-forwarded (vitest fake timers or a
 * custom scheduler) and every component can cancel exactly the timers it started.
 */

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The global timers, looked up at call time rather than captured at import, so that
 * `vi.useFakeTimers()` installed after this module loaded still takes effect.
 */
export const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The timers one `start()`/`stop()` owner has pending; `clear()` cancels all of them. */
export class TimerGroup {
  readonly #scheduler: Scheduler;
  readonly #pending = new Set<unknown>();

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  after(ms: number, fn: () => void): void {
    const handle = this.#scheduler.setTimeout(
      () => {
        this.#pending.delete(handle);
        fn();
      },
      Math.max(0, ms),
    );
    this.#pending.add(handle);
  }

  /**
   * Runs `fn` every `ms`, first after `firstMs`. Chained one-shot timers rather than an
   * interval, so each period can start from a different phase and `clear()` has one kind of
   * handle to cancel.
   */
  every(ms: number, fn: () => void, firstMs = ms): void {
    if (!(ms > 0)) throw new RangeError(`interval must be positive, got ${ms}`);
    const tick = (): void => {
      this.after(ms, tick);
      fn();
    };
    this.after(firstMs, tick);
  }

  get size(): number {
    return this.#pending.size;
  }

  clear(): void {
    for (const handle of this.#pending) this.#scheduler.clearTimeout(handle);
    this.#pending.clear();
  }
}
