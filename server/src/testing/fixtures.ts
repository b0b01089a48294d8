/**
 * Test fixtures: a real SQLite database in a fresh temp dir, a clock the test moves by hand,
 * and builders for the records and events the tests need. Nothing here is used in production.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Clock,
  DeviceEvent,
  DeviceEventOf,
  DeviceType,
  EventData,
  EventKind,
  Role,
  User,
} from '@carecircle/protocol';
import Database from 'libsql';
import pino, { type Logger } from 'pino';
import { DEVICE_KEY_FILE } from '../auth/device-secrets';
import { hashSecret, TEST_COST } from '../auth/secrets';
import type { Config } from '../config';
import type { LogConsumer } from '../logs/log.consumer';
import { DATABASE_FILE, JOURNAL_FILE, openEmbeddedStorage, type Storage } from '../storage/open';
import type { AlertStreamEntry, ResidentRecord, StateStore } from '../storage/ports';

/** 2026-11-29T03:12:00Z, the DESIGN example's timestamp. */
export const T0 = Date.parse('2026-11-29T03:12:00Z');

export interface FakeClock extends Clock {
  advance(ms: number): void;
  iso(): string;
}

export function fakeClock(start = T0): FakeClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    iso: () => new Date(t).toISOString(),
  };
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** A platform's configuration for a test: loopback, free ports, no WebSocket, embedded storage unless patched. */
export function testConfig(dataDir: string, patch: Partial<Config> = {}): Config {
  return {
    role: 'all',
    dataDir,
    host: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    mqttWsPort: null,
    logLevel: 'silent',
    databaseUrl: null,
    journalUrl: null,
    deviceKeyFile: join(dataDir, DEVICE_KEY_FILE),
    ...patch,
  };
}

/** A temp dir removed by `cleanup`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cc-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestDb {
  dir: string;
  /** The state database. */
  file: string;
  /** The journal's database. */
  journalFile: string;
  storage: Storage;
  store: StateStore;
  journal: Storage['journal'];
  clock: FakeClock;
  logger: Logger;
  /** Closes the storage, then removes the temp dir. */
  close(): Promise<void>;
}

/** Rows of `sql` as another connection to the database `file` reads them (another process's view). */
export function queryFile<T>(file: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(file);
  try {
    return db.prepare(sql).all(args) as T[];
  } finally {
    db.close();
  }
}

/** The embedded storage, as the platform opens it, in a fresh temp dir. */
export function createTestDb(): TestDb {
  const { dir, cleanup } = tempDir();
  const logger = silentLogger();
  const storage = openEmbeddedStorage(dir, logger);
  return {
    dir,
    file: join(dir, DATABASE_FILE),
    journalFile: join(dir, JOURNAL_FILE),
    storage,
    store: storage.store,
    journal: storage.journal,
    clock: fakeClock(),
    logger,
    async close() {
      await storage.close();
      cleanup();
    },
  };
}

export interface World {
  siteA: string;
  siteB: string;
  resA: ResidentRecord;
  resA2: ResidentRecord;
  resB: ResidentRecord;
  /** An SOS button worn by `resA`. */
  devA: string;
  /** A second device of `resA`. */
  devA2: string;
  /** A door sensor of site A assigned to nobody. */
  devLoose: string;
  devB: string;
}

