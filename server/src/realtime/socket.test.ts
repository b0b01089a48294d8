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

  it('family hear about their own relative only; staff hear about their whole site', async () => {
    const [familyToken, staffToken] = [await t.login('fam'), await t.login('staff-a')];
    const family = connect({ token: familyToken });
    const staff = connect({ token: staffToken });
    // Listen for `ready` before yielding, or it may come and go unheard.
    const [familyReady] = await Promise.all([ready(family), ready(staff)]);
    expect(familyReady).toEqual({ userId: t.users.family.id, siteIds: [] });
    const heardByFamily: string[] = [];
    const heardByStaff: string[] = [];
    family.on('alert:raised', (a) => heardByFamily.push(a.residentId ?? ''));
    staff.on('alert:raised', (a) => heardByStaff.push(a.residentId ?? ''));
    const familyDone = new Promise<void>((resolve) =>
      family.on('alert:raised', (a) => a.residentId === t.world.resA.id && resolve()),
    );
    const staffDone = new Promise<void>((resolve) =>
      staff.on('alert:raised', (a) => a.residentId === t.world.resA.id && resolve()),
    );

    const own = t.store.alerts.get(t.alertA)!;
    const neighbour = { ...own, id: 'alt_neighbour', residentId: t.world.resA2.id, residentName: 'Li Guilan' };
    // The neighbour's alert goes out first; socket.io keeps order per connection, so once the
    // family hears about their relative they would already have heard about the neighbour.
    t.bus.emit('alert:raised', neighbour);
    t.bus.emit('alert:raised', own);
    await Promise.all([familyDone, staffDone]);
    expect(heardByFamily).toEqual([t.world.resA.id]);
    expect(heardByStaff).toEqual([t.world.resA2.id, t.world.resA.id]);
  });
});
