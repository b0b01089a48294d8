/** Logins and sessions. Passwords are verified against scrypt hashes; tokens are opaque. */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CareCircleError, type Clock, type User } from '@carecircle/protocol';
import { tokenHash } from '../storage/sqlite/users.repository';
import type { StateStore } from '../storage/state-store';
import { LoginThrottle } from './login-throttle';
import { DUMMY_HASH, verifySecret } from './secrets';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface AuthEvents {
  /** A session ended by logout; live connections holding it must close. Carries the token's hash. */
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
    const found = store.users.findByUsername(username);
    // Verify even for unknown names so response time does not tell which usernames exist.
    const ok = await verifySecret(password, found?.passwordHash ?? DUMMY_HASH);
    const at = new Date(clock.now()).toISOString();
    if (!found || !ok) {
      this.throttle.failed(username, address);
      store.audit.record(at, { type: 'system', id: 'auth', name: 'auth' }, 'auth.login_failed', null, {
        username,
        address,
      });
      throw new CareCircleError('ERR_BAD_CREDENTIALS', 'wrong username or password');
    }
    this.throttle.succeeded(username);
    const { passwordHash: _omit, ...user } = found;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(clock.now() + SESSION_TTL_MS).toISOString();
    store.users.createSession(user.id, token, at, expiresAt);
    store.audit.record(at, { type: 'user', id: user.id, name: user.displayName }, 'auth.login', user.id);
    return { token, expiresAt, user };
  }

  authenticate(token: string | undefined): User | null {
    if (!token) return null;
    return this.deps.store.users.userForToken(token, new Date(this.deps.clock.now()).toISOString());
  }

  logout(token: string): void {
    this.deps.store.users.deleteSession(token);
    this.emit('session:ended', tokenHash(token));
  }
}
