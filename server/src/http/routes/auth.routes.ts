import {
  ErrorResponseSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  MeResponseSchema,
  SESSION_COOKIE,
} from '@carecircle/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { scopeOf } from '../../auth/scope';
import type { AppDeps } from '../app';
import { makeRequireUser, userOf } from '../authenticate';

export const authRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const requireUser = makeRequireUser(deps.auth);

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in; answers a bearer token and sets the session cookie for browsers',
        body: LoginRequestSchema,
        response: { 200: LoginResponseSchema, 401: ErrorResponseSchema, 429: ErrorResponseSchema },
      },
    },
    async (req, reply) => {
      const session = await deps.auth.login(req.body.username, req.body.password, req.ip);
      void reply.setCookie(SESSION_COOKIE, session.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        expires: new Date(session.expiresAt),
      });
      return session;
    },
  );

  app.post(
    '/auth/logout',
    {
      preHandler: requireUser,
      schema: { tags: ['auth'], response: { 204: Type.Null(), 401: ErrorResponseSchema } },
    },
    async (req, reply) => {
      if (req.sessionToken) await deps.auth.logout(req.sessionToken);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      preHandler: requireUser,
      schema: { tags: ['auth'], response: { 200: MeResponseSchema, 401: ErrorResponseSchema } },
    },
    async (req) => {
      const user = userOf(req);
      const scope = scopeOf(user);
      const siteIds = scope.siteIds ?? undefined;
      const sites = await deps.store.sites.list(user.role === 'family' && user.siteId ? [user.siteId] : siteIds);
      return { user, sites };
    },
  );
};
