/**
 * CSRF: a page on another site can make a browser send the session cookie, never the bearer
 * token. A cookie-carried change from another origin is refused and changes nothing; the same
 * request from this site's own pages, or with a bearer token, goes through.
 */
import type { Alert } from '@carecircle/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/fixtures';
import { isCrossSite } from './same-origin';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const HOST = 'care.example:8080';

async function ack(headers: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/alerts/${t.alertA}/ack`,
    headers: { host: HOST, ...headers },
    payload: {},
  });
}

async function stateOfA(): Promise<Alert['state']> {
  return (await t.store.alerts.get(t.alertA))!.state;
}

describe('cross-site requests', () => {
  it('refuses a cookie-carried claim from another origin, and the alert stays open', async () => {
    const cookie = `cc_session=${await t.login('staff-a')}`;
    for (const headers of <Record<string, string>[]>[
      { cookie, origin: 'https://evil.example' },
      { cookie, origin: 'null' },
      { cookie, 'sec-fetch-site': 'cross-site' },
      { cookie, origin: `http://${HOST}.evil.example` },
    ]) {
      const res = await ack(headers);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: 'ERR_CROSS_SITE' } });
    }
    expect(await stateOfA()).toBe('open');
    expect((await t.store.alertStream.timeline(t.alertA)).map((e) => e.action)).toEqual(['raised']);
  });

  it("accepts the same claim from this site's own page, and a bearer token from anywhere", async () => {
    const token = await t.login('staff-a');
    const res = await ack({ cookie: `cc_session=${token}`, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' });
    expect(res.statusCode).toBe(200);
    expect(await stateOfA()).toBe('acknowledged');
    const onScene = await t.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${t.alertA}/en-route`,
      headers: { host: HOST, authorization: `Bearer ${token}`, origin: 'https://integrator.example' },
      payload: {},
    });
    expect(onScene.statusCode).toBe(200);
  });

  it('refuses a cross-site login (which would plant a session), and lets reads through', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { host: HOST, origin: 'https://evil.example' },
      payload: { username: 'staff-a', password: 'staff-a-pw' },
    });
    expect(login.statusCode).toBe(403);
    const cookie = `cc_session=${await t.login('staff-a')}`;
    const read = await t.app.inject({
      url: '/api/v1/alerts',
      headers: { host: HOST, cookie, origin: 'https://evil.example' },
    });
    expect(read.statusCode).toBe(200); // a read changes nothing, and CORS keeps its answer from the other site
  });

  it('tells same-origin from cross-site by Origin, then by Sec-Fetch-Site', () => {
    expect(isCrossSite({ host: HOST, origin: `https://${HOST}` })).toBe(false);
    expect(isCrossSite({ host: HOST, origin: 'https://care.example' })).toBe(true); // another port is another origin
    expect(isCrossSite({ host: HOST, origin: 'not a url' })).toBe(true);
    expect(isCrossSite({ host: HOST, 'sec-fetch-site': 'same-site' })).toBe(true);
    expect(isCrossSite({ host: HOST, 'sec-fetch-site': 'same-origin' })).toBe(false);
    expect(isCrossSite({ host: HOST })).toBe(false); // not a browser acting for someone else
  });
});
