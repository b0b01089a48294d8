/**
 * Where the platform's CPU goes under the throughput load: one platform process run with
 * `node --cpu-prof` while the generator keeps 100 connections × 10 QoS 1 readings in flight,
 * then each thread's `.cpuprofile` summarised by self time within the load's window, per
 * function and per module (package, or workspace file).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BenchContext, connectedGenerator, job, type PartResult } from './context';
import { startPlatform } from './processes';

const CONNECTIONS = 100;
const DURATION_MS = 8000;
const TOP = 15;

/** The parts of the V8 `.cpuprofile` format this reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

const REPO = join(import.meta.dirname, '..', '..', '..');

/** A package name from a node_modules path, a workspace path, or what V8 calls the rest. */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  return path.startsWith('/') ? relative(REPO, path) : path;
}

export interface ThreadSummary {
  /** Sampled time inside the window. */
  windowMs: number;
  /** Of it, not idle. */
  busyMs: number;
  /** Shares are of the busy time. */
  functions: SelfTime[];
  modules: SelfTime[];
}

/**
 * Self time per function and per module, largest first, of the samples taken within `window`
 * (µs on the monotonic clock the profile uses, as `process.hrtime` does); idle time is left out
 * of the shares.
 */
export function summarise(profile: CpuProfile, window: readonly [number, number] | null): ThreadSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  /** An anonymous function is named after its nearest named caller. */
  const nameOf = (id: number): string => {
    const { functionName } = byId.get(id)!.callFrame;
    if (functionName) return functionName;
    for (let p = parentOf.get(id); p !== undefined; p = parentOf.get(p)) {
      const caller = byId.get(p)!.callFrame.functionName;
      if (caller && !caller.startsWith('(')) return `(anonymous in ${caller})`;
    }
    return '(anonymous)';
  };
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    // timeDeltas[i] is the time before sample i; the time until the next one is this sample's.
    const dt = deltas[i + 1] ?? 0;
    if (window && (t < window[0] || t > window[1])) continue;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
  }
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  let windowUs = 0;
  let busyUs = 0;
  for (const [id, us] of self) {
    const { callFrame: f } = byId.get(id)!;
    windowUs += us;
    if (f.functionName === '(idle)') continue;
    busyUs += us;
    const mod = moduleOf(f.url, f.functionName);
    // tsx compiles each workspace file onto few lines, so only a package's line numbers mean anything.
    const line = f.url.includes('/node_modules/') ? `:${f.lineNumber + 1}` : '';
    const fn = `${nameOf(id)} ${mod}${line}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    modules.set(mod, (modules.get(mod) ?? 0) + us);
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: busyUs > 0 ? us / busyUs : 0 }));
  return {
    windowMs: Math.round(windowUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    functions: top(functions),
    modules: top(modules),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;

export function formatSummary(thread: string, s: ThreadSummary, lines = TOP): string {
  const busy = s.windowMs > 0 ? s.busyMs / s.windowMs : 0;
  return [
    `  ${thread}: busy ${pct(busy).trim()} of ${(s.windowMs / 1000).toFixed(1)} s; self time (share of busy) by module:`,
    ...s.modules.slice(0, lines).map((m) => `    ${pct(m.share)}  ${m.name}`),
    '    by function:',
    ...s.functions.slice(0, lines).map((f) => `    ${pct(f.share)}  ${f.name}`),
  ].join('\n');
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export async function profile(ctx: BenchContext): Promise<PartResult> {
  const dir = ctx.runDir('profile');
  const profiles = join(dir, 'cpuprofile');
  const platform = await startPlatform(dir, 'raised', { cpuProfileDir: profiles });
  let acked: number;
  let window: [number, number];
  try {
    const generator = await connectedGenerator(
      job(ctx, platform.mqttPort, { mode: 'window', count: CONNECTIONS, window: 10, durationMs: DURATION_MS }),
    );
    try {
      const from = nowUs();
      generator.go();
      const { publish } = await generator.result;
      window = [from, from + DURATION_MS * 1000];
      acked = publish?.ackedPerSecond ?? 0;
    } finally {
      await generator.stop();
    }
  } finally {
    await platform.stop();
  }
  // One file per thread: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, 0 the main thread.
  const files = readdirSync(profiles)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ file: f, thread: Number(f.split('.').at(-3)) }))
    .sort((a, b) => a.thread - b.thread);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${profiles}`);
  console.log(
    `  CPU profile of the platform process under ${CONNECTIONS} connections × 10 QoS 1 in flight (${Math.round(acked)} acked/s while profiled), the ${DURATION_MS / 1000} s of load only:`,
  );
  const threads = files.map(({ file, thread }) => {
    const summary = summarise(JSON.parse(readFileSync(join(profiles, file), 'utf8')) as CpuProfile, window);
    const label = thread === 0 ? 'main thread' : `worker thread ${thread}`;
    // Worker threads (SQLite, the tsx loader) in brief; a nearly idle one in one line.
    const busy = summary.windowMs > 0 ? summary.busyMs / summary.windowMs : 0;
    if (thread === 0) console.log(formatSummary(label, summary));
    else if (busy >= 0.05) console.log(formatSummary(label, summary, 5));
    else console.log(`  ${label}: busy ${pct(busy).trim()}`);
    return { thread: label, ...summary };
  });
  return {
    figures: [],
    details: {
      how: `node --cpu-prof on the platform process; ${CONNECTIONS} connections × 10 QoS 1 in flight for ${DURATION_MS} ms (raised limits); samples inside the load window only, shares of non-idle time`,
      ackedPerSecondWhileProfiling: Math.round(acked),
      threads,
    },
  };
}
