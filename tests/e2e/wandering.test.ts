/**
 * A night-time wandering incident end to end, on the real platform process and real MQTT: the
 * site's night hours, the resident's window and the site's ladder are set through the API to
 * cover a few seconds (no test clock in the production process). Simulated sensors of a resident
 * with dementia report the bed empty and the exit door open; nobody comes back inside. One
 * `wandering` alert appears on the staff socket with the facts on its timeline, escalates to
 * ring 2 (the supervisor is paged), is acknowledged and resolved, and shows in the KPIs. And a
 * ladder in the middle of its steps goes on after the process is killed (SIGKILL) and restarted.
 */
import type { Alert } from '@carecircle/protocol';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertDetail,
  connectLive,
  getJson,
  type LiveSocket,
  listAlerts,
  login,
  postJson,
  putJson,
  sendSos,
  waitFor,
} from '../support/api';
import { cli, type PlatformProcess, removeDir, startPlatform, tempDir } from '../support/harness';
import { addNightSensors, armNightDrill, type NightSensors, sense } from '../support/night';
import { provisionWorld, type World } from '../support/world';

describe('a wandering incident at night', () => {
  let dir: string;
  let world: World;
  let platform: PlatformProcess;
  let supervisor: { username: string; password: string };
  const sockets: LiveSocket[] = [];
  const clients: MqttClient[] = [];
  let devices: NightSensors;

  beforeAll(async () => {
    dir = tempDir();
    world = await provisionWorld(dir);
    supervisor = await cli(dir, ['user', 'add', '--username', 'night-lead', '--role', 'supervisor']);
    devices = await addNightSensors(dir, world);
    platform = await startPlatform(dir);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const c of clients) c.end(true);
    await platform?.stop();
    removeDir(dir);
  });

  it('raises one alert with the facts, pages ring 2, and is claimed, resolved and counted', async () => {
    const base = platform.baseUrl;
    const lead = await login(base, supervisor.username, supervisor.password);
    const nurse = await login(base, world.staffA.username, world.staffA.password);
    // "Night" from a minute ago for two hours, in the site's zone; a 3 s window; ring 2 after 2 s.
    await armNightDrill(base, { lead, nurse }, world, devices);

    const staffScreen = await connectLive(base, nurse);
    const leadPhone = await connectLive(base, lead);
    sockets.push(staffScreen, leadPhone);
    const raised: Alert[] = [];
    staffScreen.on('alert:raised', (a) => raised.push(a));
    const ring2 = new Promise<{ alert: Alert; page: { ring: number } }>((resolve) =>
      leadPhone.on('alert:paged', (p) => p.page.ring === 2 && resolve(p)),
    );

    // The sensors: out of bed, then the exit door; nobody back inside.
    const sensor = (name: 'door' | 'bed', payload: Record<string, unknown>) =>
      sense(platform.mqttUrl, devices[name], payload, clients);
    await sensor('bed', { eventId: 'bed-1', type: 'bed', data: { occupied: false } });
    await sensor('door', { eventId: 'door-1', type: 'door', data: { open: true } });

    const paged = await ring2;
    expect(paged.alert).toMatchObject({ kind: 'wandering', severity: 'critical', residentId: world.residentA });
    expect(raised.filter((a) => a.kind === 'wandering')).toHaveLength(1);
    const id = paged.alert.id;
    const { body: detail } = await alertDetail(base, nurse, id);
    const first = detail.timeline[0];
    expect(first).toMatchObject({ action: 'raised', actor: { type: 'system', id: 'care-rules' } });
    expect(first?.note).toMatch(/^\d\d:\d\d bed empty · \d\d:\d\d exit door opened · not back inside within 3 s$/);
    expect(detail.timeline.filter((e) => e.action === 'paged').map((e) => e.page?.ring)).toEqual([1, 2]);

    expect((await postJson(base, `/api/v1/alerts/${id}/ack`, nurse, {})).status).toBe(200);
    const resolved = await postJson<{ alert: Alert }>(base, `/api/v1/alerts/${id}/resolve`, nurse, {
      outcome: 'assisted_no_injury',
      note: 'found in the corridor, walked back to bed',
    });
    expect(resolved.status).toBe(200);

    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const kpis = await waitFor(
      async () => {
        const r = await getJson<{ alerts: { byKind: Record<string, number> }; escalation: Record<string, number> }>(
          base,
          `/api/v1/kpis?site=${world.siteA}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
          lead,
        );
        return r.body.alerts.byKind.wandering === 1 ? r.body : undefined;
      },
      10_000,
      'the incident in the KPIs',
    );
    expect(kpis.escalation['2']).toBeGreaterThanOrEqual(1);
    // One incident: no bed_exit besides it.
    expect(kpis.alerts.byKind.bed_exit).toBe(0);
  });

  it('goes on after SIGKILL on the embedded store: each ring once, none early, after the restart', async () => {
    const base = platform.baseUrl;
    const lead = await login(base, supervisor.username, supervisor.password);
    const ladder = {
      steps: [
        { ring: 1, afterSeconds: 0 },
        { ring: 2, afterSeconds: 3 },
        { ring: 3, afterSeconds: 6 },
      ],
      reminderEverySeconds: null,
    };
    expect((await putJson(base, `/api/v1/sites/${world.siteA}/ladders`, lead, { critical: ladder })).status).toBe(200);
    const nurse = await login(base, world.staffA.username, world.staffA.password);
    await sendSos(platform.mqttUrl, world.neighbour, 'kill-mid-ladder');
    const alert = await waitFor(
      async () =>
        (await listAlerts(base, nurse, '?state=active')).find((a) => a.deviceId === world.neighbour.id && a.ring === 1),
      10_000,
      'ring 1 paged',
    );
    await platform.kill();
    expect(platform.child.signalCode).toBe('SIGKILL');
    platform = await startPlatform(dir);
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const done = await waitFor(
      async () => {
        const d = await alertDetail(platform.baseUrl, token, alert.id);
        return d.body.alert.ring === 3 ? d.body : undefined;
      },
      30_000,
      'ring 3 after the restart',
    );
    const pages = done.timeline.filter((e) => e.action === 'paged');
    expect(pages.map((e) => e.page?.ring)).toEqual([1, 2, 3]);
    const after = (ring: number) =>
      (Date.parse(pages.find((e) => e.page?.ring === ring)!.at) - Date.parse(alert.raisedAt)) / 1000;
    expect(after(2)).toBeGreaterThanOrEqual(3);
    expect(after(3)).toBeGreaterThanOrEqual(6);
  });
});
