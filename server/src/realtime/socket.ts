/**
 * socket.io live updates. A client is admitted only with a valid session (handshake
 * `auth.token` or the session cookie) and is joined to exactly the rooms its role and scope
 * allow: staff to their site, family to their relative, admin and supervisors to every site.
 */
import type { Server as HttpServer } from 'node:http';
import {
  type Alert,
  type ClientToServerEvents,
  type ResidentStatusChange,
  rooms,
  SESSION_COOKIE,
  type ServerToClientEvents,
  type User,
} from '@carecircle/protocol';
import fastifyCookie from '@fastify/cookie';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { AlertBus } from '../alerts/alert.bus';
import type { AuthService } from '../auth/auth.service';
import { scopeOf } from '../auth/scope';
import { tokenHash } from '../storage/sqlite/users.repository';
import type { StateStore } from '../storage/state-store';

interface SocketData {
  user: User;
  /** The session's token, kept to re-check it; never sent anywhere or logged. */
  token: string;
  tokenHash: string;
}

/** How often live connections re-check that their session still exists and has not expired. */
export const SESSION_RECHECK_MS = 30_000;

export interface Realtime {
  io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  close(): void;
}

export function attachRealtime(deps: {
  httpServer: HttpServer;
  auth: AuthService;
  store: StateStore;
  bus: AlertBus;
  logger: Logger;
}): Realtime {
  const log = deps.logger.child({ module: 'realtime' });
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(
    deps.httpServer,
    {
      serveClient: false,
      // Same origin only: the dashboard is served by this server.
      cors: { origin: false },
    },
  );

  io.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const fromAuth = typeof auth?.token === 'string' ? auth.token : undefined;
    const cookieHeader = socket.handshake.headers.cookie;
    const fromCookie = cookieHeader ? fastifyCookie.parse(cookieHeader)[SESSION_COOKIE] : undefined;
    const token = fromAuth ?? fromCookie;
    const user = deps.auth.authenticate(token);
    if (!user || !token) {
      next(new Error('ERR_UNAUTHENTICATED'));
      return;
    }
    socket.data.user = user;
    socket.data.token = token;
    socket.data.tokenHash = tokenHash(token);
    next();
  });

  io.on('connection', (socket) => {
    const user = socket.data.user;
    const scope = scopeOf(user);
    const siteIds = scope.residentIds ? [] : (scope.siteIds ?? deps.store.sites.list().map((s) => s.id));
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
  const onRaised = (alert: Alert) => toAudience(alert).emit('alert:raised', alert);
  const onUpdated = (alert: Alert) => toAudience(alert).emit('alert:updated', alert);
  const onStatus = (change: ResidentStatusChange) =>
    io.to([rooms.site(change.siteId), rooms.resident(change.residentId)]).emit('resident:status', change);
  // A session that ends (logout) or expires takes its live connections with it.
  const onSessionEnded = (hash: string) => {
    for (const socket of io.of('/').sockets.values()) {
      if (socket.data.tokenHash === hash) socket.disconnect(true);
    }
  };
  const recheck = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      if (!deps.auth.authenticate(socket.data.token)) socket.disconnect(true);
    }
  }, SESSION_RECHECK_MS);
  recheck.unref();
  deps.auth.on('session:ended', onSessionEnded);
  deps.bus.on('alert:raised', onRaised);
  deps.bus.on('alert:updated', onUpdated);
  deps.bus.on('resident:status', onStatus);

  return {
    io,
    close() {
      clearInterval(recheck);
      deps.auth.off('session:ended', onSessionEnded);
      deps.bus.off('alert:raised', onRaised);
      deps.bus.off('alert:updated', onUpdated);
      deps.bus.off('resident:status', onStatus);
      io.disconnectSockets(true);
      // The HTTP server itself is closed by Fastify.
      io.engine.close();
    },
  };
}
