import { CareCircleError, ErrorResponseSchema, ISO_TIMESTAMP } from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { listFilter } from '../../auth/scope';
import { computeKpis } from '../../kpis/kpis';
import type { AppDeps } from '../app';
import { makeRequireUser, staffOnly, userOf } from '../authenticate';
import { storedInstant } from '../errors';

const Counts = Type.Record(Type.String(), Type.Integer());
const Share = Type.Union([Type.Number(), Type.Null()]);
const KpisResponseSchema = Type.Object({
  from: ISO_TIMESTAMP,
  to: ISO_TIMESTAMP,
  site: Type.Union([Type.String(), Type.Null()]),
  alerts: Type.Object({ total: Type.Integer(), byKind: Counts, bySeverity: Counts, byOutcome: Counts }),
  acknowledge: Type.Object({
    alerts: Type.Integer(),
    acknowledged: Type.Integer(),
    medianSeconds: Share,
    p90Seconds: Share,
    within60sShare: Share,
  }),
  falseAlarms: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      kind: Type.String(),
      resolved: Type.Integer(),
      falseAlarms: Type.Integer(),
      rate: Type.Number(),
    }),
  ),
  escalation: Counts,
});

/** The most alerts one report reads; a longer period with more is refused (ask for a shorter one). */
const MAX_ALERTS = 50_000;
const MAX_DAYS = 366;

export const kpiRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));
  app.get(
    '/kpis',
    {
      schema: {
        tags: ['kpis'],
        summary:
          'Alerts raised in [from, to): by kind, severity and outcome; time to acknowledge; false alarms per device; how far ladders went',
        querystring: Type.Object(
          { site: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), from: ISO_TIMESTAMP, to: ISO_TIMESTAMP },
          { additionalProperties: false },
        ),
        response: {
          200: KpisResponseSchema,
          400: ErrorResponseSchema,
          401: ErrorResponseSchema,
          403: ErrorResponseSchema,
        },
      },
    },
    async (req) => {
      const user = staffOnly(userOf(req), 'the figures');
      const from = storedInstant('from', req.query.from);
      const to = storedInstant('to', req.query.to);
      if (from >= to) throw new CareCircleError('ERR_VALIDATION', '`from` must be before `to`');
      if (Date.parse(to) - Date.parse(from) > MAX_DAYS * 86_400_000)
        throw new CareCircleError('ERR_VALIDATION', `ask for at most ${MAX_DAYS} days at a time`);
      const { siteIds } = await listFilter(user, deps.store, req.query.site);
      const alerts = await deps.store.alerts.list({
        ...(siteIds ? { siteIds } : {}),
        raisedFrom: from,
        raisedBefore: to,
        limit: MAX_ALERTS + 1,
      });
      if (alerts.length > MAX_ALERTS)
        throw new CareCircleError(
          'ERR_VALIDATION',
          `more than ${MAX_ALERTS} alerts in that period: ask for a shorter one`,
        );
      return { from, to, site: req.query.site ?? null, ...computeKpis(alerts) };
    },
  );
};
