/**
 * Group commit: items submitted while no write is under way are written together by the next
 * `write(batch)`, so one transaction (one fsync) serves everything that arrived meanwhile — up
 * to `maxBatch` items; the rest wait for the write after. Urgent items go ahead of every item
 * not yet being written, in a write of their own. Each submitter's promise settles with its own item's result once
 * that write has committed, or rejects with the write's error. The journal (before every
 * PUBACK) and the dead letters use it.
 */
export class GroupCommit<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private writing: Promise<void> | null = null;

  /** Urgent items at the front of `pending`, in the order they came. */
  private urgent = 0;

  /** `write` answers one result per item, in order. */
  constructor(
    private readonly write: (batch: readonly T[]) => Promise<R[]>,
    private readonly maxBatch = Number.POSITIVE_INFINITY,
  ) {}

  /** Items waiting for the next write. */
  get backlog(): number {
    return this.pending.length;
  }

  submit(item: T, urgent = false): Promise<R> {
    return new Promise((resolve, reject) => {
      if (urgent) this.pending.splice(this.urgent++, 0, { item, resolve, reject });
      else this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Writes what is pending now, then resolves (for shutdown). */
  async drain(): Promise<void> {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    await this.writing;
    while (this.pending.length > 0) await this.flush();
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      this.writing = this.flush().finally(() => {
        this.writing = null;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    // Urgent items are written on their own: a batch of them is small and quick to commit.
    const take = Math.min(this.urgent > 0 ? this.urgent : this.pending.length, this.maxBatch);
    const batch = take === this.pending.length ? this.pending : this.pending.slice(0, take);
    this.pending = batch === this.pending ? [] : this.pending.slice(take);
    this.urgent = Math.max(0, this.urgent - take);
    if (batch.length === 0) return;
    let results: R[];
    try {
      results = await this.write(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(results[i] as R);
    });
  }
}
