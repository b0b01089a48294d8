/**
 * Part 6, the platform on more than one machine's storage, in one run:
 *
 * 1. The full path on SQLite against PostgreSQL + NATS JetStream: one platform process (role
 *    `all`) in the default embedded mode, and one with `CARECIRCLE_DATABASE_URL=postgres://…`
 *    and `CARECIRCLE_JOURNAL_URL=nats://…`. QoS 1 acked throughput (CONNECTIONS × WINDOW, raised
 *    per-device limits, as load/throughput.ts) on a fresh process each; then SOS →
 *    `alert:raised` on a staff socket (as load/sos-latency.ts: each alert resolved before the
 *    next SOS), idle and then under READINGS_PER_SECOND readings offered by READING_DEVICES
 *    devices, on one fresh process with the product's limits. PG + JetStream is reported as a
 *    ratio to SQLite.
 * 2. Two gateways against one: `CARECIRCLE_ROLE=gateway` processes in front of one
 *    `CARECIRCLE_ROLE=server`, all on one PostgreSQL database and one JetStream. The same
 *    CONNECTIONS in both cases, from two generator processes of CONNECTIONS/2 each (so the load
 *    side is the same): both at the one gateway, or one at each of the two. Two/one as a ratio.
 *
 * Every PG + JetStream run has a database and a nats-server of its own (load/shared-servers.ts);
 * the order of the peers alternates from round to round. Where the machine's CPU went during
 * each throughput run (every process the bench started, PostgreSQL and nats-server included) is
 * printed and kept in the report: on a machine of few cores the processes compete for them.
 *
 * PostgreSQL runs as the test harness starts it, with fsync off (load/shared-servers.ts): the
 * PUBACK path does not touch it, but the alert engine's commits do, so on a server with fsync on
 * the SOS figures of PG + JetStream would be somewhat slower. LOAD_CLUSTER_SAMPLES sets the SOS
 * samples per case and round.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  type BenchContext,
  connectedGenerator,
  type Figure,
  figure,
  job,
  type PartResult,
  pause,
  tryRound,
} from './context';
import { cpuBetween, cpuLine, readCpu } from './cpu';
import type { Fleet } from './fleet';
import type { LimitsMode, PublishResult, Quantiles } from './messages';
import { closeProbe, connectProbe, loginStaff, type Staff, sosToAlert } from './probe';
import {
  type GatewayCounters,
  type GeneratorProcess,
  type PlatformLogSummary,
  type PlatformProcess,
  startPlatform,
} from './processes';
import { Samples } from './samples';
import { type SharedRun, type SharedServers, startSharedServers } from './shared-servers';

/** Devices the part needs in each fleet: the reading load's, which is the largest. */
export const CLUSTER_DEVICES = 200;
const CONNECTIONS = 100;
const WINDOW = 10;
/** Shorter than load/throughput.ts's 5 s: six deployments a round must fit in about a minute. */
const DURATION_MS = 3000;
const WARMUP_MS = 1000;
const READING_DEVICES = 200;
/** 10/s per device, half the product's per-device limit; well under what either mode sustains. */
const READINGS_PER_SECOND = 2000;
const SAMPLES = Number(process.env.LOAD_CLUSTER_SAMPLES ?? 30);
const SETTLE_MS = 1000;
const SAMPLE_TIMEOUT_MS = 10_000;
/** Sampling stops after this long even short of SAMPLES (the count is reported). */
const SAMPLING_BUDGET_MS = 5000;
/** How long the consumers may take to catch up after a throughput run before the process is stopped. */
const CATCH_UP_TIMEOUT_MS = 8000;

type Mode = 'sqlite' | 'pg';
const MODE_NAME: Record<Mode, string> = { sqlite: 'SQLite', pg: 'PG+JetStream' };

/** Platform processes of one run and what they share. */
interface Deployment {
  /** Where the devices' credentials and the probe and staff come from. */
  fleet: Fleet;
  /** The processes that take device connections (one `all`, or the `gateway`s). */
  gateways: PlatformProcess[];
  /** The process with the consumers and the API (the same `all` process, or the `server`). */
  server: PlatformProcess;
  /** Names each process for the CPU breakdown. */
  roleOf(pid: number): string | undefined;
  /** Stops every process and the run's servers; answers each process's log summary. */
  stop(): Promise<Record<string, PlatformLogSummary>>;
}

function runDir(ctx: BenchContext, name: string): string {
  const dir = join(mkdtempSync(join(ctx.root, `${name}-`)), 'data');
  mkdirSync(dir);
  return dir;
}

