import type { Logger } from 'pino';

/**
 * Tells each append listener, isolated: the notice is a hint (readers also poll), so one that
 * throws is logged and the others still hear.
 */
export function notifyEach(listeners: Iterable<(partition: number) => void>, partition: number, logger?: Logger): void {
  for (const listener of listeners) {
    try {
      listener(partition);
    } catch (err) {
      logger?.error({ err, partition }, 'log append listener failed');
    }
  }
}
