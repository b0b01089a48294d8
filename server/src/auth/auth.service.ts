/** Logins and sessions. Passwords are verified against scrypt hashes; tokens are opaque. */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CareCircleError, type Clock, type User } from '@carecircle/protocol';
import type { StateStore } from '../storage/ports';
import { LoginThrottle } from './login-throttle';
import { DUMMY_HASH, verifySecret } from './secrets';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Session tokens are random; only their SHA-256 is stored, so a database leak yields no live tokens. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface AuthEvents {
  /**
   * A session ended by logout; live connections holding it close at once. A hint only (the
   * sockets also re-check their session every 30 s), so an in-process emitter is enough.
   */
  'session:ended': [string];
}

export class AuthService extends EventEmitter<AuthEvents> {
  private readonly throttle: LoginThrottle;

  constructor(private readonly deps: { store: StateStore; clock: Clock; throttle?: LoginThrottle }) {
    super();
    this.throttle = deps.throttle ?? new LoginThrottle(deps.clock);
  }

  async login(
    username: string,
    password: string,
    address = 'unknown',
  ): Promise<{ token: string; expiresAt: string; user: User }> {
    const { store, clock } = this.deps;
    const retryAfterMs = this.throttle.retryAfterMs(username, address);
    if (retryAfterMs > 0) {
      throw new CareCircleError('ERR_RATE_LIMITED', 'too many failed logins; try again later', {
        retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
      });
    }
    const found = await store.users.findByUsername(username);
    // Verify even for unknown names so response time does not tell which usernames exist.
    const ok = await verifySecret(password, found?.passwordHash ?? DUMMY_HASH);
    const at = new Date(clock.now()).toISOString();
    if (!found || !ok) {
      this.throttle.failed(username, address);
      await store.audit.record(at, { type: 'system', id: 'auth', name: 'auth' }, 'auth.login_failed', null, {
        username,
        address,
      });
      throw new CareCircleError('ERR_BAD_CREDENTIALS', 'wrong username or password');
    }
    this.throttle.succeeded(username, address);
    const { passwordHash: _omit, ...user } = found;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(clock.now() + SESSION_TTL_MS).toISOString();
    await store.sessions.create({ tokenHash: tokenHash(token), userId: user.id, now: at, expiresAt });
    await store.audit.record(at, { type: 'user', id: user.id, name: user.displayName }, 'auth.login', user.id);
    return { token, expiresAt, user };
  }

  async authenticate(token: string | undefined | null): Promise<User | null> {
    if (!token) return null;
    return this.deps.store.sessions.userFor(tokenHash(token), new Date(this.deps.clock.now()).toISOString());
  }

  async logout(token: string): Promise<void> {
    await this.deps.store.sessions.delete(tokenHash(token));
    this.emit('session:ended', tokenHash(token));
  }
}
