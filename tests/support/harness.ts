/**
 * Starts the real platform for end-to-end tests: as a child process on free ports with a
 * temporary data directory, exactly as `pnpm start` (or `pnpm demo`, `pnpm carecircle`) runs it:
 * the bundles of scripts/build.mjs under `node --enable-source-maps`. Each test file builds its
 * own bundles from the current sources, once, into a temporary directory: an edit is tested
 * without a manual build, and no test rewrites the `dist/` a developer may be running from.
 * `from: 'source'` runs the TypeScript through tsx instead (`pnpm dev`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { main as cliMain } from '../../server/src/cli/main';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** How a process runs the code: built, as the quickstart commands do, or from the TypeScript. */
export type RunFrom = 'bundle' | 'source';

/** The processes the tests start: their source entry point and the bundle built from it. */
const ENTRIES = {
  /** What `pnpm start` runs. */
  platform: { source: 'server/src/main.ts', bundle: 'server.mjs' },
  /** What `pnpm demo` runs: the platform, seeded, with a simulated fleet. */
  demo: { source: 'simulators/src/demo/main.ts', bundle: 'demo.mjs' },
  /** What `pnpm carecircle` runs. */
  cli: { source: 'server/src/cli/main.ts', bundle: 'carecircle.mjs' },
} as const;

/** A safety net: no platform a test started outlives the test process. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function tempDir(prefix = 'cc-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface PlatformProcess {
  child: ChildProcess;
  httpPort: number;
  /** Null for a process in the `server` role (it takes no device connections). */
  mqttPort: number | null;
  mqttWsPort: number | null;
  baseUrl: string;
  /** Empty for a process in the `server` role. */
  mqttUrl: string;
  /** Lines the process wrote to stdout so far (JSON from pino, and the demo's banner). */
  logs: string[];
  /** Resolves with the first stdout line (seen or still to come) that matches. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface SpawnResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function platformEnv(dataDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CARECIRCLE_')) env[k] = v;
  return {
    ...env,
    CARECIRCLE_DATA_DIR: dataDir,
    CARECIRCLE_HOST: '127.0.0.1',
    CARECIRCLE_HTTP_PORT: '0',
    CARECIRCLE_MQTT_PORT: '0',
    CARECIRCLE_MQTT_WS_PORT: '0',
    CARECIRCLE_LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Runs scripts/build.mjs into `outdir`; rejects with the build's errors. */
