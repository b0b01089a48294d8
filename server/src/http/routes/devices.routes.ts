import {
  type Device,
  DeviceListQuerySchema,
  DeviceListResponseSchema,
  ErrorResponseSchema,
} from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { canSee, listFilter, scopeOf } from '../../auth/scope';
import type { AppDeps } from '../app';
import { makeRequireUser, userOf } from '../authenticate';

export const deviceRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));

  app.get(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Devices the caller may see, with how they last reported (never their secrets)',
        querystring: DeviceListQuerySchema,
        response: { 200: DeviceListResponseSchema, 400: ErrorResponseSchema, 401: ErrorResponseSchema },
      },
    },
    async (req) => {
      const user = userOf(req);
      const scope = scopeOf(user);
      const { siteIds } = await listFilter(user, deps.store, req.query.site);
      const devices: Device[] = (await deps.store.devices.list(siteIds))
        .filter((d) => canSee(scope, d))
        .map(({ secretHash: _secret, ...d }): Device => d);
      return { devices };
    },
  );
};
