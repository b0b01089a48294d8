/**
 * What every part of the load bench shares: the seeded fleet, Mosquitto's password file, the
 * number of rounds, fresh data directories, and the shape of a figure in the table.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { copyTemplate, type Fleet } from './fleet';
import type { GeneratorJob, PublishResult } from './messages';
import { cpuSecondsOf, type GeneratorProcess, startGenerator } from './processes';

export interface BenchContext {
  root: string;
  fleet: Fleet;
  /** Mosquitto's password file with every device of the fleet. */
  passwords: string;
  rounds: number;
  /** A fresh data directory: a copy of the seeded template. */
  runDir(name: string): string;
  /** A prefix for event ids no other run has used. */
  tag(): string;
}

export function createContext(root: string, fleet: Fleet, passwords: string, rounds: number): BenchContext {
  let runs = 0;
  return {
    root,
    fleet,
    passwords,
    rounds,
    runDir: (name) => copyTemplate(fleet, join(mkdtempSync(join(root, `${name}-`)), 'data')),
    tag: () => `l${++runs}`,
  };
}

/** One line of the table: CareCircle's median, its peer's median in the same run, their ratio. */
export interface Figure {
  part: string;
  what: string;
  unit: string;
  carecircle: number | null;
  /** Who the peer is (Mosquitto, or the idle case); null when there is none. */
  peer: string | null;
  peerValue: number | null;
  /** The median of the rounds' CareCircle / peer (or the medians' ratio where rounds do not pair up). */
  ratio: number | null;
  rounds: { carecircle: (number | null)[]; peer: (number | null)[] };
  note?: string;
}

export interface PartResult {
  figures: Figure[];
  /** Everything measured, per round, for the JSON report. */
  details: Record<string, unknown>;
}

export const median = (xs: readonly (number | null)[]): number | null => {
  // Infinity stays: it stands for "never" (a broker that did not recover), slower than any time.
  const known = xs.filter((x): x is number => x !== null && !Number.isNaN(x)).sort((a, b) => a - b);
  return known.length === 0 ? null : known[Math.floor(known.length / 2)]!;
};

export function figure(
  part: string,
  what: string,
  unit: string,
  ours: (number | null)[],
  peer: { name: string; values: (number | null)[] } | null,
  note?: string,
): Figure {
  const c = median(ours);
  const p = peer ? median(peer.values) : null;
  // Rounds ran side by side, each pair under the same conditions on a shared machine: the ratio
  // is the median of each round's ratio; without pairs, the ratio of the medians.
  const pairs = (peer?.values ?? []).map((v, i) => {
    const o = ours[i];
    return o === null || o === undefined || v === null || v === 0 || !Number.isFinite(v) ? null : o / v;
  });
  const paired = pairs.length === ours.length && pairs.every((r) => r !== null);
  return {
    part,
    what,
    unit,
    carecircle: c,
    peer: peer?.name ?? null,
    peerValue: p,
    ratio: paired ? median(pairs) : c !== null && p !== null && p !== 0 && Number.isFinite(p) ? c / p : null,
    rounds: { carecircle: ours, peer: peer?.values ?? [] },
    ...(note ? { note } : {}),
  };
}

/** A generator job against `port` with the fleet's devices; `overrides` say what kind of load. */
export function job(
  ctx: BenchContext,
  port: number,
  overrides: Partial<GeneratorJob> & Pick<GeneratorJob, 'mode' | 'count'>,
): GeneratorJob {
  return {
    host: '127.0.0.1',
    port,
    devicesFile: ctx.fleet.devicesFile,
    first: 0,
    qos: 1,
    window: 10,
    ratePerSecond: 0,
    durationMs: null,
    warmupMs: 0,
    reconnect: false,
    tag: ctx.tag(),
    ...overrides,
  };
}

/** Starts a generator and waits for its connections; throws if any failed. */
export async function connectedGenerator(j: GeneratorJob): Promise<GeneratorProcess> {
  const generator = startGenerator(j);
  try {
    const prepared = await generator.prepared;
    if (prepared.type === 'connected' && Object.keys(prepared.refusals).length > 0) {
      console.log(`    generator: failed connect attempts ${JSON.stringify(prepared.refusals)} (retried)`);
    }
    if (prepared.type === 'connected' && prepared.failed > 0) {
      throw new Error(
        `${prepared.failed} of ${j.count} generator connections failed: ${JSON.stringify(prepared.refusals)}`,
      );
    }
    return generator;
  } catch (err) {
    await generator.stop();
    throw err;
  }
}

/**
 * Runs a publishing job with a duration to its end and answers its result, with the CPU the
 * broker process `brokerPid` used meanwhile (% of one core, from `go` to the result).
 */
export async function runToEnd(
  j: GeneratorJob,
  brokerPid: number,
): Promise<PublishResult & { brokerCpuPercent: number | null }> {
  const generator = await connectedGenerator(j);
  try {
    const cpuBefore = cpuSecondsOf(brokerPid);
    const wallBefore = performance.now();
    generator.go();
    const { publish } = await generator.result;
    const cpuAfter = cpuSecondsOf(brokerPid);
    if (!publish) throw new Error('the generator answered no publish result');
    const wall = (performance.now() - wallBefore) / 1000;
    const brokerCpuPercent = cpuBefore === null || cpuAfter === null ? null : (100 * (cpuAfter - cpuBefore)) / wall;
    return { ...publish, brokerCpuPercent };
  } finally {
    await generator.stop();
  }
}

/** Sleeps `ms` (the bench paces its own runs; nothing here waits on a test condition). */
export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A round that throws is reported and left out (null): one bad round does not end the part. */
export async function tryRound<T>(label: string, run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    console.log(`  ${label} failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}
