/**
 * The platform under load, each figure against a peer measured in the same run (Mosquitto with
 * a password file, or the idle case), medians of ROUNDS runs. The platform under test runs as a
 * process of its own (load/platform.process.ts: `serve()` as `pnpm start` runs it, on a copy of a
 * data directory seeded once with the fleet), and so does the load generator (load/generator.ts:
 * N MQTT connections, results as JSON over IPC); the SOS probe and the staff socket.io client
 * live in this process.
 *
 * - throughput: QoS 1 acked msg/s at 100 and 1,000 connections, 10 in flight each (load/throughput.ts)
 * - sos: SOS → `alert:raised` p50/p99, idle, under 10,000 readings/s offered, beside a flooding device (load/sos-latency.ts)
 * - storm: 10,000 devices connect at once, time to the last CONNACK; SOS PUBACK p99 meanwhile (load/storm.ts)
 * - flood: peak RSS while 1,000 connections flood for 10 s, and the time to recover (load/flood.ts)
 * - profile: where the platform's CPU goes under the throughput load (load/profile.ts)
 * - cluster: throughput and SOS → `alert:raised` on PostgreSQL + JetStream against SQLite, and
 *   throughput through two gateway processes against one (load/cluster.ts)
 *
 * The platform's per-device publish rate (20/s, burst 100) is raised where a device must send
 * more (throughput, profile; the flood too with LOAD_FLOOD_LIMITS=default,raised); everything
 * else runs with the product's limits. Neither `Config` nor `PlatformOptions` exposes gateway
 * limits, so load/gateway-limits.hook.ts hands that platform process a `createGateway` with them raised.
 *
 *   pnpm bench                                             (every part, with the other benches)
 *   node --import tsx server/bench/load.bench.ts [part…]   (parts: throughput sos storm flood profile cluster)
 *   LOAD_PARTS=storm,flood LOAD_ROUNDS=5 node --import tsx server/bench/load.bench.ts
 *
 * LOAD_KEEP=1 keeps the run directories (each platform process's data and `platform.log`);
 * LOAD_SOS_CASES, LOAD_SOS_SAMPLES (load/sos-latency.ts) and LOAD_FLOOD_LIMITS (load/flood.ts)
 * narrow or widen a part.
 * Needs Debian's `mosquitto` and `mosquitto_passwd`; the cluster part Debian's PostgreSQL 15 and
 * `nats-server`. Writes bench-results/load.json (a run of some parts replaces those parts and
 * keeps the others).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_DEVICES, cluster } from './load/cluster';
import { type BenchContext, createContext, type Figure, type PartResult } from './load/context';
import { seedFleet } from './load/fleet';
import { flood } from './load/flood';
import { mosquittoPasswords } from './load/mosquitto';
import { openFileLimit } from './load/processes';
import { profile } from './load/profile';
import { sosLatency } from './load/sos-latency';
import { STORM_DEVICES, storm } from './load/storm';
import { throughput } from './load/throughput';
import { machine, machineLine, round, table, writeReport } from './report';

const PARTS = {
  throughput: { run: throughput, devices: 1000 },
  sos: { run: sosLatency, devices: 1000 },
  storm: { run: storm, devices: STORM_DEVICES },
  flood: { run: flood, devices: 1000 },
  profile: { run: profile, devices: 100 },
  cluster: { run: cluster, devices: CLUSTER_DEVICES },
} satisfies Record<string, { run: (ctx: BenchContext) => Promise<PartResult>; devices: number }>;
type Part = keyof typeof PARTS;

function selectedParts(): Part[] {
  const asked = [...process.argv.slice(2), ...(process.env.LOAD_PARTS ?? '').split(',')]
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of asked) {
    if (!(p in PARTS)) throw new Error(`unknown part ${p}; one of ${Object.keys(PARTS).join(', ')}`);
  }
  return asked.length > 0 ? [...new Set(asked as Part[])] : (Object.keys(PARTS) as Part[]);
}

function rounds(): number {
  const n = Number(process.env.LOAD_ROUNDS ?? 3);
  if (!Number.isInteger(n) || n < 1) throw new Error(`LOAD_ROUNDS must be a positive integer, got ${n}`);
  return n;
}

const num = (x: number | null, unit: string) => {
  if (x === null) return '—';
  if (x === Number.POSITIVE_INFINITY) return 'never';
  if (unit === 'ms') return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en');
  return Math.round(x).toLocaleString('en');
};

function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((f) => [
    f.part,
    f.what,
    f.unit,
    num(f.carecircle, f.unit),
    f.peer ?? '',
    num(f.peerValue, f.unit),
    f.ratio === null ? '' : Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)}×` : '∞',
  ]);
  console.log(table(['part', 'figure', 'unit', 'CareCircle', 'peer', 'peer value', 'ratio'], rows));
}

/** What an earlier run wrote for the parts this run does not measure. */
function earlierParts(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { results?: Record<string, unknown> }).results ?? {};
  } catch {
    return {};
  }
}

