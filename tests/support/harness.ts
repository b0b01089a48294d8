/**
 * Starts the real platform for end-to-end tests: as a child process (`server/src/main.ts`, or
 * the demo's `simulators/src/demo/main.ts`) on free ports with a temporary data directory,
 * exactly as `pnpm start` (or `pnpm demo`) runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { main as cliMain } from '../../server/src/cli/main';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/**
 * `node --import tsx` runs the TypeScript in this one process. The `tsx` launcher would start
 * a second process: a SIGKILL sent to the launcher would leave the real server running.
 */
const NODE_TS = [process.execPath, ['--import', 'tsx']] as const;

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
  mqttPort: number;
  mqttWsPort: number | null;
  baseUrl: string;
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

/** What `pnpm start` runs. */
const PLATFORM_ENTRY = 'server/src/main.ts';
/** What `pnpm demo` runs: the platform, seeded, with a simulated fleet. */
const DEMO_ENTRY = 'simulators/src/demo/main.ts';

/** Starts `server/src/main.ts` and resolves once it logged the ports it listens on. */
export function startPlatform(
  dataDir: string,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
): Promise<PlatformProcess> {
  return startEntry(PLATFORM_ENTRY, dataDir, extraEnv, args);
}

/**
 * Starts the demo and resolves once the platform inside it is up; the seed is in by then, the
 * fleet and the banner follow (wait for the banner with `line()`).
 */
export function startDemo(dataDir: string, extraEnv: Record<string, string> = {}): Promise<PlatformProcess> {
  return startEntry(DEMO_ENTRY, dataDir, extraEnv, []);
}

async function startEntry(
  entry: string,
  dataDir: string,
  extraEnv: Record<string, string>,
  args: string[],
): Promise<PlatformProcess> {
  const child = spawn(NODE_TS[0], [...NODE_TS[1], join(ROOT, entry), ...args], {
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
  const up = await new Promise<{ httpPort: number; mqttPort: number; mqttWsPort: number | null }>((res, rej) => {
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
          mqttPort?: number;
          mqttWsPort?: number | null;
        };
        if (entry.msg === 'CareCircle is up') {
          clearTimeout(timer);
          res({ httpPort: entry.httpPort!, mqttPort: entry.mqttPort!, mqttWsPort: entry.mqttWsPort ?? null });
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
    mqttUrl: `mqtt://127.0.0.1:${up.mqttPort}`,
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
export function runPlatform(dataDir: string, extraEnv: Record<string, string>): Promise<SpawnResult> {
  return run(NODE_TS[0], [...NODE_TS[1], join(ROOT, PLATFORM_ENTRY)], platformEnv(dataDir, extraEnv));
}

/**
 * The admin CLI (`pnpm carecircle …`) against a data directory; returns the parsed `--json`
 * output. It runs the CLI's own entry point in this process: a process per call would cost a
 * TypeScript start-up each time, and `cli.test.ts` covers the process boundary.
 */
export async function cli<T = Record<string, unknown>>(dataDir: string, args: string[]): Promise<T> {
  let out = '';
  let err = '';
  const code = await cliMain([...args, '--json'], {
    env: platformEnv(dataDir, {}),
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
export function cliProcess(dataDir: string, args: string[]): Promise<SpawnResult> {
  return run(NODE_TS[0], [...NODE_TS[1], join(ROOT, 'server/src/cli/main.ts'), ...args], platformEnv(dataDir, {}));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
