/**
 * Restart to healthy: the time from spawning the platform's process to `GET /api/v1/health`
 * answering 200, for the bundle `pnpm start` runs (scripts/build.mjs, with and without
 * `--enable-source-maps`) and for the TypeScript run through tsx (how `pnpm start` ran before,
 * `pnpm dev` now). Each variant keeps one data directory: its first start creates the database
 * and is reported apart; the measured starts are restarts on existing data, interleaved across
 * variants so that a busy moment of the machine falls on all of them alike.
 *
 *   node --import tsx server/bench/startup.bench.ts [--repeats 7] [--target-ms 2000]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, machineLine, median, round, writeReport } from './report';

const ROOT = join(import.meta.dirname, '..', '..');
/** Health is polled this often: the resolution of the figures. */
const POLL_MS = 5;
const START_DEADLINE_MS = 60_000;

interface Variant {
  name: string;
  /** Arguments to `node`, given the bundle directory. */
  args(bundleDir: string): string[];
  env?: Record<string, string>;
}

const TSX_ARGS = () => ['--import', 'tsx', join(ROOT, 'server/src/main.ts')];
const VARIANTS: readonly Variant[] = [
  { name: 'bundle, --enable-source-maps', args: (b) => ['--enable-source-maps', join(b, 'server.mjs')] },
  { name: 'bundle, no source maps', args: (b) => [join(b, 'server.mjs')] },
  { name: 'tsx, warm cache', args: TSX_ARGS },
  // What a first start after a checkout or an edit costs: tsx transpiles every file again.
  { name: 'tsx, no cache', args: TSX_ARGS, env: { TSX_DISABLE_CACHE: '1' } },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One GET of the health route: its status, or 0 when nothing answers yet. */
function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/api/v1/health', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

interface Start {
  /** Spawn to the first 200 from the health route. */
  healthyMs: number;
  /** SIGTERM to exit. */
  stopMs: number;
}

/** Spawns, polls health until 200, then stops it with SIGTERM and waits for the exit. */
async function startOnce(variant: Variant, bundleDir: string, dataDir: string): Promise<Start> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CARECIRCLE_')) env[k] = v;
  Object.assign(env, {
    CARECIRCLE_DATA_DIR: dataDir,
    CARECIRCLE_HOST: '127.0.0.1',
    CARECIRCLE_HTTP_PORT: String(port),
    CARECIRCLE_MQTT_PORT: '0',
    CARECIRCLE_MQTT_WS_PORT: '0',
    CARECIRCLE_LOG_LEVEL: 'info',
    ...variant.env,
  });
  const args = variant.args(bundleDir);
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Both pipes are drained (pino writes synchronously; a full pipe would stall the process).
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  try {
    for (;;) {
      if (gone) throw new Error(`the platform exited before it was healthy:\n${output}`);
      if (performance.now() - started > START_DEADLINE_MS) {
        throw new Error(`not healthy within ${START_DEADLINE_MS} ms:\n${output}`);
      }
      if ((await healthStatus(port)) === 200) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  const healthyMs = performance.now() - started;
  const stopping = performance.now();
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  if (code !== 0) throw new Error(`the platform exited with ${code} at SIGTERM:\n${output}`);
  return { healthyMs, stopMs: performance.now() - stopping };
}

const { values } = parseArgs({
  options: { repeats: { type: 'string', default: '7' }, 'target-ms': { type: 'string', default: '2000' } },
});
const repeats = Number(values.repeats);
const targetMs = Number(values['target-ms']);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats must be a positive integer');

const work = mkdtempSync(join(tmpdir(), 'cc-startup-bench-'));
try {
  const m = machine(work);
  console.log(machineLine(m));
  const bundleDir = join(work, 'dist');
  const buildStarted = performance.now();
  const built = await run(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--outdir', bundleDir, '--quiet']);
  if (built.code !== 0) throw new Error(`scripts/build.mjs failed:\n${built.stderr}`);
  const buildMs = performance.now() - buildStarted;
  console.log(
    `scripts/build.mjs: ${Math.round(buildMs)} ms (the server's bundle and the others, into a temporary dir)`,
  );

  const dataDirs = VARIANTS.map((_, i) => {
    const dir = join(work, `data-${i}`);
    mkdirSync(dir);
    return dir;
  });
  const first: number[] = [];
  for (const [i, v] of VARIANTS.entries()) first.push((await startOnce(v, bundleDir, dataDirs[i]!)).healthyMs);
  const starts: Start[][] = VARIANTS.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, v] of VARIANTS.entries()) starts[i]!.push(await startOnce(v, bundleDir, dataDirs[i]!));
  }

  const results = VARIANTS.map((v, i) => {
    const healthy = starts[i]!.map((s) => s.healthyMs);
    return {
      variant: v.name,
      command: [...Object.entries(v.env ?? {}).map(([k, x]) => `${k}=${x}`), 'node', ...v.args('dist')]
        .join(' ')
        .replace(`${ROOT}/`, ''),
      firstStartMs: round(first[i]!, 1),
      restartToHealthyMs: {
        median: round(median(healthy), 1),
        min: round(Math.min(...healthy), 1),
        max: round(Math.max(...healthy), 1),
      },
      stopMs: { median: round(median(starts[i]!.map((s) => s.stopMs)), 1) },
      samplesMs: healthy.map((x) => round(x, 1)),
    };
  });

  const w = [30, 12, 14, 9, 9, 10];
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' ');
  console.log(`\nspawn → GET /api/v1/health 200, ${repeats} restarts each (ms)`);
  console.log(row(['variant', 'first start', 'restart p50', 'min', 'max', 'stop p50']));
  for (const r of results) {
    console.log(
      row([
        r.variant,
        r.firstStartMs.toFixed(0),
        r.restartToHealthyMs.median.toFixed(0),
        r.restartToHealthyMs.min.toFixed(0),
        r.restartToHealthyMs.max.toFixed(0),
        r.stopMs.median.toFixed(0),
      ]),
    );
  }
  const p50 = (i: number) => results[i]!.restartToHealthyMs.median;
  const ratios = {
    tsxOverBundle: round(p50(2) / p50(0), 2),
    tsxNoCacheOverBundle: round(p50(3) / p50(0), 2),
    sourceMapsOverNone: round(p50(0) / p50(1), 2),
  };
  const met = p50(0) < targetMs;
  console.log(
    `\ntsx / bundle: ${ratios.tsxOverBundle}× (no cache: ${ratios.tsxNoCacheOverBundle}×); ` +
      `bundle with / without source maps: ${ratios.sourceMapsOverNone}×; ` +
      `target (bundle restart p50 < ${targetMs} ms): ${met ? 'met' : 'NOT met'}`,
  );
  const file = writeReport('startup', {
    machine: m,
    settings: { repeats, pollMs: POLL_MS, targetMs, buildMs: round(buildMs, 1), logLevel: 'info' },
    results,
    ratios: { ...ratios, targetMet: met },
  });
  console.log(`wrote ${file}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
