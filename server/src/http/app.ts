/**
 * The HTTP application: a Fastify instance built by a factory, unstarted. Process concerns
 * (config, signals, listen) live in main.ts; tests drive this with `inject()` or real ports.
 */
import { existsSync } from 'node:fs';
import { API_PREFIX, CareCircleError, type HealthResponse } from '@carecircle/protocol';
import fastifyCompress from '@fastify/compress';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AlertService } from '../alerts/alert.service';
import type { AuthService } from '../auth/auth.service';
import { attachRealtime, type Realtime } from '../realtime/socket';
import type { StateStore } from '../storage/ports';
import { errorHandler } from './errors';
import { alertRoutes } from './routes/alerts.routes';
import { authRoutes } from './routes/auth.routes';
import { careRoutes } from './routes/care.routes';
import { deviceRoutes } from './routes/devices.routes';
import { healthRoutes } from './routes/health.routes';
import { kpiRoutes } from './routes/kpis.routes';
import { residentRoutes } from './routes/residents.routes';
import { responderRoutes } from './routes/responders.routes';
import { siteRoutes } from './routes/sites.routes';
import { isCrossSite, SAFE_METHODS } from './same-origin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The socket.io side, which the live push sends through. */
    realtime: Realtime;
  }
}

export interface AppDeps {
  store: StateStore;
  auth: AuthService;
  alerts: AlertService;
  health: () => Promise<HealthResponse>;
  /** Prometheus text exposition of the platform's counters. */
  metrics: () => Promise<string>;
  logger: Logger;
  /** The built dashboard (dashboard/dist); not served when absent. */
  dashboardDir?: string;
  version: string;
  /**
   * `ops`: only health and metrics (a `gateway` process: a load balancer and Prometheus ask it;
   * people and dashboards go to the servers). Default `full`.
   */
  surface?: 'full' | 'ops';
}

export async function buildServer(deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'http' }),
    // Requests are not logged one by one: the audit log records what people did.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorateRequest('user', null);
  app.decorateRequest('sessionToken', null);
  app.setErrorHandler(errorHandler);

  await app.register(fastifyCookie);
  // gzip or brotli for what is worth compressing (the dashboard's bundle, large JSON lists).
  await app.register(fastifyCompress, { threshold: 1024 });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'CareCircle API', version: deps.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { validatorUrl: null },
    // The docs pages get their own policy: swagger-ui sets inline styles from script, which only
    // 'unsafe-inline' allows (and which a hash in the same directive would switch off again).
    staticCSP: true,
    transformStaticCSP: (header) =>
      header
        .split(';')
        .map((d) => d.trim())
        .filter((d) => d !== '' && d !== 'upgrade-insecure-requests')
        .map((d) => (d.startsWith('style-src ') ? "style-src 'self' 'unsafe-inline'" : d))
        .map((d) => (d.startsWith('img-src ') ? "img-src 'self' data:" : d))
        .join('; '),
  });
  // Security headers on every answer. The policy allows only this origin (socket.io included),
  // plus the inline script and style hashes swagger-ui declares for its own page. Not
  // `upgrade-insecure-requests`: the platform may be reached over plain HTTP on a LAN.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'", ...app.swaggerCSP.script],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", ...app.swaggerCSP.style],
      },
    },
    // Only meaningful over HTTPS, which a reverse proxy in front of the platform provides.
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
  });

  // Cookie-carried changes from another site are refused before anything else runs (same-origin.ts).
  app.addHook('onRequest', async (req) => {
    if (SAFE_METHODS.has(req.method) || !req.url.startsWith('/api/')) return;
    if (req.headers.authorization?.startsWith('Bearer ')) return;
    if (isCrossSite(req.headers)) {
      throw new CareCircleError('ERR_CROSS_SITE', 'cross-site requests are refused; use this site or a bearer token');
    }
  });

  const full = deps.surface !== 'ops';
  await app.register(
    async (api) => {
      if (full) {
        await api.register(authRoutes, deps);
        await api.register(alertRoutes, deps);
        await api.register(residentRoutes, deps);
        await api.register(deviceRoutes, deps);
        await api.register(careRoutes, deps);
        await api.register(kpiRoutes, deps);
        await api.register(siteRoutes, deps);
        await api.register(responderRoutes, deps);
      }
      await api.register(healthRoutes, deps);
    },
    { prefix: API_PREFIX },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(await deps.metrics()),
  );

  if (full && deps.dashboardDir && existsSync(deps.dashboardDir)) {
    // Vite names every built asset by its content hash, so a browser may keep it for good; the
    // page that names them must be asked for afresh, or a release would not reach the board.
    await app.register(fastifyStatic, {
      root: deps.dashboardDir,
      wildcard: false,
      cacheControl: false,
      setHeaders: (res, path) => {
        const hashed = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path);
        res.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    // The dashboard routes in the browser: unknown non-API GETs get its index.html. A missing
    // file under /assets/ is a 404 (a page, served as a script or a source map, helps nobody).
    app.setNotFoundHandler((req, reply) => {
      const page = !['/api/', '/socket.io', '/assets/'].some((prefix) => req.url.startsWith(prefix));
      if (req.method === 'GET' && page) {
        return reply.sendFile('index.html');
      }
      return reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
    });
  } else {
    app.setNotFoundHandler((req, reply) =>
      reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}` } }),
    );
  }

  if (!full) return app;
  const realtime = attachRealtime({
    httpServer: app.server,
    auth: deps.auth,
    store: deps.store,
    logger: deps.logger,
  });
  app.decorate('realtime', realtime);
  app.addHook('onClose', async () => realtime.close());
  return app;
}

export type App = Awaited<ReturnType<typeof buildServer>>;
