import {
  DeviceIdParamsSchema,
  DeviceListQuerySchema,
  DeviceListResponseSchema,
  DeviceResponseSchema,
  ErrorResponseSchema,
  systemClock,
} from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { canSee, listFilter, scopeOf } from '../../auth/scope';
import { DeviceAdmin } from '../../devices/device-admin';
import { apiDevice, DeviceFlags } from '../../devices/device-flags';
import type { AppDeps } from '../app';
import { makeRequireUser, userOf } from '../authenticate';

/** What a change to one device answers. */
const oneDevice = {
  200: DeviceResponseSchema,
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
};

export const deviceRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));
  // `AppDeps` has no clock yet: a person's clearing is stamped with the wall clock.
  const flags = new DeviceFlags({ store: deps.store, clock: systemClock });
  const admin = new DeviceAdmin({ store: deps.store, now: () => new Date(systemClock.now()).toISOString() });

  app.get(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Devices the caller may see, with how they last reported and any flag (never their secrets)',
        querystring: DeviceListQuerySchema,
        response: { 200: DeviceListResponseSchema, 400: ErrorResponseSchema, 401: ErrorResponseSchema },
      },
    },
    async (req) => {
      const user = userOf(req);
      const scope = scopeOf(user);
      const { siteIds } = await listFilter(user, deps.store, req.query.site);
      const devices = (await deps.store.devices.list(siteIds)).filter((d) => canSee(scope, d)).map(apiDevice);
      return { devices };
    },
  );

  app.post(
    '/devices/:id/clear-flag',
    {
      schema: {
        tags: ['devices'],
        summary: 'Clear the flag the gateway set on a device (it flooded); staff of its site, supervisors, admins',
        params: DeviceIdParamsSchema,
        response: oneDevice,
      },
    },
    async (req) => ({ device: await flags.clearAs(userOf(req), req.params.id) }),
  );

  for (const [action, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    app.post(
      `/devices/:id/${action}`,
      {
        schema: {
          tags: ['devices'],
          summary:
            action === 'disable'
              ? 'Disable a device: refused at its next connect and its next message, on every gateway; supervisors, admins'
              : 'Enable a disabled device again; supervisors, admins',
          params: DeviceIdParamsSchema,
          response: oneDevice,
        },
      },
      async (req) => ({ device: await admin.setEnabledAs(userOf(req), req.params.id, enabled) }),
    );
  }
};
