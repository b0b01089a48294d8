import { type DeviceEvent, journalPartition, partitionOf } from '@carecircle/protocol';
import { contractEvent, describeJournalContract } from '@carecircle/protocol/testing';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../testing/fixtures';
import { type NatsTestServer, startNatsServer } from '../../testing/nats';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  type JetStreamJournal,
  type JetStreamJournalOptions,
  openJetStreamJournal,
} from './journal';

let nats: NatsTestServer;
/** A connection of the test's own, to look at the server's side. */
let admin: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startNatsServer();
  admin = await connect({ servers: nats.url });
  jsm = await jetstreamManager(admin);
});
afterAll(async () => {
  await admin?.close();
  await nats?.close();
});

/** The journal's streams, removed after each test so the server holds only what a test made. */
async function deleteStreams(streamName: string, partitions: number): Promise<void> {
  for (let p = 0; p < partitions; p++) await jsm.streams.delete(`${streamName}_${p}`);
}

describeJournalContract('JetStreamJournal on nats-server', async (sitePartitions) => {
  const names = nats.names();
  const journal = await openJetStreamJournal({ url: nats.url, sitePartitions, logger: silentLogger(), ...names });
  return {
    journal,
    async dispose() {
      await journal.close();
      await deleteStreams(names.streamName, 2 * sitePartitions);
    },
  };
});

/** Polls `attempt` until it resolves, at most `deadlineMs`; the last failure if it never does. */
async function eventually<T>(attempt: () => Promise<T>, deadlineMs = 10_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** `count` site ids whose routine partition of `sitePartitions` is `partition`. */
function sitesIn(partition: number, sitePartitions: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    if (partitionOf(`site_${i}`, sitePartitions) === partition) out.push(`site_${i}`);
  }
  return out;
}

const door = (patch: Partial<DeviceEvent> = {}): DeviceEvent =>
  contractEvent({ kind: 'door', data: { open: true }, ...patch } as Partial<DeviceEvent>);

/** The alarm lane's partition of a one-partition-per-lane journal (where an SOS of any site goes). */
const ALARM = 1;

