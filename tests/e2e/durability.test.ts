/**
 * Issue #2, durability: an SOS that received its PUBACK is in the journal even if the process
 * is killed with SIGKILL right after; after a restart the alert exists exactly once, and a
 * device that resends (it never saw the PUBACK) does not make a second one.
 */
import { join } from 'node:path';
import type { Alert } from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, listAlerts, login, sos, waitFor } from '../support/api';
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
    const db = new Database(join(dir, 'carecircle.db'), { readonly: true });
    const rows = db
      .prepare('SELECT event_id AS eventId FROM journal WHERE device_id = ? ORDER BY "offset"')
      .all(world.device.id) as { eventId: string }[];
    db.close();
    expect(rows.map((r) => r.eventId)).toEqual(['kill-0', 'kill-1', 'kill-2', 'kill-3', 'kill-4']);

    platform = await startPlatform(dir);
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const alert = await waitFor(
      async () => (await listAlerts(platform!.baseUrl, token)).find((a) => a.count === 5),
      10_000,
      'the alert with all five presses',
    );
    expect(alert).toMatchObject({ kind: 'sos', residentId: world.residentA, state: 'open' });

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

    const db = new Database(join(dir, 'carecircle.db'), { readonly: true });
    const head = (db.prepare('SELECT MAX("offset") AS head FROM journal').get() as { head: number }).head;
    const offsets = db.prepare('SELECT name, "offset" FROM consumer_offsets ORDER BY name').all();
    const raised = db.prepare('SELECT COUNT(*) AS n FROM alerts WHERE device_id = ?').get(world.neighbour.id) as {
      n: number;
    };
    db.close();
    expect(offsets).toEqual([
      { name: 'alert-engine', offset: head },
      { name: 'reading-sink', offset: head },
    ]);
    expect(raised.n).toBe(1);
  });
});