/** Two sites with residents and devices; ids are fixed so tests read easily. */
export async function seedWorld(store: StateStore, clock: Clock): Promise<World> {
  const at = new Date(clock.now()).toISOString();
  const siteA = (await store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'Asia/Shanghai' }, at)).id;
  const siteB = (await store.sites.create({ name: 'Heping', kind: 'station', tz: 'Asia/Shanghai' }, at)).id;
  const resA = await store.residents.create({ siteId: siteA, homeId: null, name: 'Wang Xiuying', room: '101' }, at);
  const resA2 = await store.residents.create({ siteId: siteA, homeId: null, name: 'Li Guilan', room: '102' }, at);
  const resB = await store.residents.create({ siteId: siteB, homeId: null, name: 'Cao Yuzhen', room: null }, at);
  const device = async (id: string, siteId: string, residentId: string | null, type: DeviceType) =>
    (await store.devices.create({ id, siteId, residentId, type, secretHash: 'scrypt$unused' }, at)).id;
  return {
    siteA,
    siteB,
    resA,
    resA2,
    resB,
    devA: await device('sos-a', siteA, resA.id, 'sos_button'),
    devA2: await device('wear-a', siteA, resA.id, 'wearable'),
    devLoose: await device('door-x', siteA, null, 'door_sensor'),
    devB: await device('sos-b', siteB, resB.id, 'sos_button'),
  };
}

export async function addUser(
  store: StateStore,
  clock: Clock,
  input: { username: string; role: Role; siteId?: string | null; residentId?: string | null; password?: string },
): Promise<User> {
  return store.users.create(
    {
      username: input.username,
      displayName: `${input.username} (display)`,
      role: input.role,
      siteId: input.siteId ?? null,
      residentId: input.residentId ?? null,
      passwordHash: await hashSecret(input.password ?? `${input.username}-pw`, TEST_COST),
    },
    new Date(clock.now()).toISOString(),
  );
}

let seq = 0;

/** A canonical event of one kind for a device; ids are unique unless given. */
export function deviceEvent<K extends EventKind>(
  kind: K,
  device: { deviceId: string; siteId: string; residentId?: string | null },
  opts: { data?: EventData[K]; eventId?: string; ts?: string; receivedAt?: string } = {},
): DeviceEventOf<K> {
  seq += 1;
  const defaults: Partial<Record<EventKind, unknown>> = {
    door: { open: true },
    presence: { present: true },
    motion: { motion: true },
    bed: { occupied: true },
    vitals: { heartRate: 72 },
    battery: { percent: 80 },
    status: { online: true },
    tamper: { tampered: true },
  };
  const ts = opts.ts ?? new Date(T0 + seq * 1000).toISOString();
  return {
    eventId: opts.eventId ?? `e${seq}`,
    deviceId: device.deviceId,
    siteId: device.siteId,
    ...(device.residentId ? { residentId: device.residentId } : {}),
    kind,
    ts,
    receivedAt: opts.receivedAt ?? ts,
    data: opts.data ?? defaults[kind] ?? {},
  } as DeviceEventOf<K>;
}

/** Entries as a one-partition journal would hand them to a consumer. */
export function entries(events: readonly DeviceEvent[], firstOffset = 1) {
  return events.map((event, i) => ({ partition: 0, offset: firstOffset + i, event }));
}

