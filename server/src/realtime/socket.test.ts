/** socket.io admission and session life: a real listening app and a real socket.io client. */
import type { AddressInfo } from 'node:net';
import type { ClientToServerEvents, ServerToClientEvents } from '@carecircle/protocol';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/fixtures';

let t: TestApp;
let base: string;
const sockets: Socket[] = [];

beforeEach(async () => {
  t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await t.close();
});

function connect(auth: { token?: string }, cookie?: string) {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(base, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    ...(cookie ? { extraHeaders: { cookie } } : {}),
  });
  sockets.push(socket);
  return socket;
}

const ready = (s: Socket<ServerToClientEvents, ClientToServerEvents>) =>
  new Promise<{ userId: string; siteIds: string[] }>((resolve, reject) => {
    s.once('ready', resolve);
    s.once('connect_error', reject);
  });

describe('socket.io sessions', () => {
  it('admits a session token in the handshake or the session cookie, and joins the user’s site only', async () => {
    const token = await t.login('staff-a');
    expect(await ready(connect({ token }))).toEqual({ userId: t.users.staffA.id, siteIds: [t.world.siteA] });
    expect(await ready(connect({}, `cc_session=${token}`))).toMatchObject({ siteIds: [t.world.siteA] });
  });

  it('refuses a connection without a valid session', async () => {
    await expect(ready(connect({ token: 'forged' }))).rejects.toThrow('ERR_UNAUTHENTICATED');
    await expect(ready(connect({}))).rejects.toThrow('ERR_UNAUTHENTICATED');
  });

  it('logout closes the live connections of that session, not those of another', async () => {
    const first = await t.login('staff-a');
    const second = await t.login('staff-a');
    const a = connect({ token: first });
    const b = connect({ token: second });
    await Promise.all([ready(a), ready(b)]);
    const closed = new Promise<string>((resolve) => a.once('disconnect', resolve));
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${first}` },
    });
    expect(res.statusCode).toBe(204);
    expect(await closed).toBe('io server disconnect');
    expect(b.connected).toBe(true);
  });
});
