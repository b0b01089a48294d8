/**
 * The bench's child processes, seen from the bench: the platform under test
 * (platform.process.ts) and load generators (generator.ts); Mosquitto is in mosquitto.ts. Each is
 * started on free loopback ports and a directory of the run, and stopped by its own handle.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { FromGenerator, FromPlatform, GeneratorJob, LimitsMode, ToPlatform } from './messages';

const HERE = import.meta.dirname;
const START_TIMEOUT_MS = 60_000;
/**
 * How long a platform may take to stop before it is killed: a stop that cannot finish (a drain
 * behind a backlog) is a finding, not something the bench waits out.
 */
const STOP_GRACE_MS = 6000;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Resident and peak memory of a process in MiB (`/proc/<pid>/status`), null once it is gone. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt
 * ListenOverflows and ListenDrops in /proc/net/netstat; SyncookiesSent, the SYNs answered with
 * a cookie because the queue was full), for the whole machine.
 */
export function listenDrops(): { overflows: number; drops: number; syncookies: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
  const names = lines[i]?.split(' ') ?? [];
  const values = lines[i + 1]?.split(' ') ?? [];
  const of = (name: string) => Number(values[names.indexOf(name)] ?? Number.NaN);
  return { overflows: of('ListenOverflows'), drops: of('ListenDrops'), syncookies: of('SyncookiesSent') };
}

let clockTicks = 0;

/** CPU time (user + system, all threads) a process has used, in seconds; null once it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis start at #3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ||= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime (#14), stime (#15)
  } catch {
    return null;
  }
}

/** This process's soft limit on open files (children inherit it). */
export function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Kills `child` if it has not exited within `ms`. */
export async function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const code = await exited(child);
  clearTimeout(timer);
  return code;
}

export interface PlatformLogSummary {
  /** Lines at warn (40) and above, by level name. */
  counts: Record<string, number>;
  /** The first few distinct messages at warn and above. */
  first: string[];
}

export interface PlatformProcess {
  pid: number;
  httpPort: number;
  mqttPort: number;
  base: string;
  url: string;
  limits: Record<string, number> | null;
  /** Resolves once every consumer has caught up, with how long that took; null past `timeoutMs`. */
  idle(timeoutMs?: number): Promise<number | null>;
  /** The gateway's counters (`GatewayMetrics`), as the platform reports them. */
  metrics(): Promise<GatewayCounters>;
  /** The process's heap and buffers (`process.memoryUsage()`), in MiB; null if it did not answer in `timeoutMs`. */
  memoryUsage(timeoutMs?: number): Promise<Record<string, number> | null>;
  /**
   * An orderly stop (SIGTERM: serve() closes intake, drains, closes storage); killed past
   * STOP_GRACE_MS. Answers what it logged at warn and above.
   */
  stop(): Promise<{ code: number | null; killed: boolean; log: PlatformLogSummary }>;
}

/** The part of `GatewayMetrics` the bench reads; the rest is kept as it comes. */
export interface GatewayCounters {
  eventsAccepted: number;
  connectsAccepted: number;
  rejects: Record<string, number>;
  [other: string]: unknown;
}

const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };

function summariseLog(file: string): PlatformLogSummary {
  const counts: Record<string, number> = {};
  const first: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let level = 50;
    let text = line;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      level = entry.level ?? 50;
      text = [entry.msg, entry.err?.message].filter(Boolean).join(': ');
    } catch {
      // not a log line (a crash's stack trace on stderr): counted as an error
    }
    if (level < 40) continue;
    const name = LEVELS[level] ?? String(level);
    counts[name] = (counts[name] ?? 0) + 1;
    if (first.length < 5 && !first.includes(text)) first.push(text);
  }
  return { counts, first };
}

/** The environment of a child: this one's, without any `CARECIRCLE_*` the config would refuse. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CARECIRCLE_')));
  return { ...env, ...extra };
}

/**
 * Starts a platform process on `dataDir`. `options.env` adds `CARECIRCLE_*` settings over the
 * bench's (the cluster part's role, database and journal URLs, and shared device-secret key).
 */
