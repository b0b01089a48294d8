/**
 * The journal is the source of truth; readings and alert state are derived from it and commit
 * without waiting for the disk, each with its consumer's offset. Killed (SIGKILL) in the middle
 * of a stream of readings and alarms — the moment the last PUBACK arrives, while the consumers are
 * still behind — the platform comes back and derives exactly what the journal holds: every
 * acknowledged reading once, the alert with every press once, the device's "last seen" at its
 * latest event.
 */

import { join } from 'node:path';
import type { HealthResponse } from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import Database from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTime } from '../../server/src/alerts/alert.rules';
import { connectDevice, getJson, login, metric, sos, waitFor } from '../support/api';
import { cli, type PlatformProcess, removeDir, startPlatform, tempDir } from '../support/harness';
import { provisionWorld, type World } from '../support/world';

const READINGS = 400;
const PRESSES = 4;

describe('derived stores after SIGKILL', () => {
  let dir: string;
  let world: World;
  let wearable: { id: string; secret: string };
  let platform: PlatformProcess | undefined;

  beforeAll(async () => {
    dir = tempDir();
    world = await provisionWorld(dir);
    wearable = await cli<{ id: string; secret: string }>(dir, [
      'device',
      'add',
      '--site',
      world.siteA,
      '--resident',
      world.residentA,
      '--type',
      'wearable',
    ]);
  });

  afterAll(async () => {
    await platform?.stop();
    removeDir(dir);
  });

  it('rebuilds readings and alerts exactly from the journal', async () => {
    platform = await startPlatform(dir);
    const first = platform;
    const client = await connectDevice(first.mqttUrl, wearable);
    client.on('error', () => {}); // the broker vanishes under it
    const ts = (i: number) => new Date(Date.UTC(2026, 10, 29, 3, 0, 0, i * 10)).toISOString();
    const messages: { topic: string; payload: string }[] = [];
    for (let i = 0; i < READINGS; i++) {
      messages.push({
        topic: topics.reading(wearable.id),
        payload: JSON.stringify({
          v: 1,
          eventId: `v-${i}`,
          ts: ts(i),
          type: 'vitals',
          data: { heartRate: 60 + (i % 40) },
        }),
      });
      if (i % (READINGS / PRESSES) === READINGS / PRESSES - 1) {
        messages.push({ topic: topics.event(wearable.id), payload: sos(`press-${i}`, ts(i)) });
      }
    }
    let acked = 0;
    const killed = new Promise<void>((resolve) => {
      client.on('packetreceive', (packet) => {
        if (packet.cmd !== 'puback') return;
        acked += 1;
        if (acked === messages.length) {
          first.child.kill('SIGKILL');
          resolve();
        }
      });
    });
    // All at once: past the device's burst the gateway drops routine readings (acknowledged,
    // counted), never an alarm. The test is about what the journal holds when the process dies.
    for (const m of messages) client.publish(m.topic, m.payload, { qos: 1 }, () => {});
    await killed;
    expect((await first.exited).signal).toBe('SIGKILL');
    client.end(true);

    // What the killed process had acknowledged, straight from its journal file.
    const journal = new Database(join(dir, 'journal.db'), { readonly: true });
    const journaled = journal
      .prepare('SELECT event_id AS eventId, kind, body FROM journal WHERE device_id = ? ORDER BY "offset"')
      .all([wearable.id]) as { eventId: string; kind: string; body: string }[];
    journal.close();
    const rateLimited = messages.length - journaled.length;
    const journaledReadings = journaled.filter((e) => e.kind === 'vitals');
    const journaledPresses = journaled.filter((e) => e.kind === 'sos');
    // Alarms are never rate-limited; every press made it.
    expect(journaledPresses).toHaveLength(PRESSES);
    expect(journaledReadings.length + rateLimited).toBe(READINGS);

    platform = await startPlatform(dir);
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    await waitFor(
      async () => {
        const { body } = await getJson<HealthResponse>(platform!.baseUrl, '/api/v1/health', token);
        const behind = Object.values(body.journal.consumers).some((c) => c.lag > 0);
        return behind ? undefined : body;
      },
      20_000,
      'the journal consumers to catch up',
    );
    // The sink batches for a tenth of a second: when the process died, its last readings were
    // journaled but not yet derived, so the restarted process derived them from the journal.
    const replayed = await metric(platform.baseUrl, 'carecircle_consumer_handled_total', {
      log: 'journal',
      consumer: 'reading-sink',
    });
    expect(replayed).toBeGreaterThan(0);

    const state = new Database(join(dir, 'carecircle.db'), { readonly: true });
    try {
      const readings = state
        .prepare("SELECT ts, fields FROM readings WHERE device_id = ? AND kind = 'vitals' ORDER BY ts")
        .all([wearable.id]) as { ts: string; fields: string }[];
      const expected = journaledReadings
        .map((e) => JSON.parse(e.body) as { ts: string; data: { heartRate: number } })
        .sort((a, b) => a.ts.localeCompare(b.ts));
      expect(readings.map((r) => r.ts)).toEqual(expected.map((e) => e.ts));
      expect(readings.map((r) => (JSON.parse(r.fields) as { heartRate: number }).heartRate)).toEqual(
        expected.map((e) => e.data.heartRate),
      );

      const alerts = state.prepare('SELECT id, count FROM alerts WHERE device_id = ?').all([wearable.id]) as {
        id: string;
        count: number;
      }[];
      expect(alerts).toEqual([{ id: expect.any(String), count: PRESSES }]);
      const stream = state
        .prepare("SELECT event_id AS eventId FROM alert_stream WHERE alert_id = ? AND action IN ('raised', 'repeated')")
        .all([alerts[0]!.id]) as { eventId: string }[];
      expect(stream.map((s) => s.eventId).sort()).toEqual(journaledPresses.map((p) => p.eventId).sort());

      const [device] = state
        .prepare('SELECT last_seen_at AS lastSeen FROM devices WHERE id = ?')
        .all([wearable.id]) as {
        lastSeen: string;
      }[];
      // Last seen by the believed time: these events' clocks are days off, so their receive time.
      const latest = journaled
        .map((e) => eventTime(JSON.parse(e.body) as { ts: string; receivedAt: string }))
        .sort()
        .at(-1);
      expect(device?.lastSeen).toBe(latest);
    } finally {
      state.close();
    }
  });
});
