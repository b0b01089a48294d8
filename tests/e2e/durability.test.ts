/**
 * Durability: an SOS that received its PUBACK is in the journal even if the process is killed
 * with SIGKILL right after; after a restart the alert exists exactly once, every change to it is
 * on the alert stream once, the live push pushes every stream entry appended after it started
 * exactly once, and a device that resends (it never saw the PUBACK) does not make a second one.
 */
import { join } from 'node:path';
import type { Alert, HealthResponse } from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import Database from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertDetail, connectDevice, getJson, listAlerts, login, metric, sos, waitFor } from '../support/api';
import { type PlatformProcess, removeDir, startPlatform, tempDir } from '../support/harness';
import { provisionWorld, type World } from '../support/world';

describe('durability across SIGKILL', () => {
  let dir: string;
  let world: World;
  let platform: PlatformProcess | undefined;

  beforeAll(async () => {
    dir = tempDir();
    world = await provisionWorld(dir);
  });

  afterAll(async () => {
    await platform?.stop();
    removeDir(dir);
  });

  it('keeps every acknowledged SOS and raises its alert exactly once after restart', async () => {
    platform = await startPlatform(dir);
    const first = platform;
    const client = await connectDevice(first.mqttUrl, world.device);
    const payloads = Array.from({ length: 5 }, (_, i) =>
      sos(`kill-${i}`, new Date(Date.UTC(2026, 10, 29, 3, 0, i)).toISOString()),
    );
    const acked = new Set<number>();
    let sent = 0;
    // Kill the platform the moment the last PUBACK arrives: synchronously, in the packet handler.
    const killedAfterLastAck = new Promise<void>((resolve) => {
      client.on('packetreceive', (packet) => {
        if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
        acked.add(packet.messageId);
        if (acked.size === payloads.length) {
          first.child.kill('SIGKILL');
          resolve();
        }
      });
    });
    client.on('error', () => {}); // the broker vanishes under it
    for (const p of payloads) {
      client.publish(topics.event(world.device.id), p, { qos: 1 }, () => {});
      sent += 1;
    }
    await killedAfterLastAck;
    expect(sent).toBe(5);
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    client.end(true);
    // The server itself is gone, not just a launcher in front of it.
    await expect(fetch(`${first.baseUrl}/api/v1/health`)).rejects.toThrow();

    // Straight from the database file the killed process left behind.
    const journalDb = new Database(join(dir, 'journal.db'), { readonly: true });
    const rows = journalDb
      .prepare('SELECT event_id AS eventId FROM journal WHERE device_id = ? ORDER BY "offset"')
      .all([world.device.id]) as { eventId: string }[];
    journalDb.close();
    const db = new Database(join(dir, 'carecircle.db'), { readonly: true });
    // The alert stream's head when it died: the live push of the restarted process starts there
    // (dashboards reconnecting read the state over HTTP) and must push exactly what follows.
    const headBefore = db.prepare(`SELECT head FROM log_heads WHERE log = 'alerts'`).all() as { head: number }[];
    db.close();
    expect(rows.map((r) => r.eventId)).toEqual(['kill-0', 'kill-1', 'kill-2', 'kill-3', 'kill-4']);
    const startedAt = headBefore[0]?.head ?? 0;

    platform = await startPlatform(dir);
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const alert = await waitFor(
      async () => (await listAlerts(platform!.baseUrl, token)).find((a) => a.count === 5),
      10_000,
      'the alert with all five presses',
    );
    expect(alert).toMatchObject({ kind: 'sos', residentId: world.residentA, state: 'open' });
    // Each press once on the alert stream, which is the alert's timeline, and ring 1 paged once
    // (whether the killed process got to it or the restarted one did).
    const { body: detail } = await waitFor(
      async () => {
        const d = await alertDetail(platform!.baseUrl, token, alert.id);
        return d.body.timeline.some((e) => e.action === 'paged') ? d : undefined;
      },
      10_000,
      'ring 1 paged',
    );
    const presses = detail.timeline.filter((e) => e.action !== 'paged');
    expect(presses.map((e) => e.action)).toEqual(['raised', 'repeated', 'repeated', 'repeated', 'repeated']);
    expect(presses.map((e) => e.eventId)).toEqual(['kill-0', 'kill-1', 'kill-2', 'kill-3', 'kill-4']);
    expect(detail.timeline.filter((e) => e.action === 'paged').map((e) => e.page?.ring)).toEqual([1]);
    // The live push caught up, and handled every entry appended since it started exactly once.
    const caughtUp = await waitFor(
      async () => {
        const { body } = await getJson<HealthResponse>(platform!.baseUrl, '/api/v1/health', token);
        return body.alerts.consumers['live-push']?.lag === 0 ? body : undefined;
      },
      10_000,
      'the live push to catch up',
    );
    const pushedSinceRestart = await metric(platform.baseUrl, 'carecircle_consumer_handled_total', {
      log: 'alerts',
      consumer: 'live-push',
    });
    expect(pushedSinceRestart).toBe(caughtUp.alerts.head - startedAt);
    expect(caughtUp.alerts.consumers['live-push']?.offset).toBe(caughtUp.alerts.head);

    // The device resends one it never saw acknowledged: dropped as a duplicate.
    const again = await connectDevice(platform.mqttUrl, world.device);
    await again.publishAsync(topics.event(world.device.id), payloads[4]!, { qos: 1 });
    // A new event after the duplicate, as a marker that everything before it was handled.
    await again.publishAsync(topics.event(world.device.id), sos('after', '2026-11-29T03:01:00Z'), { qos: 1 });
    await again.endAsync();
    const final = await waitFor(
      async () => (await listAlerts(platform!.baseUrl, token)).find((a) => a.count === 6),
      10_000,
      'the marker event',
    );
    const all: Alert[] = await listAlerts(platform.baseUrl, token);
    expect(all).toHaveLength(1);
    expect(final.id).toBe(alert.id);
  });

  it('shuts down in order on SIGTERM: exit 0, every acknowledged event handled before it stops', async () => {
    await platform?.stop(); // the instance the previous test restarted
    platform = await startPlatform(dir);
    const p = platform;
    const client = await connectDevice(p.mqttUrl, world.neighbour);
    client.on('error', () => {});
    const acked = new Promise<void>((resolve) =>
      client.on('packetreceive', (packet) => {
        if (packet.cmd === 'puback') {
          p.child.kill('SIGTERM');
          resolve();
        }
      }),
    );
    client.publish(topics.event(world.neighbour.id), sos('term-1', '2026-11-29T03:05:00Z'), { qos: 1 });
    await acked;
    const exit = await p.exited;
    client.end(true);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(p.logs.some((l) => l.includes('"shutting down"'))).toBe(true);

    const journalDb = new Database(join(dir, 'journal.db'), { readonly: true });
    // The head of each partition that has entries (routine lane 0, alarm lane 1).
    const heads = journalDb
      .prepare('SELECT "partition", MAX("offset") AS head FROM journal GROUP BY "partition" ORDER BY "partition"')
      .all() as { partition: number; head: number }[];
    journalDb.close();
    const db = new Database(join(dir, 'carecircle.db'), { readonly: true });
    const [stream] = db.prepare(`SELECT head FROM log_heads WHERE log = 'alerts'`).all() as { head: number }[];
    const offsets = db
      .prepare(
        'SELECT log, consumer, "partition", "offset" FROM consumer_positions ORDER BY log, consumer, "partition"',
      )
      .all() as { log: string; consumer: string; partition: number; offset: number }[];
    const [raised] = db.prepare('SELECT COUNT(*) AS n FROM alerts WHERE device_id = ?').all([world.neighbour.id]) as {
      n: number;
    }[];
    db.close();
    expect(heads.map((h) => h.partition)).toContain(1);
    // Every consumer is at the head of every partition: nothing journaled was left unhandled. (The
    // live push keeps no offset: each process pushes from where the stream stood when it started.)
    expect(stream!.head).toBeGreaterThan(0);
    expect(offsets).toEqual([
      { log: 'alerts', consumer: 'escalation', partition: 0, offset: stream!.head },
      ...['alert-engine', 'reading-sink'].flatMap((consumer) =>
        heads.map(({ partition, head }) => ({ log: 'journal', consumer, partition, offset: head })),
      ),
    ]);
    expect(raised!.n).toBe(1);
  });
});
