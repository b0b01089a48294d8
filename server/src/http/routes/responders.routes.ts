import {
  CreateResponderRequestSchema,
  CreateResponderResponseSchema,
  ErrorResponseSchema,
  ResponderDutyRequestSchema,
  ResponderPositionSchema,
  ResponderResponseSchema,
  RespondersResponseSchema,
  systemClock,
} from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ResponderAdmin } from '../../circle/responders';
import type { AppDeps } from '../app';
import { makeRequireUser, userOf } from '../authenticate';

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
};

export const responderRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.addHook('preHandler', makeRequireUser(deps.auth));
  // `AppDeps` has no clock yet: a change, and a live position, is stamped with the wall clock.
  const responders = new ResponderAdmin({ store: deps.store, now: () => new Date(systemClock.now()).toISOString() });

  app.post(
    '/responders',
    {
      schema: {
        tags: ['circle'],
        summary:
          'Add a community responder: a responder user at a station, with a one-time password shown only here. Supervisors, admins',
        body: CreateResponderRequestSchema,
        response: { 201: CreateResponderResponseSchema, ...errors, 409: ErrorResponseSchema },
      },
    },
    async (req, reply) => {
      const created = await responders.create(userOf(req), req.body);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/responders',
    {
      schema: {
        tags: ['circle'],
        summary:
          "The community responders the caller may see: staff their station's, supervisors and admins every station's, a responder themself",
        querystring: Type.Object({ site: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: RespondersResponseSchema, ...errors },
      },
    },
    async (req) => ({ responders: await responders.list(userOf(req), req.query.site) }),
  );

  app.put(
    '/responders/:id/duty',
    {
      schema: {
        tags: ['circle'],
        summary: "A responder's duty: roster (their weekly shifts), on or off. The responder, supervisors, admins",
        params: Id,
        body: ResponderDutyRequestSchema,
        response: { 200: ResponderResponseSchema, ...errors },
      },
    },
    async (req) => ({ responder: await responders.setDuty(userOf(req), req.params.id, req.body.duty) }),
  );

  app.put(
    '/responders/:id/position',
    {
      schema: {
        tags: ['circle'],
        summary:
          "Share the responder's live position (browser geolocation), stamped with the server's clock. The responder only",
        params: Id,
        body: ResponderPositionSchema,
        response: { 200: ResponderResponseSchema, ...errors },
      },
    },
    async (req) => ({ responder: await responders.setPosition(userOf(req), req.params.id, req.body) }),
  );
};
