/**
 * Issue #2: one SOS from a real MQTT client, through the gateway and journal, to staff over
 * REST and socket.io — and to nobody of another site.
 */
import type { Alert, Page } from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertDetail,
  connectDevice,
  connectLive,
  type LiveSocket,
  listAlerts,
  login,
  postJson,
  sendSos,
  sos,
} from '../support/api';
import { type PlatformProcess, removeDir, startPlatform, tempDir } from '../support/harness';
import { provisionWorld, type World } from '../support/world';

describe('SOS from a device to staff', () => {
  let dir: string;
  let platform: PlatformProcess;
  let world: World;
  const sockets: LiveSocket[] = [];

  beforeAll(async () => {
    dir = tempDir();
    world = await provisionWorld(dir);
    platform = await startPlatform(dir);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await platform?.stop();
    removeDir(dir);
  });

  it('raises a critical alert seen by staff of the site, live and over REST, and not by another site', async () => {
    const tokenA = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const tokenB = await login(platform.baseUrl, world.staffB.username, world.staffB.password);
    const liveA = await connectLive(platform.baseUrl, tokenA);
    const liveB = await connectLive(platform.baseUrl, tokenB);
    sockets.push(liveA, liveB);
    const seenByB: Alert[] = [];
    liveB.on('alert:raised', (a) => seenByB.push(a));
    liveB.on('alert:updated', (a) => seenByB.push(a));
    const raisedForA = new Promise<Alert>((resolve) => liveA.once('alert:raised', resolve));
    // Nobody has claimed it: its ladder pages ring 1 at once, the site's staff (no shifts entered).
    const pagedA = new Promise<{ alert: Alert; page: Page }>((resolve) => liveA.once('alert:paged', resolve));
    liveB.on('alert:paged', (p) => seenByB.push(p.alert));

    const client = await connectDevice(platform.mqttUrl, world.device);
    const eventId = `sos-${Date.now()}`;
    const puback = new Promise<number | undefined>((resolve) =>
      client.on('packetreceive', (p) => {
        if (p.cmd === 'puback') resolve(p.messageId);
      }),
    );
    const sent = await client.publishAsync(topics.event(world.device.id), sos(eventId), { qos: 1 });
    expect(await puback).toBe(sent?.messageId);
    await client.endAsync();

    const live = await raisedForA;
    expect(live).toMatchObject({
      kind: 'sos',
      severity: 'critical',
      state: 'open',
      siteId: world.siteA,
      residentId: world.residentA,
      residentName: '王秀英',
      room: '101',
      deviceId: world.device.id,
      count: 1,
    });

    const listed = await listAlerts(platform.baseUrl, tokenA, '?state=active');
    expect(listed.map((a) => a.id)).toEqual([live.id]);
    const paged = await pagedA;
    expect(paged.alert).toMatchObject({ id: live.id, ring: 1 });
    expect(paged.page).toMatchObject({ ring: 1, reminder: false });
    expect(paged.page.recipients.map((r) => r.name)).toContain(world.staffA.username);
    const detail = await alertDetail(platform.baseUrl, tokenA, live.id);
    expect(detail.status).toBe(200);
    expect(detail.body.timeline.map((e) => e.action)).toEqual(['raised', 'paged']);
    expect(detail.body.timeline[0]).toMatchObject({ action: 'raised', toState: 'open', eventId });

    // Staff of the other site: nothing over REST, 404 on the id, nothing over the socket.
    expect(await listAlerts(platform.baseUrl, tokenB)).toEqual([]);
    expect((await alertDetail(platform.baseUrl, tokenB, live.id)).status).toBe(404);

    // Acknowledge and resolve: A's socket sees both updates. B's socket must still be empty,
    // which proves B was never in A's room (updates go to the same room as the raise).
    const updates: Alert[] = [];
    const twoUpdates = new Promise<void>((resolve) =>
      liveA.on('alert:updated', (a) => {
        updates.push(a);
        if (updates.length === 2) resolve();
      }),
    );
    expect((await postJson(platform.baseUrl, `/api/v1/alerts/${live.id}/ack`, tokenA, {})).status).toBe(200);
    const resolved = await postJson<{ alert: Alert }>(platform.baseUrl, `/api/v1/alerts/${live.id}/resolve`, tokenA, {
      outcome: 'assisted_no_injury',
      note: 'helped back to bed',
    });
    expect(resolved.status).toBe(200);
    await twoUpdates;
    expect(updates.map((a) => a.state)).toEqual(['acknowledged', 'resolved']);
    expect(resolved.body.alert).toMatchObject({
      state: 'resolved',
      outcome: 'assisted_no_injury',
      note: 'helped back to bed',
    });
    expect(seenByB).toEqual([]);
  });

  it('takes an SOS over MQTT on WebSocket (ws://…/mqtt) just the same', async () => {
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const live = await connectLive(platform.baseUrl, token);
    sockets.push(live);
    const seen = new Promise<Alert>((resolve) =>
      live.on('alert:raised', (a) => a.deviceId === world.neighbour.id && resolve(a)),
    );
    expect(platform.mqttWsPort).toBeGreaterThan(0);
    await sendSos(`ws://127.0.0.1:${platform.mqttWsPort}/mqtt`, world.neighbour, 'ws-1');
    expect(await seen).toMatchObject({ kind: 'sos', residentName: '李桂兰', state: 'open' });
  });

  it('refuses a socket.io client without a valid session', async () => {
    await expect(connectLive(platform.baseUrl, 'not-a-token')).rejects.toThrow('ERR_UNAUTHENTICATED');
  });
});
