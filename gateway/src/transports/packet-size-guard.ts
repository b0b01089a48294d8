/**
 * aedes 1.2 has no maximum packet size: its parser buffers a packet until the announced
 * Remaining Length has arrived, so one client could make the broker hold hundreds of MiB
 * before any hook runs. This guard reads each fixed header as the bytes go by and stops a
 * connection as soon as a header announces more than the limit, before the body is buffered.
 */
import type { Duplex } from 'node:stream';

/** Remaining Length is at most four bytes [MQTT-2.2.3]; a fifth continuation is malformed. */
const MAX_LENGTH_BYTES = 4;

/**
 * Follows packet boundaries across chunks: the header byte, the variable-length Remaining
 * Length (MQTT 3.1.1 §2.2.3), then skips the body without looking at it.
 */
export class PacketSizeScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /**
   * Feeds the next bytes. Returns the announced size of the first packet over the limit
   * (`Infinity` for a malformed length), or `null` while every packet fits.
   */
  push(chunk: Uint8Array): number | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        const total = 1 + this.lengthBytes + this.length;
        if (total > this.maxPacketBytes) return total; // already too large, no need to read on
        if (byte & 0x80) {
          if (this.lengthBytes === MAX_LENGTH_BYTES) return Number.POSITIVE_INFINITY;
          continue;
        }
        this.bodyLeft = this.length;
        this.state = this.bodyLeft > 0 ? 'body' : 'type';
      } else {
        const skip = Math.min(this.bodyLeft, chunk.length - i);
        i += skip;
        this.bodyLeft -= skip;
        if (this.bodyLeft === 0) this.state = 'type';
      }
    }
    return null;
  }
}

/**
 * Watches `conn` and destroys it when a packet header exceeds `maxPacketBytes`.
 *
 * Must be attached *after* `broker.handle(conn)`: aedes reads with a `'readable'` listener, and
 * a `'data'` listener added after it does not switch the stream to flowing mode; it sees each
 * chunk as aedes calls `read()`, before the chunk reaches the MQTT parser. Until then the chunk
 * waits in the stream's own buffer, which is bounded by its high-water mark.
 */
export function guardPacketSize(conn: Duplex, maxPacketBytes: number, onOversize: (announced: number) => void): void {
  const scanner = new PacketSizeScanner(maxPacketBytes);
  const onData = (chunk: Buffer) => {
    const oversize = scanner.push(chunk);
    if (oversize === null) return;
    conn.off('data', onData);
    onOversize(oversize);
    conn.destroy();
  };
  conn.on('data', onData);
  conn.once('close', () => conn.off('data', onData));
}
