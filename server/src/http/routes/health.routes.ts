import { HealthResponseSchema } from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app';

export const healthRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness and the journal consumers’ lag (no authentication, no personal data)',
        response: { 200: HealthResponseSchema, 503: HealthResponseSchema },
      },
    },
    async (_req, reply) => {
      const health = await deps.health();
      return reply.status(health.status === 'ok' ? 200 : 503).send(health);
    },
  );
};