const parts = selectedParts();
const root = mkdtempSync(join(tmpdir(), 'cc-bench-load-'));
let failed = false;
try {
  const host = machine(root);
  const devices = Math.max(...parts.map((p) => PARTS[p].devices));
  // Each connection is a descriptor in the generator and one in the platform (or Mosquitto).
  const files = openFileLimit();
  if (files < devices + 1000) throw new Error(`open files limit ${files} < ${devices + 1000}: raise it (ulimit -n)`);
  const seeding = performance.now();
  const fleet = await seedFleet(root, devices);
  const passwords = mosquittoPasswords(root, [...fleet.load, fleet.probe]);
  console.log(
    `load bench: ${parts.join(', ')}; ${rounds()} rounds; ${devices} devices provisioned in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );
  console.log(machineLine(host));
  const ctx = createContext(root, fleet, passwords, rounds());
  type Measured = (PartResult | { failed: string; figures: Figure[] }) & { date: string; seconds: number };
  const measured: Record<string, Measured> = {};
  // A part that fails (the platform refused, crashed or hung) is reported, and the others still run.
  for (const part of parts) {
    const started = performance.now();
    console.log(`${part}:`);
    let result: PartResult | { failed: string; figures: Figure[] };
    try {
      result = await PARTS[part].run(ctx);
    } catch (err) {
      failed = true;
      console.error(`  ${part} failed:`, err);
      result = { failed: err instanceof Error ? (err.stack ?? err.message) : String(err), figures: [] };
    }
    measured[part] = {
      date: new Date().toISOString(),
      seconds: round((performance.now() - started) / 1000, 1),
      ...result,
    };
  }
  const figures = parts.flatMap((p) => measured[p]!.figures);
  const failures = parts.filter((p) => 'failed' in measured[p]!);
  console.log(`\nload bench, medians of ${ctx.rounds} rounds (ratio: median of each round's CareCircle / peer):`);
  console.log(machineLine(host));
  printTable(figures);
  if (failures.length > 0) console.log(`FAILED: ${failures.join(', ')} (see above)`);
  const file = join(import.meta.dirname, '..', '..', 'bench-results', 'load.json');
  const results = { ...earlierParts(file), ...measured };
  const ratios = Object.fromEntries(
    Object.values(results)
      .flatMap((r) => (r as { figures?: Figure[] }).figures ?? [])
      .filter((f) => f.ratio !== null)
      .map((f) => [`${f.part}: ${f.what.trim()}`, round(f.ratio!)]),
  );
  const written = writeReport('load', {
    machine: host,
    settings: { rounds: ctx.rounds, parts, devices, openFiles: files },
    results,
    ratios,
  });
  console.log(`written to ${written}`);
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  if (process.env.LOAD_KEEP) console.log(`kept ${root} (LOAD_KEEP)`);
  else rmSync(root, { recursive: true, force: true });
}
// The seeding opened storage in this process; whatever it leaves running must not hold the bench.
process.exit(failed ? 1 : 0);
