/** socket.io admission and session life: a real listening app and a real socket.io client. */
import type { AddressInfo } from 'node:net';
import type { ClientToServerEvents, ResidentStatusChange, ServerToClientEvents } from '@carecircle/protocol';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALERT_ENGINE_CONSUMER, AlertEngine } from '../alerts/alert.engine';
import { createTestApp, deviceEvent, entries, type TestApp } from '../testing/fixtures';

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

  it('refuses a cookie-carried connection from another origin, but not a token from anywhere (CSRF)', async () => {
    const token = await t.login('staff-a');
    const foreign = io(base, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { cookie: `cc_session=${token}`, origin: 'https://evil.example' },
    });
    sockets.push(foreign);
    await expect(ready(foreign)).rejects.toThrow('ERR_CROSS_SITE');
    const own = io(base, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { cookie: `cc_session=${token}`, origin: base },
    });
    sockets.push(own);
    expect(await ready(own)).toMatchObject({ siteIds: [t.world.siteA] });
    const withToken = io(base, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { origin: 'https://evil.example' },
    });
    sockets.push(withToken);
    expect(await ready(withToken)).toMatchObject({ siteIds: [t.world.siteA] });
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

    // Raised through the real path: the engine writes them to the alert stream, the live push
    // reads it and sends. The neighbour's alert is first in the batch, so it goes out first;
    // socket.io keeps order per connection, so once the family hears about their relative they
    // would already have heard about the neighbour.
    const engine = new AlertEngine({ store: t.store, clock: t.clock, logger: t.logger });
    await engine.handle(
      0,
      entries(
        [
          deviceEvent('sos', { deviceId: t.world.devA, siteId: t.world.siteA, residentId: t.world.resA2.id }),
          deviceEvent('fall', { deviceId: t.world.devA2, siteId: t.world.siteA, residentId: t.world.resA.id }),
        ],
        3,
      ),
      await t.store.offsets.get('journal', ALERT_ENGINE_CONSUMER, 0), // where the engine stands
    );
    await Promise.all([familyDone, staffDone]);
    expect(heardByFamily).toEqual([t.world.resA.id]);
    expect(heardByStaff).toEqual([t.world.resA2.id, t.world.resA.id]);
  });

  it('staff hear each update of an alert, and the resident returning to ok once it is resolved', async () => {
    const token = await t.login('staff-a');
    const staff = connect({ token });
    await ready(staff);
    const updated: string[] = [];
    const statuses: ResidentStatusChange[] = [];
    staff.on('alert:updated', (a) => updated.push(`${a.id}:${a.state}`));
    const backToOk = new Promise<void>((resolve) =>
      staff.on('resident:status', (s) => {
        statuses.push(s);
        resolve();
      }),
    );
    const post = (action: string, payload: object) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/alerts/${t.alertA}/${action}`,
        headers: { authorization: `Bearer ${token}` },
        payload,
      });

    expect((await post('ack', {})).statusCode).toBe(200);
    // Pushed before the next change is made, so each is a batch of its own.
    await t.live.idle();
    expect((await post('resolve', { outcome: 'false_alarm', note: 'pressed by mistake' })).statusCode).toBe(200);
    // The status follows the alert in the same push, and socket.io keeps order per connection.
    await backToOk;
    expect(updated).toEqual([`${t.alertA}:acknowledged`, `${t.alertA}:resolved`]);
    // An acknowledgement leaves the board as it was; the resolve clears the resident.
    expect(statuses).toEqual([{ residentId: t.world.resA.id, siteId: t.world.siteA, status: 'ok', activeAlerts: 0 }]);
  });
});