/** Reads until `until` holds for what it read, failing after `timeoutMs`; answers that value. */
export async function eventually<T>(
  read: () => Promise<T>,
  until: (value: T) => boolean,
  what: string,
  timeoutMs = 3_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with the value passed to `resolve`; for handlers a test holds open. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export type TestUsers = Record<'staffA' | 'staffA2' | 'staffB' | 'supervisor' | 'family' | 'otherFamily', User>;

/** One user per role and scope in the seeded world; each password is `${username}-pw`. */
export async function seedUsers(store: StateStore, clock: Clock, world: World): Promise<TestUsers> {
  const add = (input: Parameters<typeof addUser>[2]) => addUser(store, clock, input);
  return {
    staffA: await add({ username: 'staff-a', role: 'staff', siteId: world.siteA }),
    staffA2: await add({ username: 'staff-a2', role: 'staff', siteId: world.siteA }),
    staffB: await add({ username: 'staff-b', role: 'staff', siteId: world.siteB }),
    supervisor: await add({ username: 'super', role: 'supervisor' }),
    family: await add({ username: 'fam', role: 'family', siteId: world.siteA, residentId: world.resA.id }),
    otherFamily: await add({ username: 'fam2', role: 'family', siteId: world.siteA, residentId: world.resA2.id }),
  };
}

export interface TestApp extends TestDb {
  app: import('../http/app').App;
  world: World;
  users: TestUsers;
  /** The live push, consuming the alert stream into the app's sockets, as in the platform. */
  live: LogConsumer<AlertStreamEntry>;
  /** The open SOS of resident A (site A) and of resident B (site B). */
  alertA: string;
  alertB: string;
  /** Logs in over HTTP and answers the bearer token. */
  login(username: string): Promise<string>;
}

/**
 * The HTTP app over real services and a temp database, with two sites, one open SOS in each,
 * users whose password is `${username}-pw`, and the live push running. `health` and `metrics`
 * are simple lambdas.
 */
export async function createTestApp(
  overrides: {
    health?: () => Promise<import('@carecircle/protocol').HealthResponse>;
    metrics?: () => Promise<string>;
  } = {},
): Promise<TestApp> {
  // Imported here so tests that need no HTTP do not load Fastify.
  const [{ buildServer }, { AlertEngine }, { AlertService }, { AuthService }, { LogConsumer }, live] =
    await Promise.all([
      import('../http/app'),
      import('../alerts/alert.engine'),
      import('../alerts/alert.service'),
      import('../auth/auth.service'),
      import('../logs/log.consumer'),
      import('../realtime/live-push'),
    ]);
  const t = createTestDb();
  const world = await seedWorld(t.store, t.clock);
  const engine = new AlertEngine({ store: t.store, clock: t.clock, logger: t.logger });
  await engine.handle(
    0,
    entries([
      deviceEvent('sos', { deviceId: world.devA, siteId: world.siteA, residentId: world.resA.id }),
      deviceEvent('sos', { deviceId: world.devB, siteId: world.siteB, residentId: world.resB.id }),
    ]),
    0, // a fresh store: the consumer stands at 0
  );
  const alertIn = async (siteId: string) => (await t.store.alerts.list({ limit: 1, siteIds: [siteId] }))[0]!.id;
  const users = await seedUsers(t.store, t.clock, world);

  const app = await buildServer({
    store: t.store,
    auth: new AuthService({ store: t.store, clock: t.clock }),
    alerts: new AlertService({ store: t.store, clock: t.clock }),
    health:
      overrides.health ??
      (async () => ({
        status: 'ok',
        reasons: [],
        version: 'test',
        role: 'all',
        uptimeSeconds: 0,
        checks: { database: await t.store.healthy(), gateway: true, journal: true },
        journal: { head: await t.journal.head(0), consumers: {} },
        alerts: { head: await t.store.alertLog.head(0), consumers: {} },
      })),
    metrics:
      overrides.metrics ?? (async () => '# HELP carecircle_up Up\n# TYPE carecircle_up gauge\ncarecircle_up 1\n'),
    logger: t.logger,
    version: 'test',
  });
  // What the seeding above announced was before anyone could listen: the push starts after it.
  const seeded = await t.store.alertLog.head(0);
  await t.store.offsets.commit('alerts', live.LIVE_PUSH_CONSUMER, 0, seeded);
  const consumer = new LogConsumer<AlertStreamEntry>({
    name: live.LIVE_PUSH_CONSUMER,
    logName: 'alerts',
    log: t.store.alertLog,
    offsets: t.store.offsets,
    handler: new live.LivePush({ store: t.store, audience: () => app.realtime }),
    commit: 'after',
    logger: t.logger,
  });
  await consumer.start();
  return {
    ...t,
    app,
    world,
    users,
    live: consumer,
    alertA: await alertIn(world.siteA),
    alertB: await alertIn(world.siteB),
    async login(username) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username, password: `${username}-pw` },
      });
      if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
      return (res.json() as { token: string }).token;
    },
    async close() {
      await consumer.stop();
      await app.close();
      await t.close();
    },
  };
}

/** GET `/api/v1${url}` as a seeded user (logs in first). */
export async function getAs(t: TestApp, username: string, url: string) {
  const token = await t.login(username);
  return t.app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });
}