/** Starts every process at once; if any fails, stops those that started and answers the first error. */
async function startAll(starts: (() => Promise<PlatformProcess>)[]): Promise<PlatformProcess[]> {
  const settled = await Promise.allSettled(starts.map((s) => s()));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop() : null)));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<PlatformProcess>).value);
}

async function deploy(
  ctx: BenchContext,
  shared: SharedServers,
  shape: Mode | { gateways: number },
  limits: LimitsMode,
): Promise<Deployment> {
  if (shape === 'sqlite') {
    const platform = await startPlatform(ctx.runDir('cluster-sqlite'), limits);
    return {
      fleet: ctx.fleet,
      gateways: [platform],
      server: platform,
      roleOf: (pid) => (pid === platform.pid ? 'platform' : undefined),
      stop: async () => ({ platform: (await platform.stop()).log }),
    };
  }
  const run: SharedRun = await shared.run();
  try {
    if (shape === 'pg') {
      const platform = await startPlatform(runDir(ctx, 'cluster-pg'), limits, { env: run.env });
      return {
        fleet: shared.fleet,
        gateways: [platform],
        server: platform,
        roleOf: (pid) => (pid === platform.pid ? 'platform' : undefined),
        async stop() {
          const { log } = await platform.stop();
          await run.close();
          return { platform: log };
        },
      };
    }
    const names = ['server', ...Array.from({ length: shape.gateways }, (_, i) => `gateway${i + 1}`)];
    const processes = await startAll(
      names.map((name) => () => {
        const role = name === 'server' ? 'server' : 'gateway';
        return startPlatform(runDir(ctx, `cluster-${name}`), limits, { env: { ...run.env, CARECIRCLE_ROLE: role } });
      }),
    );
    const [server, ...gateways] = processes as [PlatformProcess, ...PlatformProcess[]];
    return {
      fleet: shared.fleet,
      gateways,
      server,
      roleOf: (pid) => (pid === server.pid ? 'server' : gateways.some((g) => g.pid === pid) ? 'gateways' : undefined),
      async stop() {
        // The gateways first: nothing more is journaled while the server drains.
        const gatewayLogs = await Promise.all(gateways.map(async (g) => (await g.stop()).log));
        const serverLog = (await server.stop()).log;
        await run.close();
        return { server: serverLog, ...Object.fromEntries(gatewayLogs.map((l, i) => [`gateway${i + 1}`, l])) };
      },
    };
  } catch (err) {
    await run.close();
    throw err;
  }
}

/** Stops the deployment whatever `use` did, and answers what `use` answered with the logs. */
async function using<T>(
  deployment: Deployment,
  use: (d: Deployment) => Promise<T>,
): Promise<T & { log: Record<string, PlatformLogSummary> }> {
  let result: T;
  try {
    result = await use(deployment);
  } catch (err) {
    await deployment.stop();
    throw err;
  }
  return { ...result, log: await deployment.stop() };
}

interface ThroughputRun {
  ackedPerSecond: number;
  /** The generators' PUBACK p99 (the larger of them where there are two). */
  pubackP99: number | null;
  /** Every generator's result. */
  generators: PublishResult[];
  /** Events the gateways journaled, and readings they refused for the rate limit. */
  journaled: number;
  rateLimited: number;
  /** % of one core per process group from `go` to the last result; `total` is all of them. */
  cpu: Record<string, number>;
  /** How long the consumers took to catch up with the journal after the run; null past CATCH_UP_TIMEOUT_MS. */
  catchUpMs: number | null;
  log: Record<string, PlatformLogSummary>;
}

/**
 * CONNECTIONS from `generators` processes, generator i at gateway i mod the gateways, each
 * keeping WINDOW unacknowledged for DURATION_MS; the acked rates summed.
 */
