import { HealthResponseSchema } from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app';

export const healthRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary:
          'ok / degraded / failing (503) with reasons, and both logs’ consumers (no authentication, no personal data)',
        response: { 200: HealthResponseSchema, 503: HealthResponseSchema },
      },
    },
    async (_req, reply) => {
      const health = await deps.health();
      return reply.status(health.status === 'failing' ? 503 : 200).send(health);
    },
  );
};
