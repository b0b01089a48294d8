/**
 * Which PostgreSQL failures say the database, not the work, is the problem (`StateStore.isTransient`):
 * retry the batch later rather than skip an event that is safe in the journal. Everything else —
 * above all a refused constraint (class 23), a syntax or data error — is the work's own fault.
 * SQLSTATE codes: https://www.postgresql.org/docs/15/errcodes-appendix.html
 */

/** Whole SQLSTATE classes that are the server's state, not the statement's. */
const TRANSIENT_CLASSES = [
  '08', // connection exception
  '53', // insufficient resources: disk full 53100, out of memory 53200, too many connections 53300
  '58', // system error: I/O error 58030
];

const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout, or cancelled at shutdown)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '25006', // read_only_sql_transaction: a standby answered, as during a failover
]);

/** Socket failures on the way to the server (Node's error codes). */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** pg's own errors for a connection that failed or went away; they carry no code. */
const TRANSIENT_MESSAGES = [
  /^Connection terminated/i,
  /not queryable/i, // "Client has encountered a connection error and is not queryable"
  /timeout exceeded when trying to connect/i, // the pool's connectionTimeoutMillis
  /Postgres connection has been discarded/i, // Kysely, after a failed ROLLBACK on it
];

export function isTransientPgError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const { code, message, errors, cause } = err as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string') {
    if (/^[0-9A-Z]{5}$/.test(code)) {
      if (TRANSIENT_CODES.has(code) || TRANSIENT_CLASSES.includes(code.slice(0, 2))) return true;
      // The work's fault (23xxx constraints, 22xxx data, 42xxx syntax), or a misconfiguration
      // that retrying does not mend (3D000 no such database, 28xxx authentication).
      return false;
    }
    if (TRANSIENT_SYSTEM_CODES.has(code)) return true;
  }
  if (typeof message === 'string' && TRANSIENT_MESSAGES.some((m) => m.test(message))) return true;
  // Node reports a refused connection to every address of a host as one AggregateError.
  if (Array.isArray(errors) && errors.some((e) => isTransientPgError(e, depth + 1))) return true;
  return cause !== undefined && isTransientPgError(cause, depth + 1);
}