describe('JetStreamJournal on nats-server', () => {
  const opened: JetStreamJournal[] = [];
  async function open(options: Partial<JetStreamJournalOptions> = {}): Promise<JetStreamJournal> {
    const journal = await openJetStreamJournal({ url: nats.url, logger: silentLogger(), ...options });
    opened.push(journal);
    return journal;
  }
  afterEach(async () => {
    for (const j of opened.splice(0)) await j.close();
  });

  it('makes one file-backed stream per partition, with the lane duplicate windows and notices', async () => {
    const names = nats.names();
    await open({ ...names, sitePartitions: 2 });
    for (let p = 0; p < 4; p++) {
      const { config } = await jsm.streams.info(`${names.streamName}_${p}`);
      expect(config.storage).toBe('file');
      expect(config.subjects).toEqual([`${names.subjectPrefix}.${p}.>`]);
      expect(config.duplicate_window).toBe(nanos(DEFAULT_DUPLICATE_WINDOW_MS[p < 2 ? 'routine' : 'alarm']));
      expect(config.republish).toMatchObject({ dest: `${names.subjectPrefix}.appended.${p}.>`, headers_only: true });
    }
    await expect(open({ ...names, sitePartitions: 1 })).rejects.toThrow(/another number of partitions/);
    await deleteStreams(names.streamName, 4);
  });

  it('answers a resend of (device, eventId) through a new connection as a duplicate and stores it once', async () => {
    const names = nats.names();
    const first = await open(names);
    const sos = contractEvent();
    expect(await first.append(sos)).toBe('appended');
    await first.close();
    // The device reconnects (here: to another gateway) and resends what it was never acknowledged.
    const second = await open(names);
    expect(await second.append({ ...sos, receivedAt: '2026-11-29T03:14:00.000Z' })).toBe('duplicate');
    expect((await second.read(ALARM, 0, 10)).map((e) => e.event)).toEqual([sos]);
    expect(second.stats).toEqual({ appended: 0, duplicates: 1, batches: 1, failures: 0 });
    await deleteStreams(names.streamName, 2);
  });

  it('tells a listener of appends made through another connection (another gateway)', async () => {
    const names = nats.names();
    const server = await open(names);
    const gateway = await open(names);
    const told: number[] = [];
    const first = new Promise<void>((resolve) => {
      server.onAppend((partition) => {
        told.push(partition);
        resolve();
      });
    });
    // Two connections are not ordered with each other: make sure the subscription is in place.
    await server.flush();
    const reading = door();
    expect(await gateway.append(reading)).toBe('appended');
    await first;
    expect(told).toEqual([0]);
    expect((await server.read(0, 0, 10)).map((e) => e.event)).toEqual([reading]);
    await deleteStreams(names.streamName, 2);
  });

  it('keeps sites apart whatever characters their ids hold', async () => {
    const names = nats.names();
    const journal = await open(names);
    const sites = ['a.b', 'a~002eb', 'a*', '*', '>', 'a b', '养老院'];
    const events = sites.map((siteId) => door({ siteId }));
    for (const e of events) expect(await journal.append(e)).toBe('appended');
    const read = await journal.read(0, 0, 100);
    expect(read.map((e) => e.event)).toEqual(events);
    const info = await jsm.streams.info(`${names.streamName}_0`, { subjects_filter: '>' });
    expect(Object.keys(info.state.subjects ?? {})).toHaveLength(sites.length);
    await deleteStreams(names.streamName, 2);
  });

  it('pages through every partition of interleaved sites with a small limit, reusing its cursors', async () => {
    const names = nats.names();
    const journal = await open({ ...names, sitePartitions: 2 });
    const sites = [...sitesIn(0, 2, 2), ...sitesIn(1, 2, 2)];
    const events: DeviceEvent[] = [];
    for (let i = 0; i < 40; i++) {
      // Sites take turns, so each partition's entries are interleaved with the others'.
      const siteId = sites[i % sites.length]!;
      const alarm = Math.floor(i / sites.length) % 3 === 1;
      events.push(alarm ? contractEvent({ siteId, deviceId: `dev_${i % 5}` }) : door({ siteId }));
    }
    for (const e of events) await journal.append(e);

    for (let p = 0; p < 4; p++) {
      const expected = events.filter((e) => journalPartition(e.siteId, e.kind, 2) === p).map((e) => e.eventId);
      expect(expected.length).toBeGreaterThan(0);
      const seen: number[] = [];
      const ids: string[] = [];
      let after = 0;
      for (;;) {
        const page = await journal.read(p, after, 3);
        expect(page.length).toBeLessThanOrEqual(3);
        if (page.length === 0) break;
        expect(page.every((e) => e.partition === p)).toBe(true);
        for (const e of page) {
          seen.push(e.offset);
          ids.push(e.event.eventId);
        }
        after = page.at(-1)!.offset;
      }
      expect(ids).toEqual(expected);
      // A partition is a stream: its offsets are the stream's sequence, dense from 1.
      expect(seen).toEqual(expected.map((_, i) => i + 1));
      expect(await journal.head(p)).toBe(expected.length);
    }
    // One consumer per partition served every page: a polling reader does not add consumers.
    expect(journal.cursorsCreated).toBe(4);
    for (let p = 0; p < 4; p++) expect((await jsm.consumers.list(`${names.streamName}_${p}`).next()).length).toBe(1);
    await journal.close();
    for (let p = 0; p < 4; p++) expect(await jsm.consumers.list(`${names.streamName}_${p}`).next()).toEqual([]);
    await deleteStreams(names.streamName, 4);
  });

  it('keeps a cursor for each of two readers at different positions', async () => {
    const names = nats.names();
    const journal = await open(names);
    for (let i = 0; i < 12; i++) await journal.append(door());
    let engine = 0;
    let sink = 0;
    for (let round = 0; round < 6; round++) {
      engine = (await journal.read(0, engine, 2)).at(-1)?.offset ?? engine;
      sink = (await journal.read(0, sink, 1)).at(-1)?.offset ?? sink;
    }
    expect([engine, sink]).toEqual([12, 6]);
    expect(journal.cursorsCreated).toBe(2);
    await deleteStreams(names.streamName, 2);
  });

  it('reads on with a fresh cursor when the server dropped the one it had', async () => {
    const names = nats.names();
    const journal = await open({ ...names, requestTimeoutMs: 500 });
    const readings = [door(), door(), door()];
    for (const e of readings) await journal.append(e);
    expect((await journal.read(0, 0, 2)).map((e) => e.event)).toEqual(readings.slice(0, 2));
    // As `inactive_threshold` or an operator would: the server forgets the reader's consumer.
    for (const c of await jsm.consumers.list(`${names.streamName}_0`).next()) {
      await jsm.consumers.delete(`${names.streamName}_0`, c.name);
    }
    expect((await journal.read(0, 2, 10)).map((e) => e.event)).toEqual(readings.slice(2));
    expect(journal.cursorsCreated).toBe(2);
    await deleteStreams(names.streamName, 2);
  });

  it('fails appends while nats-server is down, and keeps what it acknowledged across a restart', async () => {
    const own = await startNatsServer();
    try {
      const journal = await open({ url: own.url, publishTimeoutMs: 2000, requestTimeoutMs: 2000, reconnectWaitMs: 50 });
      const acknowledged = [door(), contractEvent(), door(), contractEvent()];
      for (const e of acknowledged) expect(await journal.append(e)).toBe('appended');
      // A reader's cursor exists before the crash; the restarted server no longer knows it.
      expect(await journal.read(0, 0, 10)).toHaveLength(2);

      await own.stop(); // SIGKILL: a crash, not a shutdown
      const during = contractEvent();
      await expect(journal.append(during)).rejects.toThrow();
      expect(journal.lastFailure).not.toBeNull();
      expect(journal.stats.failures).toBe(1);

      await own.start();
      // The device resends the unacknowledged SOS until the journal takes it.
      expect(await eventually(() => journal.append(during))).toBe('appended');
      expect(journal.lastFailure).toBeNull();
      expect(await journal.read(0, 2, 10)).toEqual([]);
      expect((await journal.read(0, 0, 10)).map((e) => e.event)).toEqual(acknowledged.filter((e) => e.kind === 'door'));
      expect((await journal.read(ALARM, 0, 10)).map((e) => e.event)).toEqual([
        ...acknowledged.filter((e) => e.kind === 'sos'),
        during,
      ]);
      // The server rebuilt its duplicate window from the store.
      expect(await journal.append(acknowledged[1]!)).toBe('duplicate');
    } finally {
      for (const j of opened.splice(0)) await j.close();
      await own.close();
    }
  });
});