async function throughputRun(
  ctx: BenchContext,
  deployment: Deployment,
  generators: number,
): Promise<Omit<ThroughputRun, 'log'>> {
  const per = CONNECTIONS / generators;
  const started: GeneratorProcess[] = [];
  try {
    for (let i = 0; i < generators; i++) {
      const gateway = deployment.gateways[i % deployment.gateways.length]!;
      const j = job(ctx, gateway.mqttPort, {
        devicesFile: deployment.fleet.devicesFile,
        first: i * per,
        mode: 'window',
        count: per,
        window: WINDOW,
        durationMs: DURATION_MS,
        warmupMs: WARMUP_MS,
      });
      started.push(await connectedGenerator(j));
    }
    const generatorPids = new Set(started.map((g) => g.pid));
    const before = readCpu();
    for (const g of started) g.go();
    const results = await Promise.all(started.map((g) => g.result));
    const after = readCpu();
    const publishes = results.map((r) => {
      if (!r.publish) throw new Error('a generator answered no publish result');
      return r.publish;
    });
    const cpu = cpuBetween(before, after, (pid, comm) => {
      if (generatorPids.has(pid)) return 'generators';
      const role = deployment.roleOf(pid);
      if (role) return role;
      if (comm === 'postgres') return 'postgres';
      if (comm === 'nats-server') return 'nats';
      if (pid === process.pid) return 'bench';
      return 'other';
    });
    const counters = await Promise.all(deployment.gateways.map((g) => g.metrics()));
    const catchUpMs = await deployment.server.idle(CATCH_UP_TIMEOUT_MS);
    const p99s = publishes.map((p) => p.pubackMs?.p99).filter((x): x is number => x !== undefined);
    return {
      ackedPerSecond: publishes.reduce((n, p) => n + p.ackedPerSecond, 0),
      pubackP99: p99s.length > 0 ? Math.max(...p99s) : null,
      generators: publishes,
      journaled: counters.reduce((n, m) => n + m.eventsAccepted, 0),
      rateLimited: counters.reduce((n, m) => n + (m.rejects.rate_limited ?? 0), 0),
      cpu,
      catchUpMs,
    };
  } finally {
    await Promise.all(started.map((g) => g.stop()));
  }
}

interface SosCase {
  raisedMs: Quantiles | null;
  pubackMs: Quantiles | null;
  lost: number;
  /** The reading load's result (null when idle). */
  load: PublishResult | null;
}

interface SosRun {
  idle: SosCase;
  readings: SosCase;
  gateway: Pick<GatewayCounters, 'eventsAccepted' | 'rejects'>;
  log: Record<string, PlatformLogSummary>;
}

/** Up to SAMPLES SOS → `alert:raised`, within SAMPLING_BUDGET_MS; three lost in a row end it. */
async function sample(
  deployment: Deployment,
  probe: MqttClient,
  staff: Staff,
  tag: string,
  beforeEach: () => Promise<unknown>,
): Promise<Omit<SosCase, 'load'>> {
  const { fleet, server } = deployment;
  const raised = new Samples();
  const pubacks = new Samples();
  let lost = 0;
  let inARow = 0;
  const until = performance.now() + SAMPLING_BUDGET_MS;
  for (let i = 0; i < SAMPLES && inARow < 3 && performance.now() < until; i++) {
    try {
      await beforeEach();
      const s = await sosToAlert(probe, staff, server.base, fleet.probe, `${tag}-sos-${i}`, SAMPLE_TIMEOUT_MS);
      raised.add(s.raisedMs);
      pubacks.add(s.pubackMs);
      inARow = 0;
    } catch (err) {
      lost++;
      inARow++;
      console.log(`    sample ${i}: ${(err as Error).message}`);
    }
  }
  return { raisedMs: raised.quantiles(), pubackMs: pubacks.quantiles(), lost };
}

/** The idle case, then the reading load, on one fresh platform process with the product's limits. */
async function sosRun(ctx: BenchContext, deployment: Deployment): Promise<Omit<SosRun, 'log'>> {
  const gateway = deployment.gateways[0]!;
  const { fleet, server } = deployment;
  let probe: MqttClient | null = null;
  let staff: Staff | null = null;
  let generator: GeneratorProcess | null = null;
  try {
    staff = await loginStaff(server.base, fleet.staff.username, fleet.staff.password);
    probe = await connectProbe(gateway.url, fleet.probe);
    const idle = await sample(deployment, probe, staff, ctx.tag(), () => server.idle());
    generator = await connectedGenerator(
      job(ctx, gateway.mqttPort, {
        devicesFile: fleet.devicesFile,
        mode: 'paced',
        count: READING_DEVICES,
        ratePerSecond: READINGS_PER_SECOND,
        window: 10,
      }),
    );
    generator.go();
    await pause(SETTLE_MS);
    const readings = await sample(deployment, probe, staff, ctx.tag(), async () => {});
    generator.end();
    const { publish } = await generator.result;
    const { eventsAccepted, rejects } = await gateway.metrics();
    return {
      idle: { ...idle, load: null },
      readings: { ...readings, load: publish ?? null },
      gateway: { eventsAccepted, rejects },
    };
  } finally {
    await generator?.stop();
    staff?.close();
    await closeProbe(probe);
  }
}

