/** One place that maps coded errors to HTTP answers; 5xx detail never reaches the client. */
import { CareCircleError, type ErrorResponse } from '@carecircle/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export function errorHandler(err: FastifyError | CareCircleError, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof CareCircleError) {
    const body: ErrorResponse = { error: { code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    const retryAfter = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(err.statusCode).send(body);
    return;
  }
  if (err.validation) {
    const body: ErrorResponse = {
      error: {
        code: 'ERR_VALIDATION',
        message: `${err.validationContext ?? 'request'}${err.message.replace(/^(body|querystring|params|headers)/, '')}`,
        details: err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message })),
      },
    };
    void reply.status(400).send(body);
    return;
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status >= 500) {
    req.log.error({ err }, 'request failed');
    void reply.status(500).send({ error: { code: 'ERR_INTERNAL', message: 'internal error' } } satisfies ErrorResponse);
    return;
  }
  void reply
    .status(status)
    .send({ error: { code: err.code ?? 'ERR_REQUEST', message: err.message } } satisfies ErrorResponse);
}

/**
 * An instant from the query as the store writes them (`toISOString`: UTC, milliseconds), so
 * that it compares as text with the stored ones; `2026-11-29T11:12:00+08:00` is 03:12Z. The
 * schema lets a few through that no `Date` reads (a leap second, an RFC 9557 zone suffix).
 */
export function storedInstant(name: string, value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new CareCircleError('ERR_VALIDATION', `\`${name}\` is not an instant this server can read`);
  return new Date(ms).toISOString();
}
