/**
 * Partition leases: with several servers, each partition of each consumer is handled by one
 * server at a time (DESIGN.md, "scale-out"). A consumer given `PartitionLeases` handles only the
 * partitions it holds and keeps trying to take the others, so a dead server's partitions move to
 * a live one. A lease is an optimisation, not the guard of exactly-once: two holders at once
 * (a lease lost but not yet noticed) cannot both commit a batch, because offsets are fenced
 * (`ConsumerOffsets.advance`). The database decides; no lock lives in one process's memory.
 */
export interface PartitionLeases {
  /** Takes the lease on (`key`, `partition`) if nobody holds it; true while this process holds it. */
  acquire(key: string, partition: number): Promise<boolean>;
  /** Gives it up (a graceful stop), so another server takes it at once. */
  release(key: string, partition: number): Promise<void>;
  /** Whether this process still holds it (false once lost). */
  holds(key: string, partition: number): boolean;
  /** Called when every lease this process held is lost at once (its session to the database ended). */
  onLost(listener: () => void): () => void;
  close(): Promise<void>;
}
