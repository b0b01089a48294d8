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
import pino, { type Logger } from 'pino';
import { hashSecret } from '../auth/secrets';
import { type Db, openDatabase } from '../storage/sqlite/database';
import { SqliteJournal } from '../storage/sqlite/journal';
import type { ResidentRecord } from '../storage/sqlite/residents.repository';
import { createSqliteStateStore, type StateStore } from '../storage/state-store';

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

/** A temp dir removed by `cleanup`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cc-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestDb {
  dir: string;
  file: string;
  db: Db;
  store: StateStore;
  journal: SqliteJournal;
  clock: FakeClock;
  logger: Logger;
  /** Closes the journal and the database, then removes the temp dir. */
  close(): Promise<void>;
}

export function createTestDb(): TestDb {
  const { dir, cleanup } = tempDir();
  const file = join(dir, 'carecircle.db');
  const logger = silentLogger();
  const db = openDatabase(file, logger);
  const journal = new SqliteJournal(db);
  return {
    dir,
    file,
    db,
    store: createSqliteStateStore(db),
    journal,
    clock: fakeClock(),
    logger,
    async close() {
      await journal.close();
      if (db.open) db.close();
      cleanup();
    },
  };
}

/** Cheap scrypt parameters: verifySecret reads them from the hash, so logins still work. */
const FAST_COST = { N: 1024, r: 8, p: 1 } as const;

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
export function seedWorld(store: StateStore, clock: Clock): World {
  const at = new Date(clock.now()).toISOString();
  const siteA = store.sites.create({ name: 'Sunshine', kind: 'facility', tz: 'Asia/Shanghai' }, at).id;
  const siteB = store.sites.create({ name: 'Heping', kind: 'station', tz: 'Asia/Shanghai' }, at).id;
  const resA = store.residents.create({ siteId: siteA, homeId: null, name: 'Wang Xiuying', room: '101' }, at);
  const resA2 = store.residents.create({ siteId: siteA, homeId: null, name: 'Li Guilan', room: '102' }, at);
  const resB = store.residents.create({ siteId: siteB, homeId: null, name: 'Cao Yuzhen', room: null }, at);
  const device = (id: string, siteId: string, residentId: string | null, type: DeviceType) =>
    store.devices.create({ id, siteId, residentId, type, secretHash: 'scrypt$unused' }, at).id;
  return {
    siteA,
    siteB,
    resA,
    resA2,
    resB,
    devA: device('sos-a', siteA, resA.id, 'sos_button'),
    devA2: device('wear-a', siteA, resA.id, 'wearable'),
    devLoose: device('door-x', siteA, null, 'door_sensor'),
    devB: device('sos-b', siteB, resB.id, 'sos_button'),
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
      passwordHash: await hashSecret(input.password ?? `${input.username}-pw`, FAST_COST),
    },
    new Date(clock.now()).toISOString(),
  );
}

let seq = 0;

/** A canonical event of one kind for a device; ids are unique unless given. */
export function deviceEvent<K extends EventKind>(
  kind: K,
  device: { deviceId: string; siteId: string; residentId?: string | null },
  opts: { data?: EventData[K]; eventId?: string; ts?: string } = {},
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
    receivedAt: ts,
    data: opts.data ?? defaults[kind] ?? {},
  } as DeviceEventOf<K>;
}

/** Entries as the journal would hand them to a consumer. */
export function entries(events: readonly DeviceEvent[], firstOffset = 1) {
  return events.map((event, i) => ({ offset: firstOffset + i, event }));
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
  bus: import('../alerts/alert.bus').AlertBus;
  users: TestUsers;
  /** The open SOS of resident A (site A) and of resident B (site B). */
  alertA: string;
  alertB: string;
  /** Logs in over HTTP and answers the bearer token. */
  login(username: string): Promise<string>;
}

/**
 * The HTTP app over real services and a temp database, with two sites, one open SOS in each,
 * and users whose password is `${username}-pw`. `health` and `metrics` are simple lambdas.
 */
export async function createTestApp(
  overrides: { health?: () => import('@carecircle/protocol').HealthResponse; metrics?: () => string } = {},
): Promise<TestApp> {
  // Imported here so tests that need no HTTP do not load Fastify.
  const [{ buildServer }, { AlertBus }, { AlertEngine }, { AlertService }, { AuthService }] = await Promise.all([
    import('../http/app'),
    import('../alerts/alert.bus'),
    import('../alerts/alert.engine'),
    import('../alerts/alert.service'),
    import('../auth/auth.service'),
  ]);
  const t = createTestDb();
  const world = seedWorld(t.store, t.clock);
  const bus = new AlertBus();
  const engine = new AlertEngine({ store: t.store, journal: t.journal, clock: t.clock, bus, logger: t.logger });
  engine.handle(
    entries([
      deviceEvent('sos', { deviceId: world.devA, siteId: world.siteA, residentId: world.resA.id }),
      deviceEvent('sos', { deviceId: world.devB, siteId: world.siteB, residentId: world.resB.id }),
    ]),
  );
  const alertIn = (siteId: string) => t.store.alerts.list({ limit: 1, siteIds: [siteId] })[0]!.id;
  const users = await seedUsers(t.store, t.clock, world);

  const app = await buildServer({
    store: t.store,
    auth: new AuthService({ store: t.store, clock: t.clock }),
    alerts: new AlertService({ store: t.store, clock: t.clock, bus }),
    bus,
    health:
      overrides.health ??
      (() => ({
        status: 'ok',
        version: 'test',
        uptimeSeconds: 0,
        checks: { database: t.store.healthy(), gateway: true },
        journal: { head: t.journal.head(), consumers: {} },
      })),
    metrics: overrides.metrics ?? (() => '# HELP carecircle_up Up\n# TYPE carecircle_up gauge\ncarecircle_up 1\n'),
    logger: t.logger,
    version: 'test',
  });
  return {
    ...t,
    app,
    world,
    bus,
    users,
    alertA: alertIn(world.siteA),
    alertB: alertIn(world.siteB),
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
