import {
  AlertDetailResponseSchema,
  AlertIdParamsSchema,
  AlertListQuerySchema,
  AlertListResponseSchema,
  AlertNoteBodySchema,
  AlertResponseSchema,
  ErrorResponseSchema,
  ResolveBodySchema,
} from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listFilter } from '../../auth/scope';
import type { AppDeps } from '../app';
import { makeRequireUser, userOf } from '../authenticate';
import { storedInstant } from '../errors';

const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};

export const alertRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts the caller may see, critical first (state=closed: the last closed first)',
        querystring: AlertListQuerySchema,
        response: { 200: AlertListResponseSchema, ...errors },
      },
    },
    async (req) => {
      const alerts = await deps.store.alerts.list({
        limit: req.query.limit ?? 100,
        ...(req.query.state ? { state: req.query.state } : {}),
        ...(req.query.kind ? { kind: req.query.kind } : {}),
        ...(req.query.category ? { category: req.query.category } : {}),
        ...(req.query.closedFrom ? { closedFrom: storedInstant('closedFrom', req.query.closedFrom) } : {}),
        ...(await listFilter(userOf(req), deps.store, req.query.site)),
      });
      return { alerts };
    },
  );

  app.get(
    '/alerts/:id',
    {
      schema: {
        tags: ['alerts'],
        summary: 'One alert with its timeline',
        params: AlertIdParamsSchema,
        response: { 200: AlertDetailResponseSchema, ...errors },
      },
    },
    async (req) => {
      const alert = await deps.alerts.visible(userOf(req), req.params.id);
      return { alert, timeline: await deps.store.alertStream.timeline(alert.id) };
    },
  );

  const actions = [
    ['ack', 'Acknowledge (claim) an alert', (u, id, note) => deps.alerts.acknowledge(u, id, note)],
    ['en-route', 'On the way', (u, id, note) => deps.alerts.enRoute(u, id, note)],
    ['on-scene', 'Arrived', (u, id, note) => deps.alerts.onScene(u, id, note)],
  ] as const satisfies readonly (readonly [
    string,
    string,
    (u: ReturnType<typeof userOf>, id: string, note?: string) => unknown,
  ])[];
  for (const [path, summary, act] of actions) {
    app.post(
      `/alerts/:id/${path}`,
      {
        // The note is optional, and so is the body that carries it.
        preValidation: async (req) => {
          req.body ??= {};
        },
        schema: {
          tags: ['alerts'],
          summary,
          params: AlertIdParamsSchema,
          body: AlertNoteBodySchema,
          response: { 200: AlertResponseSchema, ...errors },
        },
      },
      async (req) => ({ alert: await act(userOf(req), req.params.id, req.body?.note) }),
    );
  }

  app.post(
    '/alerts/:id/resolve',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Resolve with an outcome (required) and a note',
        params: AlertIdParamsSchema,
        body: ResolveBodySchema,
        response: { 200: AlertResponseSchema, ...errors },
      },
    },
    async (req) => ({
      alert: await deps.alerts.resolve(userOf(req), req.params.id, req.body.outcome, req.body.note),
    }),
  );
};