const ms = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(1));

function throughputLine(r: ThroughputRun | null): string {
  if (r === null) return 'failed';
  const catchUp = r.catchUpMs === null ? `>${CATCH_UP_TIMEOUT_MS / 1000} s` : `${Math.round(r.catchUpMs)} ms`;
  return (
    `${Math.round(r.ackedPerSecond)}/s, PUBACK p99 ${ms(r.pubackP99)} ms, journaled ${r.journaled}, ` +
    `rate-limited ${r.rateLimited}, consumers caught up in ${catchUp}\n      CPU (% of a core): ${cpuLine(r.cpu)}` +
    (Object.keys(r.log).some((k) => Object.keys(r.log[k]!.counts).length > 0)
      ? `\n      platform log at warn and above: ${JSON.stringify(r.log)}`
      : '')
  );
}

function sosLine(r: SosRun | null): string {
  if (r === null) return 'failed';
  const c = (s: SosCase) =>
    `alert:raised p50 ${ms(s.raisedMs?.p50)} ms, p99 ${ms(s.raisedMs?.p99)} ms over ${s.raisedMs?.count ?? 0}, ` +
    `PUBACK p99 ${ms(s.pubackMs?.p99)} ms, lost ${s.lost}`;
  const load = r.readings.load;
  const sustained = load
    ? `; load offered ${Math.round(load.offered / load.countedSeconds)}/s, acked ${Math.round(load.ackedPerSecond)}/s`
    : '';
  return `idle: ${c(r.idle)}\n      readings: ${c(r.readings)}${sustained}`;
}

/** The peers of a round in an order that alternates from round to round. */
const inOrder = <T>(round: number, a: T, b: T): [T, T] => (round % 2 === 0 ? [a, b] : [b, a]);

