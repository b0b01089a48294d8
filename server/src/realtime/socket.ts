/**
 * socket.io live updates. A client is admitted only with a valid session (handshake
 * `auth.token` or the session cookie) and is joined to exactly the rooms its role and scope
 * allow: staff to their site, family to their relative, admin and supervisors to every site.
 * What is sent comes from the live push (live-push.ts), a consumer of the alert stream.
 */
import type { Server as HttpServer } from 'node:http';
import {
  type Alert,
  type ClientToServerEvents,
  type Page,
  type ResidentStatusChange,
  rooms,
  SESSION_COOKIE,
  type ServerToClientEvents,
  type User,
} from '@carecircle/protocol';
import fastifyCookie from '@fastify/cookie';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import { type AuthService, tokenHash } from '../auth/auth.service';
import { scopeOf } from '../auth/scope';
import { isCrossSite } from '../http/same-origin';
import type { StateStore } from '../storage/ports';

interface SocketData {
  user: User;
  /** The session's token, kept to re-check it; never sent anywhere or logged. */
  token: string;
  tokenHash: string;
  /** The sites whose rooms it joins, worked out at admission. */
  siteIds: string[];
}

/** Heartbeats of live connections (see attachRealtime). */
export const LIVE_PING_INTERVAL_MS = 4_000;
export const LIVE_PING_TIMEOUT_MS = 3_000;

/** How often live connections re-check that their session still exists and has not expired. */
export const SESSION_RECHECK_MS = 30_000;

/** Where the live push sends what it read from the alert stream. */
export interface LiveAudience {
  alert(how: 'raised' | 'updated', alert: Alert): void;
  /** To the live sessions of the people paged, and to no one else. */
  paged(alert: Alert, page: Page, at: string): void;
  residentStatus(change: ResidentStatusChange): void;
}

export interface Realtime extends LiveAudience {
  io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  close(): void;
}

export function attachRealtime(deps: {
  httpServer: HttpServer;
  auth: AuthService;
  store: StateStore;
  logger: Logger;
}): Realtime {
  const log = deps.logger.child({ module: 'realtime' });
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(
    deps.httpServer,
    {
      serveClient: false,
      // Same origin only: the dashboard is served by this server.
      cors: { origin: false },
      // A board must say "reconnecting" within seconds of losing the server, also when nothing
      // closes the connection (a pulled cable, a sleeping Wi-Fi): a ping every 4 s, and a client
      // that hears none for 4 + 3 s gives the connection up and shows it.
      pingInterval: LIVE_PING_INTERVAL_MS,
      pingTimeout: LIVE_PING_TIMEOUT_MS,
    },
  );

  io.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const fromAuth = typeof auth?.token === 'string' ? auth.token : undefined;
    const cookieHeader = socket.handshake.headers.cookie;
    const fromCookie = cookieHeader ? fastifyCookie.parse(cookieHeader)[SESSION_COOKIE] : undefined;
    const token = fromAuth ?? fromCookie;
    // A handshake that rides on the cookie must come from this site's own pages (CSRF, same-origin.ts).
    if (fromAuth === undefined && isCrossSite(socket.handshake.headers)) {
      next(new Error('ERR_CROSS_SITE'));
      return;
    }
    const admit = async (): Promise<Error | null> => {
      const user = await deps.auth.authenticate(token);
      if (!user || !token) return new Error('ERR_UNAUTHENTICATED');
      const scope = scopeOf(user);
      socket.data.user = user;
      socket.data.token = token;
      socket.data.tokenHash = tokenHash(token);
      socket.data.siteIds = scope.residentIds
        ? []
        : (scope.siteIds ?? (await deps.store.sites.list()).map((s) => s.id));
      return null;
    };
    admit().then(
      (refusal) => next(refusal ?? undefined),
      (err: unknown) => {
        log.error({ err }, 'socket admission failed');
        next(new Error('ERR_UNAVAILABLE'));
      },
    );
  });

  io.on('connection', (socket) => {
    const user = socket.data.user;
    const scope = scopeOf(user);
    const siteIds = socket.data.siteIds;
    const joined = [
      rooms.user(user.id),
      ...siteIds.map((id) => rooms.site(id)),
      ...(scope.residentIds ?? []).map((id) => rooms.resident(id)),
    ];
    void socket.join(joined);
    socket.emit('ready', { userId: user.id, siteIds });
    log.debug({ userId: user.id, rooms: joined }, 'socket joined');
  });

  const toAudience = (alert: { siteId: string; residentId: string | null }) => {
    const targets = [rooms.site(alert.siteId)];
    if (alert.residentId) targets.push(rooms.resident(alert.residentId));
    return io.to(targets);
  };

  // A session that ends (logout) or expires takes its live connections with it.
  const onSessionEnded = (hash: string) => {
    for (const socket of io.of('/').sockets.values()) {
      if (socket.data.tokenHash === hash) socket.disconnect(true);
    }
  };
  const recheck = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      deps.auth.authenticate(socket.data.token).then(
        (user) => {
          if (!user) socket.disconnect(true);
        },
        (err: unknown) => log.warn({ err }, 'session re-check failed; keeping the connection'),
      );
    }
  }, SESSION_RECHECK_MS);
  recheck.unref();
  deps.auth.on('session:ended', onSessionEnded);

  return {
    io,
    alert(how, alert) {
      toAudience(alert).emit(how === 'raised' ? 'alert:raised' : 'alert:updated', alert);
    },
    paged(alert, page, at) {
      if (page.recipients.length === 0) return;
      io.to(page.recipients.map((r) => rooms.user(r.id))).emit('alert:paged', { alert, page, at });
    },
    residentStatus(change) {
      io.to([rooms.site(change.siteId), rooms.resident(change.residentId)]).emit('resident:status', change);
    },
    close() {
      clearInterval(recheck);
      deps.auth.off('session:ended', onSessionEnded);
      io.disconnectSockets(true);
      // The HTTP server itself is closed by Fastify.
      io.engine.close();
    },
  };
}
