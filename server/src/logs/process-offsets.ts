/**
 * Consumer offsets kept in this process only, each starting at the log's head when first asked:
 * for a consumer whose effect concerns only what is connected to this process now (the live
 * push to this server's sockets). Every server then has a position of its own, nothing is
 * written per batch, and a restarted server starts with what happens from then on: the
 * dashboards that reconnect to it read the current state over HTTP first.
 */
import { type ConsumerOffsets, type LogName, OffsetMoved } from '../storage/ports';

export class ProcessOffsets implements ConsumerOffsets {
  private readonly at = new Map<string, number>();

  constructor(private readonly head: (log: LogName, partition: number) => Promise<number>) {}

  async get(log: LogName, consumer: string, partition: number): Promise<number> {
    const key = `${log}\u0000${consumer}\u0000${partition}`;
    let offset = this.at.get(key);
    if (offset === undefined) {
      offset = await this.head(log, partition);
      // Another caller may have started it meanwhile.
      offset = this.at.get(key) ?? offset;
      this.at.set(key, offset);
    }
    return offset;
  }

  async commit(log: LogName, consumer: string, partition: number, offset: number): Promise<void> {
    const key = `${log}\u0000${consumer}\u0000${partition}`;
    this.at.set(key, Math.max(offset, this.at.get(key) ?? 0));
  }

  async advance(log: LogName, consumer: string, partition: number, from: number, to: number): Promise<void> {
    const key = `${log}\u0000${consumer}\u0000${partition}`;
    if ((this.at.get(key) ?? 0) !== from) throw new OffsetMoved(log, consumer, partition, from);
    this.at.set(key, to);
  }
}
