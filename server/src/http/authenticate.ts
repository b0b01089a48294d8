/** Finds the user behind a request: `Authorization: Bearer …` or the session cookie. */
import { CareCircleError, SESSION_COOKIE, type User } from '@carecircle/protocol';
import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth.service';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
    sessionToken: string | null;
  }
}

export function tokenOf(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim() || null;
  return req.cookies?.[SESSION_COOKIE] ?? null;
}

export function makeRequireUser(auth: AuthService) {
  return async function requireUser(req: FastifyRequest): Promise<void> {
    const token = tokenOf(req);
    const user = await auth.authenticate(token);
    if (!user) throw new CareCircleError('ERR_UNAUTHENTICATED', 'log in first');
    req.user = user;
    req.sessionToken = token;
  };
}

/** Figures over a site (counts, KPIs) are for its staff and up: families and responders are refused. */
export function staffOnly(user: User, what: string): User {
  if (user.role === 'family' || user.role === 'responder') {
    throw new CareCircleError('ERR_FORBIDDEN', `${what} is for staff, supervisors and admins`);
  }
  return user;
}

/** The authenticated user; only valid in routes behind `requireUser`. */
export function userOf(req: FastifyRequest): User {
  if (!req.user) throw new CareCircleError('ERR_UNAUTHENTICATED', 'log in first');
  return req.user;
}
