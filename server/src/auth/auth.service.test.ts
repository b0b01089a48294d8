import { CareCircleError, type User } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, createTestDb, queryFile, type TestDb } from '../testing/fixtures';
import { AuthService, SESSION_TTL_MS, tokenHash } from './auth.service';

let t: TestDb;
let auth: AuthService;
let user: User;

beforeEach(async () => {
  t = createTestDb();
  auth = new AuthService({ store: t.store, clock: t.clock });
  user = await addUser(t.store, t.clock, { username: 'mei', role: 'supervisor', password: 'right-password' });
});
afterEach(() => t.close());

/** Rows as another connection to the database file reads them. */
const query = <T>(sql: string): T[] => queryFile<T>(t.file, sql);

describe('AuthService', () => {
  it('logs in with the right password and answers a token, its expiry and the user', async () => {
    const session = await auth.login('mei', 'right-password');
    expect(session.user).toEqual(user);
    expect(session.user).not.toHaveProperty('passwordHash');
    expect(session.token.length).toBeGreaterThanOrEqual(40);
    expect(session.expiresAt).toBe(new Date(t.clock.now() + SESSION_TTL_MS).toISOString());
    expect(await auth.authenticate(session.token)).toEqual(user);
  });

  it('answers ERR_BAD_CREDENTIALS for a wrong password and for an unknown user alike', async () => {
    const wrong = await auth.login('mei', 'wrong-password').catch((e: unknown) => e);
    const unknown = await auth.login('nobody', 'right-password').catch((e: unknown) => e);
    for (const err of [wrong, unknown]) {
      expect(err).toBeInstanceOf(CareCircleError);
      expect(err).toMatchObject({ code: 'ERR_BAD_CREDENTIALS', message: 'wrong username or password' });
    }
    expect(query('SELECT COUNT(*) AS n FROM sessions')).toEqual([{ n: 0 }]);
  });

  it('records failed logins in the audit log without the password', async () => {
    await expect(auth.login('mei', 'hunter2-guess', '192.0.2.7')).rejects.toThrow();
    const rows = query("SELECT action, detail FROM audit_log WHERE action LIKE 'auth.%'");
    expect(rows).toEqual([
      { action: 'auth.login_failed', detail: JSON.stringify({ username: 'mei', address: '192.0.2.7' }) },
    ]);
    expect(JSON.stringify(query('SELECT * FROM audit_log'))).not.toContain('hunter2');
  });

  it('a token works until the session expires', async () => {
    const { token } = await auth.login('mei', 'right-password');
    t.clock.advance(SESSION_TTL_MS - 1);
    expect((await auth.authenticate(token))?.id).toBe(user.id);
    t.clock.advance(1);
    expect(await auth.authenticate(token)).toBeNull();
  });

  it('refuses unknown, empty and missing tokens', async () => {
    expect(await auth.authenticate('not-a-token')).toBeNull();
    expect(await auth.authenticate('')).toBeNull();
    expect(await auth.authenticate(undefined)).toBeNull();
  });

  it('logout ends that session only', async () => {
    const a = await auth.login('mei', 'right-password');
    const b = await auth.login('mei', 'right-password');
    await auth.logout(a.token);
    expect(await auth.authenticate(a.token)).toBeNull();
    expect((await auth.authenticate(b.token))?.id).toBe(user.id);
  });

  it('stores only the SHA-256 of session tokens', async () => {
    const { token } = await auth.login('mei', 'right-password');
    const rows = query<{ token_hash: string }>('SELECT * FROM sessions');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(tokenHash(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});