export async function cluster(ctx: BenchContext): Promise<PartResult> {
  const seeding = performance.now();
  const shared = await startSharedServers(ctx.root, CLUSTER_DEVICES);
  console.log(
    `  PostgreSQL 15 (fsync ${shared.fsync}) with ${CLUSTER_DEVICES} devices seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s; a database and a nats-server -js of its own per run`,
  );
  const throughputs: Record<Mode, (ThroughputRun | null)[]> = { sqlite: [], pg: [] };
  const sos: Record<Mode, (SosRun | null)[]> = { sqlite: [], pg: [] };
  const gateways: Record<'one' | 'two', (ThroughputRun | null)[]> = { one: [], two: [] };
  try {
    for (let r = 0; r < ctx.rounds; r++) {
      const label = `cluster round ${r + 1}`;
      for (const mode of inOrder<Mode>(r, 'sqlite', 'pg')) {
        const t = await tryRound(`${label}, throughput ${MODE_NAME[mode]}`, async () =>
          using(await deploy(ctx, shared, mode, 'raised'), (d) => throughputRun(ctx, d, 1)),
        );
        throughputs[mode].push(t);
        console.log(`  ${label}, throughput ${MODE_NAME[mode]}: ${throughputLine(t)}`);
      }
      for (const mode of inOrder<Mode>(r, 'sqlite', 'pg')) {
        const s = await tryRound(`${label}, SOS ${MODE_NAME[mode]}`, async () =>
          using(await deploy(ctx, shared, mode, 'default'), (d) => sosRun(ctx, d)),
        );
        sos[mode].push(s);
        console.log(`  ${label}, SOS ${MODE_NAME[mode]}: ${sosLine(s)}`);
      }
      for (const count of inOrder(r, 1, 2)) {
        const name = count === 1 ? 'one' : 'two';
        const t = await tryRound(`${label}, ${name} gateway(s)`, async () =>
          using(await deploy(ctx, shared, { gateways: count }, 'raised'), (d) => throughputRun(ctx, d, 2)),
        );
        gateways[name].push(t);
        console.log(`  ${label}, ${name} gateway${count === 1 ? '' : 's'} + one server: ${throughputLine(t)}`);
      }
    }
  } finally {
    await shared.close();
  }

  const of = <T>(rounds: (T | null)[], f: (x: T) => number | null | undefined) =>
    rounds.map((x) => (x === null ? null : (f(x) ?? null)));
  const vsSqlite = <T>(rounds: Record<Mode, (T | null)[]>, f: (x: T) => number | null | undefined) => ({
    ours: of(rounds.pg, f),
    peer: { name: 'SQLite', values: of(rounds.sqlite, f) },
  });
  const perRound = (runs: (ThroughputRun | null)[], group: string) => runs.map((t) => t?.cpu[group] ?? '—').join('/');
  const cores = `${cpus().length} cores`;
  const figures: Figure[] = [];
  const add = (what: string, unit: string, v: ReturnType<typeof vsSqlite>, note?: string) =>
    figures.push(figure('cluster', what, unit, v.ours, v.peer, note));
  const conns = `${CONNECTIONS} connections × ${WINDOW} in flight`;
  add(
    `PG+JetStream: QoS 1 acked msg/s, ${conns}`,
    'msg/s',
    vsSqlite(throughputs, (t) => t.ackedPerSecond),
    `one platform process (role all) each, raised per-device rate limits; PostgreSQL fsync ${shared.fsync}`,
  );
  add(
    `  PG+JetStream: publish → PUBACK p99 at that load`,
    'ms',
    vsSqlite(throughputs, (t) => t.pubackP99),
  );
  add(
    `  PG+JetStream: platform process CPU at that load`,
    '% core',
    vsSqlite(throughputs, (t) => t.cpu.platform),
  );
  add(
    `  PG+JetStream: CPU of every process at that load`,
    '% core',
    vsSqlite(throughputs, (t) => t.cpu.total),
    `PG+JetStream: postgres ${perRound(throughputs.pg, 'postgres')}%, nats-server ${perRound(throughputs.pg, 'nats')}% of a core`,
  );
  add(
    `  PG+JetStream: machine CPU busy at that load (any process)`,
    '% core',
    vsSqlite(throughputs, (t) => t.cpu.machine),
    `of ${cores}; above the bench's own, something else shared the machine`,
  );
  const readingsWhat = `${READINGS_PER_SECOND.toLocaleString('en')} readings/s offered by ${READING_DEVICES} devices`;
  for (const [key, what] of [
    ['idle', 'idle'],
    ['readings', readingsWhat],
  ] as const) {
    const samples = (['sqlite', 'pg'] as const)
      .map((m) => `${MODE_NAME[m]} ${sos[m].map((s) => s?.[key].raisedMs?.count ?? 0).join('/')}`)
      .join(', ');
    add(
      `PG+JetStream: SOS → alert:raised p50, ${what}`,
      'ms',
      vsSqlite(sos, (s) => s[key].raisedMs?.p50),
      `samples per round ${samples}`,
    );
    add(
      `PG+JetStream: SOS → alert:raised p99, ${what}`,
      'ms',
      vsSqlite(sos, (s) => s[key].raisedMs?.p99),
    );
  }
  add(
    `  PG+JetStream: reading load acknowledged (sustained), ${readingsWhat}`,
    'msg/s',
    vsSqlite(sos, (s) => s.readings.load?.ackedPerSecond),
  );
  const vsOne = (f: (t: ThroughputRun) => number | null | undefined) => ({
    ours: of(gateways.two, f),
    peer: { name: 'one gateway', values: of(gateways.one, f) },
  });
  add(
    `two gateways: QoS 1 acked msg/s, ${conns}`,
    'msg/s',
    vsOne((t) => t.ackedPerSecond),
    `one server process behind, all on PG+JetStream, two generators of ${CONNECTIONS / 2} connections in both cases; ${cores}`,
  );
  add(
    `  two gateways: publish → PUBACK p99 at that load`,
    'ms',
    vsOne((t) => t.pubackP99),
  );
  add(
    `  two gateways: gateway processes CPU at that load`,
    '% core',
    vsOne((t) => t.cpu.gateways),
  );
  add(
    `  two gateways: CPU of every process at that load`,
    '% core',
    vsOne((t) => t.cpu.total),
    `two gateways: server ${perRound(gateways.two, 'server')}%, postgres ${perRound(gateways.two, 'postgres')}%, nats-server ${perRound(gateways.two, 'nats')}%, generators ${perRound(gateways.two, 'generators')}% of a core`,
  );
  add(
    `  two gateways: machine CPU busy at that load (any process)`,
    '% core',
    vsOne((t) => t.cpu.machine),
    `of ${cores}; above the bench's own, something else shared the machine`,
  );
  return {
    figures,
    details: {
      connections: CONNECTIONS,
      window: WINDOW,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      readings: { devices: READING_DEVICES, perSecond: READINGS_PER_SECOND },
      sosSamples: SAMPLES,
      postgresFsync: shared.fsync,
      throughput: throughputs,
      sos,
      gateways,
    },
  };
}