export async function startPlatform(
  dataDir: string,
  limits: LimitsMode,
  options: { cpuProfileDir?: string; env?: Record<string, string> } = {},
): Promise<PlatformProcess> {
  const logFile = join(dataDir, 'platform.log');
  const log = openSync(logFile, 'a');
  const execArgv = ['--import', 'tsx'];
  // LOAD_CPU_PROFILE=<dir> profiles every platform process of a run, whichever part starts it.
  const cpuProfileDir = options.cpuProfileDir ?? process.env.LOAD_CPU_PROFILE;
  if (cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`);
  const child = fork(join(HERE, 'platform.process.ts'), [JSON.stringify({ limits })], {
    execArgv,
    env: childEnv({
      CARECIRCLE_DATA_DIR: dataDir,
      CARECIRCLE_HOST: '127.0.0.1',
      CARECIRCLE_HTTP_PORT: '0',
      CARECIRCLE_MQTT_PORT: '0',
      CARECIRCLE_MQTT_WS_PORT: 'off',
      CARECIRCLE_LOG_LEVEL: 'warn',
      ...options.env,
    }),
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  const up = await new Promise<Extract<FromPlatform, { type: 'up' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the platform did not start within 60 s')), START_TIMEOUT_MS);
    child.on('message', (m: FromPlatform) => {
      if (m.type !== 'up') return;
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the platform exited (${code}) before it was up:\n${readFileSync(logFile, 'utf8')}`));
    });
  });
  child.removeAllListeners('exit');
  let nextId = 0;
  const ask = <T extends FromPlatform['type']>(type: 'idle' | 'metrics', timeoutMs: number) =>
    new Promise<Extract<FromPlatform, { type: T }> | null>((resolve) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        child.off('message', listener);
        resolve(null);
      }, timeoutMs);
      const listener = (m: FromPlatform) => {
        if (m.type !== type || !('id' in m) || m.id !== id) return;
        clearTimeout(timer);
        child.off('message', listener);
        resolve(m as Extract<FromPlatform, { type: T }>);
      };
      child.on('message', listener);
      child.send({ type, id } satisfies ToPlatform);
    });
  return {
    pid: up.pid,
    httpPort: up.httpPort,
    mqttPort: up.mqttPort,
    base: `http://127.0.0.1:${up.httpPort}`,
    url: `mqtt://127.0.0.1:${up.mqttPort}`,
    limits: up.limits,
    async idle(timeoutMs = 30_000) {
      const answer = await ask<'idle'>('idle', timeoutMs);
      return answer?.ms ?? null;
    },
    async metrics() {
      const answer = await ask<'metrics'>('metrics', 30_000);
      if (!answer) throw new Error('the platform did not answer for its metrics within 30 s');
      return answer.metrics as GatewayCounters;
    },
    async memoryUsage(timeoutMs = 5000) {
      const answer = await ask<'metrics'>('metrics', timeoutMs);
      if (!answer) return null;
      return Object.fromEntries(Object.entries(answer.memory).map(([k, bytes]) => [k, Math.round(bytes / 2 ** 20)]));
    },
    async stop() {
      if (child.connected) child.send({ type: 'stop' } satisfies ToPlatform);
      else child.kill('SIGTERM');
      const code = await exitWithin(child, STOP_GRACE_MS);
      const killed = child.signalCode === 'SIGKILL';
      const log = summariseLog(logFile);
      if (killed) {
        log.counts.killed = 1;
        log.first.push(`did not stop within ${STOP_GRACE_MS / 1000} s; killed`);
      }
      return { code, killed, log };
    },
  };
}

export interface GeneratorProcess {
  pid: number;
  /** `connected` (publishing modes) or `ready` (a storm). */
  prepared: Promise<Extract<FromGenerator, { type: 'connected' | 'ready' }>>;
  go(): void;
  /** Ends a run without a duration. */
  end(): void;
  result: Promise<Extract<FromGenerator, { type: 'result' }>>;
  /** Its connections open now, and those the broker closed after their CONNACK. */
  count(): Promise<{ open: number; dropped: number }>;
  stop(): Promise<void>;
}

export function startGenerator(job: GeneratorJob): GeneratorProcess {
  const child = fork(join(HERE, 'generator.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: childEnv({}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const failed = new Promise<never>((_, reject) => {
    child.on('message', (m: FromGenerator) => {
      if (m.type === 'error') reject(new Error(`generator: ${m.message}`));
    });
    child.once('exit', (code) => reject(new Error(`generator exited (${code}) early`)));
  });
  failed.catch(() => {}); // surfaced through `prepared` and `result`
  const awaitMessage = <T extends FromGenerator['type']>(types: readonly T[]) =>
    Promise.race([
      failed,
      new Promise<Extract<FromGenerator, { type: T }>>((resolve) => {
        const listener = (m: FromGenerator) => {
          if (!(types as readonly string[]).includes(m.type)) return;
          child.off('message', listener);
          resolve(m as Extract<FromGenerator, { type: T }>);
        };
        child.on('message', listener);
      }),
    ]);
  const prepared = awaitMessage(['connected', 'ready'] as const);
  const result = awaitMessage(['result'] as const);
  child.send({ type: 'job', job });
  return {
    pid: child.pid!,
    prepared,
    result,
    go: () => child.send({ type: 'go' }),
    async count() {
      const answer = awaitMessage(['count'] as const);
      child.send({ type: 'count' });
      const { open, dropped } = await answer;
      return { open, dropped };
    },
    end: () => child.send({ type: 'end' }),
    async stop() {
      child.removeAllListeners('exit');
      if (child.connected) child.send({ type: 'stop' });
      await exitWithin(child, 10_000);
    },
  };
}
