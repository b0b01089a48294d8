import type { Logger } from 'pino';

/**
 * Timer-driven publishes have no caller to await them: a failure is logged with what was being
 * done and never becomes an unhandled rejection.
 */
export function background(log: Logger, what: string, promise: Promise<unknown>): void {
  promise.catch((err: Error) => log.warn({ err: err.message }, `${what} failed`));
}
