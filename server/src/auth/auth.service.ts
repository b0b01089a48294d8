/** Logins and sessions. Passwords are verified against scrypt hashes; tokens are opaque. */
import { randomBytes } from 'node:crypto';
import { CareCircleError, type Clock, type User } from '@carecircle/protocol';
import type { StateStore } from '../storage/state-store';
import { DUMMY_HASH, verifySecret } from './secrets';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export class AuthService {
  constructor(private readonly deps: { store: StateStore; clock: Clock }) {}

  async login(username: string, password: string): Promise<{ token: string; expiresAt: string; user: User }> {
    const { store, clock } = this.deps;
    const found = store.users.findByUsername(username);
    // Verify even for unknown names so response time does not tell which usernames exist.
    const ok = await verifySecret(password, found?.passwordHash ?? DUMMY_HASH);
    const at = new Date(clock.now()).toISOString();
    if (!found || !ok) {
      store.audit.record(at, { type: 'system', id: 'auth', name: 'auth' }, 'auth.login_failed', null, { username });
      throw new CareCircleError('ERR_BAD_CREDENTIALS', 'wrong username or password');
    }
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
  }
}
