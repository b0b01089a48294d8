/**
 * A read budget per connection: the gateway takes at most `readBurstBytes` at once and
 * `readBytesPerSecond` after that from any one socket, however fast its device sends.
 *
 * Why: aedes reads a socket by calling `conn.read(null)` whenever its previous batch is handled,
 * which takes everything buffered (a full socket buffer, hundreds of packets). With many
 * connections flooding at once, one turn of the event loop parses and drops a flood's worth of
 * packets from each of them before it reaches a quiet device's socket, and an SOS waits seconds.
 * Dropping early is not enough: parsing costs the event loop too. A connection over its budget
 * is simply not read, so its bytes wait in the kernel and TCP flow control makes its device
 * wait: the flood costs the flooder, not the gateway.
 *
 * How: `conn.read` is wrapped. A read gets at most what is left of the budget (the MQTT parser
 * keeps a packet cut in two until its rest arrives); a read with nothing left returns `null`, as
 * if nothing were buffered. Either way a timer set for when the budget has refilled (looked at
 * again every 100 ms at most) emits `'readable'`, which makes aedes ask again: to aedes it looks
 * like bytes arriving.
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '@carecircle/protocol';

export interface ReadBudget {
  /** Bytes per second a connection is read at once its burst is spent. */
  readBytesPerSecond: number;
  /** Bytes a connection may send at once before the rate applies. */
  readBurstBytes: number;
}

/** A connection in debt is looked at again no sooner than this, so a paused one costs little. */
const MIN_WAIT_MS = 10;
/** …and no later than this, so a clock that jumps is seen soon. */
const MAX_WAIT_MS = 100;
/** A connection in debt waits until it may read this much (or its whole burst), not a few bytes. */
const QUANTUM_BYTES = 4096;

/**
 * Wraps `conn.read` with the budget. `onDeferred` is called each time a read is refused (once
 * per wait). Attach after `broker.handle(conn)` or before: the wrapper is on the stream itself.
 */
export function budgetReads(conn: Duplex, budget: ReadBudget, clock: Clock, onDeferred: () => void): void {
  const read = conn.read.bind(conn);
  let tokens = budget.readBurstBytes;
  let at = clock.now();
  let timer: NodeJS.Timeout | null = null;

  const wake = () => {
    timer = null;
    if (!conn.destroyed) conn.emit('readable');
  };

  const wakeLater = () => {
    if (timer !== null || conn.destroyed) return;
    const target = Math.min(budget.readBurstBytes, QUANTUM_BYTES);
    const debtMs = Math.ceil(((target - tokens) * 1000) / budget.readBytesPerSecond);
    timer = setTimeout(wake, Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, debtMs)));
    onDeferred();
  };

  conn.read = (size?: number) => {
    const now = clock.now();
    tokens = Math.min(budget.readBurstBytes, tokens + ((now - at) / 1000) * budget.readBytesPerSecond);
    at = now;
    const allowed = Math.floor(tokens);
    if (allowed < 1) {
      wakeLater();
      return null;
    }
    const wanted = size ?? conn.readableLength;
    // A short read leaves bytes buffered that may never raise another 'readable' (a partial
    // packet, or a socket that stopped reading at its high-water mark): the wake-up covers it.
    const chunk: unknown = wanted > allowed ? read(allowed) : read(size);
    if (chunk !== null && chunk !== undefined) tokens -= (chunk as { length: number }).length;
    if (wanted > allowed) wakeLater();
    return chunk;
  };

  conn.once('close', () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  });
}
