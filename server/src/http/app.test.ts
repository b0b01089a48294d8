import { afterEach, describe, expect, it } from 'vitest';
import { renderPrometheus } from '../metrics';
import { createTestApp, type TestApp } from '../testing/fixtures';

let t: TestApp | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('the HTTP app', () => {
  it('sends security headers: a same-origin content policy, no framing, no sniffing', async () => {
    t = await createTestApp();
    const res = await t.app.inject({ url: '/api/v1/health' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    t = await createTestApp();
    for (const [method, url] of [
      ['GET', '/nope'],
      ['GET', '/api/v1/nope'],
      ['DELETE', '/api/v1/alerts'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: `no route ${method} ${url}` } });
    }
  });

  it('hides the detail of an internal error', async () => {
    t = await createTestApp({
      health: async () => {
        throw new Error('SQLITE_CORRUPT at /var/lib/carecircle/carecircle.db');
      },
    });
    const res = await t.app.inject({ url: '/api/v1/health' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'ERR_INTERNAL', message: 'internal error' } });
    expect(res.body).not.toContain('SQLITE');
  });

  it('serves health without authentication: 200 when ok, 503 when failing', async () => {
    let gateway = true;
    t = await createTestApp({
      health: async () => ({
        status: gateway ? 'ok' : 'failing',
        reasons: gateway ? [] : ['gateway: not listening for devices'],
        version: 'test',
        role: 'all',
        uptimeSeconds: 3,
        checks: { database: true, gateway, journal: true },
        journal: { head: 7, consumers: { 'alert-engine': { offset: 7, lag: 0 } } },
        alerts: { head: 2, consumers: { 'live-push': { offset: 2, lag: 0 } } },
      }),
    });
    const ok = await t.app.inject({ url: '/api/v1/health' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', journal: { head: 7 }, alerts: { head: 2 } });
    gateway = false;
    const failing = await t.app.inject({ url: '/api/v1/health' });
    expect(failing.statusCode).toBe(503);
    expect(failing.json()).toMatchObject({ status: 'failing', checks: { gateway: false } });
  });

  it('answers 413 for a body over the limit', async () => {
    t = await createTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'x', password: 'y'.repeat(70 * 1024) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('publishes an OpenAPI document listing the routes', async () => {
    t = await createTestApp();
    const res = await t.app.inject({ url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('CareCircle API');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/alerts',
        '/api/v1/alerts/{id}',
        '/api/v1/alerts/{id}/resolve',
        '/api/v1/auth/login',
      ]),
    );
    expect(doc.paths['/api/v1/alerts']).toHaveProperty('get');
    expect(doc.paths).not.toHaveProperty('/metrics');
  });

  it('serves /metrics as Prometheus text', async () => {
    const text = renderPrometheus([
      { name: 'carecircle_alerts_active', help: 'Alerts not yet resolved', type: 'gauge', values: [{ value: 2 }] },
      {
        name: 'carecircle_gateway_rejects_total',
        help: 'Device input refused, by reason',
        type: 'counter',
        values: [{ labels: { reason: 'bad "creds"' }, value: 1 }],
      },
    ]);
    t = await createTestApp({ metrics: async () => text });
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toBe(
      [
        '# HELP carecircle_alerts_active Alerts not yet resolved',
        '# TYPE carecircle_alerts_active gauge',
        'carecircle_alerts_active 2',
        '# HELP carecircle_gateway_rejects_total Device input refused, by reason',
        '# TYPE carecircle_gateway_rejects_total counter',
        'carecircle_gateway_rejects_total{reason="bad \\"creds\\""} 1',
        '',
      ].join('\n'),
    );
  });
});