export async function buildBundles(outdir: string): Promise<void> {
  const r = await run(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--outdir', outdir, '--quiet'], process.env);
  if (r.code !== 0) throw new Error(`scripts/build.mjs exited ${r.code}:\n${r.stderr}`);
}

let built: { dir: string; ready: Promise<string> } | undefined;

/** This test file's bundles: built on first use, removed after the file's tests. */
export function bundleDir(): Promise<string> {
  if (!built) {
    const dir = tempDir('cc-build-');
    built = { dir, ready: buildBundles(dir).then(() => dir) };
  }
  return built.ready;
}

// Registered while the importing test file is collected, so it runs after all of that file's
// tests (a process `exit` handler would not: vitest ends its workers with SIGTERM).
afterAll(async () => {
  if (!built) return;
  await built.ready.catch(() => undefined);
  rmSync(built.dir, { recursive: true, force: true });
});

/**
 * `node --enable-source-maps <bundle>`, as the package scripts run it, or `node --import tsx
 * <source>`: tsx in this one process, since the `tsx` launcher would start a second one and a
 * SIGKILL sent to the launcher would leave the real server running.
 */
async function nodeArgs(entry: keyof typeof ENTRIES, from: RunFrom): Promise<string[]> {
  const { source, bundle } = ENTRIES[entry];
  return from === 'bundle'
    ? ['--enable-source-maps', join(await bundleDir(), bundle)]
    : ['--import', 'tsx', join(ROOT, source)];
}

/** Starts the platform (`pnpm start`) and resolves once it logged the ports it listens on. */
export async function startPlatform(
  dataDir: string,
  extraEnv: Record<string, string> = {},
  from: RunFrom = 'bundle',
): Promise<PlatformProcess> {
  return startEntry(await nodeArgs('platform', from), dataDir, extraEnv);
}

/**
 * Starts the demo and resolves once the platform inside it is up; the seed is in by then, the
 * fleet and the banner follow (wait for the banner with `line()`).
 */
export async function startDemo(
  dataDir: string,
  extraEnv: Record<string, string> = {},
  from: RunFrom = 'bundle',
): Promise<PlatformProcess> {
  return startEntry(await nodeArgs('demo', from), dataDir, extraEnv);
}

/** Starts `node <args>` as the platform's process. */
async function startEntry(
  args: readonly string[],
  dataDir: string,
  extraEnv: Record<string, string>,
): Promise<PlatformProcess> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: platformEnv(dataDir, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const logs: string[] = [];
  const lineEvents = new EventEmitter<{ line: [string] }>();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  const up = await new Promise<{ httpPort: number; mqttPort: number | null; mqttWsPort: number | null }>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`platform did not start in 30 s:\n${stderr}\n${logs.join('\n')}`)),
      30_000,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      lineEvents.emit('line', line);
      try {
        const entry = JSON.parse(line) as {
          msg?: string;
          httpPort?: number;
          mqttPort?: number | null;
          mqttWsPort?: number | null;
        };
        if (entry.msg === 'CareCircle is up') {
          clearTimeout(timer);
          res({ httpPort: entry.httpPort!, mqttPort: entry.mqttPort ?? null, mqttWsPort: entry.mqttWsPort ?? null });
        }
      } catch {
        // not a JSON log line
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      rej(new Error(`platform exited with ${code} before it was up:\n${stderr}`));
    });
  });
  return {
    child,
    ...up,
    baseUrl: `http://127.0.0.1:${up.httpPort}`,
    mqttUrl: up.mqttPort === null ? '' : `mqtt://127.0.0.1:${up.mqttPort}`,
    logs,
    line(pattern, timeoutMs = 30_000) {
      const seen = logs.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          lineEvents.off('line', onLine);
          rej(new Error(`no line matching ${pattern} in ${timeoutMs} ms`));
        }, timeoutMs);
        const onLine = (l: string) => {
          if (!pattern.test(l)) return;
          clearTimeout(timer);
          lineEvents.off('line', onLine);
          res(l);
        };
        lineEvents.on('line', onLine);
      });
    },
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs a command to completion and collects its output. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<SpawnResult> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', rej);
    child.once('close', (code) => res({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Runs the main process to completion (for start-up failures). */
export async function runPlatform(
  dataDir: string,
  extraEnv: Record<string, string>,
  from: RunFrom = 'bundle',
): Promise<SpawnResult> {
  return run(process.execPath, await nodeArgs('platform', from), platformEnv(dataDir, extraEnv));
}

/**
 * The admin CLI (`pnpm carecircle …`) against a data directory; returns the parsed `--json`
 * output. It runs the CLI's own entry point in this process: a process per call would cost a
 * process start-up each time, and `cli.test.ts` covers the process boundary.
 */
export async function cli<T = Record<string, unknown>>(
  dataDir: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<T> {
  let out = '';
  let err = '';
  const code = await cliMain([...args, '--json'], {
    env: platformEnv(dataDir, extraEnv),
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  if (code !== 0) throw new Error(`carecircle ${args.join(' ')} exited ${code}: ${err}`);
  return JSON.parse(out) as T;
}

/** The CLI as a separate process, exactly as `pnpm carecircle` runs it. */
export async function cliProcess(dataDir: string, args: string[], from: RunFrom = 'bundle'): Promise<SpawnResult> {
  return run(process.execPath, [...(await nodeArgs('cli', from)), ...args], platformEnv(dataDir, {}));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
