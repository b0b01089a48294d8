import {
  CareCircleError,
  ErrorResponseSchema,
  ResidentListQuerySchema,
  ResidentListResponseSchema,
  ResidentSchema,
} from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { canSee, listFilter, scopeOf } from '../../auth/scope';
import type { AppDeps } from '../app';
import { makeRequireUser, userOf } from '../authenticate';

export const residentRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));

  app.get(
    '/residents',
    {
      schema: {
        tags: ['residents'],
        summary: 'Residents the caller may see, with their live status',
        querystring: ResidentListQuerySchema,
        response: { 200: ResidentListResponseSchema, 400: ErrorResponseSchema, 401: ErrorResponseSchema },
      },
    },
    async (req) => {
      return { residents: await deps.store.residents.board(await listFilter(userOf(req), deps.store, req.query.site)) };
    },
  );

  app.get(
    '/residents/:id',
    {
      schema: {
        tags: ['residents'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: {
          200: Type.Object({ resident: ResidentSchema }),
          401: ErrorResponseSchema,
          404: ErrorResponseSchema,
        },
      },
    },
    async (req) => {
      const [resident] = await deps.store.residents.board({ residentIds: [req.params.id] });
      const visible = resident && canSee(scopeOf(userOf(req)), { ...resident, residentId: resident.id });
      if (!resident || !visible) throw new CareCircleError('ERR_NOT_FOUND', `no resident ${req.params.id}`);
      return { resident };
    },
  );
};
