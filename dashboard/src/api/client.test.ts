import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, NETWORK_ERROR } from './client';

function answer(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

describe('createApiClient', () => {
  it('sends JSON with the session cookie to /api/v1', async () => {
    const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => answer(200, { alert: {} }));
    const api = createApiClient({ fetch });
    await api.resolve('a/1', { outcome: 'false_alarm', note: '' });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/v1/alerts/a%2F1/resolve');
    expect(init).toMatchObject({
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
    });
    expect(JSON.parse(String(init?.body))).toEqual({ outcome: 'false_alarm', note: '' });
  });

  it("turns the server's coded error into an ApiError", async () => {
    const api = createApiClient({
      fetch: async () => answer(409, { error: { code: 'ERR_ALERT_CLAIMED', message: 'Claimed by Li Na' } }),
    });
    await expect(api.acknowledge('a1')).rejects.toMatchObject({
      status: 409,
      code: 'ERR_ALERT_CLAIMED',
      message: 'Claimed by Li Na',
    });
  });

  it('reports a 401 as the end of the session, except for the login itself', async () => {
    const onUnauthenticated = vi.fn();
    const api = createApiClient({
      fetch: async () => answer(401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'no session' } }),
      onUnauthenticated,
    });
    await expect(api.login({ username: 'u', password: 'p' })).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthenticated).not.toHaveBeenCalled();
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });

  it('marks an unreachable server as a network error', async () => {
    const api = createApiClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(api.me()).rejects.toMatchObject({ status: 0, code: NETWORK_ERROR });
  });
});
