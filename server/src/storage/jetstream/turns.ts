/**
 * Coalesces partition notices: however many arrive in one turn of the event loop, each partition
 * is told once, on the next turn. A flood of appends becomes at most one callback per partition
 * per turn, not one per append.
 */
export class PerTurn {
  private readonly pending = new Set<number>();
  private scheduled: NodeJS.Immediate | null = null;

  constructor(private readonly tell: (partition: number) => void) {}

  add(partition: number): void {
    this.pending.add(partition);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Forgets what is pending; nothing is told after this. */
  stop(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.pending.clear();
  }

  private flush(): void {
    this.scheduled = null;
    const partitions = [...this.pending];
    this.pending.clear();
    for (const p of partitions) this.tell(p);
  }
}
