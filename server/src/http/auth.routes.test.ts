import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/fixtures';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const login = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

describe('POST /api/v1/auth/login', () => {
  it('answers a token and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const res = await login('staff-a', 'staff-a-pw');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { token: string; expiresAt: string; user: { id: string } };
    expect(body.user).toEqual(t.users.staffA);
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const cookie = res.cookies.find((c) => c.name === 'cc_session');
    expect(cookie).toMatchObject({ value: body.token, httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.expires?.toISOString()).toBe(new Date(body.expiresAt).toISOString());
  });

  it('answers 401 ERR_BAD_CREDENTIALS for a wrong password or an unknown user, with no cookie', async () => {
    for (const res of [await login('staff-a', 'nope'), await login('ghost', 'staff-a-pw')]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'ERR_BAD_CREDENTIALS', message: 'wrong username or password' } });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('after five wrong passwords slows that account from that address (429, Retry-After), not others', async () => {
    const from = (username: string, password: string, address: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username, password },
        remoteAddress: address,
      });
    for (let i = 0; i < 5; i++) expect((await from('staff-a', `guess-${i}`, '203.0.113.9')).statusCode).toBe(401);
    const limited = await from('staff-a', 'staff-a-pw', '203.0.113.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'ERR_RATE_LIMITED' } });
    expect(Number(limited.headers['retry-after'])).toBe(1);
    // The nurse herself, from her own address, is not locked out by someone guessing elsewhere.
    expect((await from('staff-a', 'staff-a-pw', '10.0.0.1')).statusCode).toBe(200);
    // Nor is another user behind the guesser's address.
    expect((await from('staff-b', 'staff-b-pw', '203.0.113.9')).statusCode).toBe(200);
    // A slow-down: a second later the right password works from there too.
    t.clock.advance(1000);
    expect((await from('staff-a', 'staff-a-pw', '203.0.113.9')).statusCode).toBe(200);
  });

  it('refuses a malformed body with 400 ERR_VALIDATION', async () => {
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'staff-a' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    expect((missing.json() as { error: { message: string } }).error.message).toContain('password');
    const extra = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'staff-a', password: 'staff-a-pw', admin: true },
    });
    expect(extra.statusCode).toBe(400);
  });
});

describe('sessions', () => {
  it('GET /auth/me works with the bearer token and with the cookie', async () => {
    const token = await t.login('staff-a');
    const bearer = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    const cookie = await t.app.inject({ url: '/api/v1/auth/me', cookies: { cc_session: token } });
    for (const res of [bearer, cookie]) {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        user: t.users.staffA,
        sites: [{ id: t.world.siteA, name: 'Sunshine', kind: 'facility', tz: 'Asia/Shanghai' }],
      });
    }
  });

  it('answers 401 without a session or with a bad one', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic c3RhZmYtYTp4' }]) {
      const res = await t.app.inject({ url: '/api/v1/auth/me', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'ERR_UNAUTHENTICATED' } });
    }
  });

  it('logout ends the session and clears the cookie', async () => {
    const token = await t.login('super');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(204);
    expect(res.cookies.find((c) => c.name === 'cc_session')?.value).toBe('');
    const after = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(after.statusCode).toBe(401);
  });

  it('a session expires after its TTL', async () => {
    const token = await t.login('super');
    t.clock.advance(12 * 60 * 60 * 1000);
    const res = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(401);
  });
});
