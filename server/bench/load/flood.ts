/**
 * Part 4, memory under a flood: 1,000 connections publish QoS 0 readings as fast as their
 * sockets drain for FLOOD_MS. The broker process's resident memory is sampled every
 * RSS_EVERY_MS from /proc/<pid>/status (VmRSS; VmHWM for the peak), and the probe, a quiet
 * device connected before, sends an SOS every SOS_GAP_MS during the flood and keeps sending
 * after it: recovery is the time from the flood's end until RECOVERED_AFTER SOS in a row are
 * acknowledged in normal time (no slower than NORMAL_FACTOR × the p99 of BASELINE SOS sent
 * before the flood, and at least NORMAL_FLOOR_MS). Also reported: how long the platform's
 * consumers then take to catch up.
 *
 * Two platform cases: the product's limits (20/s per device; a device dropped over its rate for
 * too long is cut off, and the generator reconnects it at once), and raised limits, so that the
 * flood reaches the journal and only the gateway's intake back-pressure holds it. Mosquitto,
 * under the same flood, is the peer of both.
 */
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
import type { LimitsMode, PublishResult, Quantiles } from './messages';
import { startMosquitto } from './mosquitto';
import { closeProbe, connectProbe, sos } from './probe';
import { memoryOf, startPlatform } from './processes';
import { Samples } from './samples';

const CONNECTIONS = 1000;
const FLOOD_MS = 10_000;
const RSS_EVERY_MS = 100;
const SOS_GAP_MS = 100;
const BASELINE = 30;
const NORMAL_FACTOR = 2;
const NORMAL_FLOOR_MS = 5;
const RECOVERED_AFTER = 3;
/** A broker that is not back in normal time by then is reported as not recovered. */
const RECOVERY_LIMIT_MS = 10_000;
/** How long the platform's consumers may take to catch up after the recovery. */
const CATCH_UP_LIMIT_MS = 10_000;
/** An SOS without a PUBACK by then is lost; it counts as this long in the quantiles. */
const SOS_TIMEOUT_MS = 10_000;

interface FloodRound {
  /** The broker process was gone when the recovery ended. */
  crashed: boolean;
  /** SOS without a PUBACK within SOS_TIMEOUT_MS, during the flood and after it. */
  sosLost: { during: number; after: number };
  rssBeforeMiB: number | null;
  /** VmHWM when recovered: the most the process ever held (the largest sample if it crashed). */
  peakMiB: number | null;
  /** The largest VmRSS sampled during the flood and the recovery. */
  peakSampledMiB: number;
  rssAfterMiB: number | null;
  /** `process.memoryUsage()` asked for as the flood ended (heapUsed, external, arrayBuffers…), MiB. */
  heapAtEndMiB: Record<string, number> | null;
  normalMs: number;
  baselineMs: Quantiles | null;
  duringFloodMs: Quantiles | null;
  /** Publish → PUBACK of the first SOS sent once the flood ended. */
  firstAfterMs: number | null;
  /** Flood end → the first of RECOVERED_AFTER SOS in a row in normal time; null if never. */
  recoveryMs: number | null;
  /** Flood end → every consumer caught up (platform only). */
  caughtUpMs?: number | null;
  load: PublishResult | null;
  /** `performance.now()` when the flood ended. */
  endedAt: number;
  journaled?: number;
  gateway?: unknown;
  log?: unknown;
}

interface Broker {
  pid: number;
  port: number;
  url: string;
  /** The process's own view of its memory (heap, buffers), MiB; the platform's answers over IPC. */
  memoryUsage?: () => Promise<Record<string, number> | null>;
}

/** One SOS; a lost one (no PUBACK in time) counts as SOS_TIMEOUT_MS. */
function sosOrTimeout(probe: MqttClient, id: string, eventId: string, lost: { count: number }): Promise<number> {
  return sos(probe, id, eventId, SOS_TIMEOUT_MS).catch(() => {
    lost.count++;
    return SOS_TIMEOUT_MS;
  });
}

/** SOS every SOS_GAP_MS while `running()`. */
async function sosWhile(probe: MqttClient, id: string, tag: string, running: () => boolean, lost: { count: number }) {
  const samples = new Samples();
  for (let i = 0; running(); i++) {
    samples.add(await sosOrTimeout(probe, id, `${tag}-${i}`, lost));
    await pause(SOS_GAP_MS);
  }
  return samples;
}

async function floodRound(ctx: BenchContext, broker: Broker): Promise<FloodRound> {
  const probe = await connectProbe(broker.url, ctx.fleet.probe);
  const id = ctx.fleet.probe.id;
  const tag = ctx.tag();
  let peakSampled = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(broker.pid);
    if (m) peakSampled = Math.max(peakSampled, m.rssMiB);
  }, RSS_EVERY_MS);
  try {
    const baseline = new Samples();
    for (let i = 0; i < BASELINE; i++) {
      baseline.add(await sos(probe, id, `${tag}-base-${i}`, SOS_TIMEOUT_MS));
      await pause(10);
    }
    const baselineMs = baseline.quantiles();
    const normalMs = Math.max(NORMAL_FLOOR_MS, NORMAL_FACTOR * (baselineMs?.p99 ?? 0));
    const generator = await connectedGenerator(
      job(ctx, broker.port, { mode: 'flood', count: CONNECTIONS, qos: 0, reconnect: true }),
    );
    let load: PublishResult | null = null;
    let floodEnd = 0;
    try {
      const rssBefore = memoryOf(broker.pid)?.rssMiB ?? null;
      generator.go();
      let flooding = true;
      const lostDuring = { count: 0 };
      const lostAfter = { count: 0 };
      const during = sosWhile(probe, id, `${tag}-flood`, () => flooding, lostDuring);
      await pause(FLOOD_MS);
      generator.end();
      floodEnd = performance.now();
      flooding = false;
      // Asked now, answered when the process gets to it (its event loop may be busy for a while).
      const heapAtEnd = broker.memoryUsage?.() ?? Promise.resolve(null);
      // Recovery: SOS after SOS from the flood's end, the one still out from the flood included.
      let firstAfterMs: number | null = null;
      let recoveryMs: number | null = null;
      let inARow = 0;
      let runStart = 0;
      const alive = () => memoryOf(broker.pid) !== null;
      for (let i = 0; recoveryMs === null && performance.now() - floodEnd < RECOVERY_LIMIT_MS && alive(); i++) {
        const sentAt = performance.now();
        const ms = await sosOrTimeout(probe, id, `${tag}-after-${i}`, lostAfter);
        firstAfterMs ??= ms;
        if (ms > normalMs) inARow = 0;
        else if (++inARow === 1) runStart = sentAt;
        if (inARow === RECOVERED_AFTER) recoveryMs = runStart - floodEnd;
        await pause(10);
      }
      const duringFloodMs = (await during).quantiles();
      load = (await generator.result).publish ?? null;
      const peak = memoryOf(broker.pid);
      return {
        crashed: peak === null,
        heapAtEndMiB: await heapAtEnd,
        sosLost: { during: lostDuring.count, after: lostAfter.count },
        rssBeforeMiB: rssBefore,
        peakMiB: peak?.hwmMiB ?? peakSampled,
        peakSampledMiB: peakSampled,
        rssAfterMiB: peak?.rssMiB ?? null,
        normalMs,
        baselineMs,
        duringFloodMs,
        firstAfterMs,
        recoveryMs,
        load,
        endedAt: floodEnd,
      };
    } finally {
      await generator.stop();
    }
  } finally {
    clearInterval(sampler);
    await closeProbe(probe);
  }
}

async function platformRound(ctx: BenchContext, limits: LimitsMode): Promise<FloodRound> {
  const platform = await startPlatform(ctx.runDir(`flood-${limits}`), limits);
  let round: FloodRound;
  try {
    const before = (await platform.metrics()).eventsAccepted;
    round = await floodRound(ctx, {
      pid: platform.pid,
      port: platform.mqttPort,
      url: platform.url,
      memoryUsage: () => platform.memoryUsage(RECOVERY_LIMIT_MS),
    });
    if (!round.crashed) {
      // Consumers behind a gateway that is not even acknowledging in normal time are not waited for.
      const idle = round.recoveryMs === null ? null : await platform.idle(CATCH_UP_LIMIT_MS);
      round.caughtUpMs = idle === null ? null : performance.now() - round.endedAt;
      const m = await platform.metrics();
      round.journaled = m.eventsAccepted - before;
      round.gateway = { rejects: Object.fromEntries(Object.entries(m.rejects).filter(([, n]) => n > 0)) };
    }
  } catch (err) {
    await platform.stop();
    throw err;
  }
  const { log } = await platform.stop();
  return { ...round, log };
}

async function mosquittoRound(ctx: BenchContext): Promise<FloodRound> {
  const mosquitto = await startMosquitto(ctx.runDir('flood-mosquitto'), ctx.passwords);
  try {
    return await floodRound(ctx, mosquitto);
  } finally {
    await mosquitto.stop();
  }
}

const ALL_CASES: readonly { limits: LimitsMode; what: string }[] = [
  { limits: 'default', what: 'product limits' },
  { limits: 'raised', what: 'raised limits' },
];
/** LOAD_FLOOD_LIMITS=default,raised adds the raised-limits case to the product's. */
const CASES = ALL_CASES.filter((c) => (process.env.LOAD_FLOOD_LIMITS ?? 'default').split(',').includes(c.limits));

function line(f: FloodRound | null): string {
  if (f === null) return 'failed';
  const journaled =
    f.journaled === undefined
      ? ''
      : `, journaled ${f.journaled}, consumers caught up ${f.caughtUpMs?.toFixed(0) ?? 'never'} ms after`;
  return (
    `${f.crashed ? 'CRASHED; ' : ''}RSS ${f.rssBeforeMiB?.toFixed(0)} → peak ${f.peakMiB?.toFixed(0)} MiB` +
    `${f.heapAtEndMiB ? ` (at the flood's end ${JSON.stringify(f.heapAtEndMiB)})` : ''}, ` +
    `SOS PUBACK during flood p99 ${f.duringFloodMs?.p99.toFixed(1)} ms (lost ${f.sosLost.during}), ` +
    `first after ${f.firstAfterMs?.toFixed(1)} ms (lost after ${f.sosLost.after}), ` +
    `recovered in ${f.recoveryMs?.toFixed(0) ?? 'never'} ms (normal ≤ ${f.normalMs.toFixed(1)} ms), ` +
    `flood sent ${Math.round(f.load?.sentPerSecond ?? 0)}/s, cut off ${f.load?.closedByBroker ?? 0}×${journaled}`
  );
}

export async function flood(ctx: BenchContext): Promise<PartResult> {
  const ours: Record<LimitsMode, (FloodRound | null)[]> = { default: [], raised: [] };
  const theirs: (FloodRound | null)[] = [];
  for (let r = 0; r < ctx.rounds; r++) {
    for (const c of CASES) {
      const o = await tryRound(`flood round ${r + 1}, CareCircle ${c.what}`, () => platformRound(ctx, c.limits));
      ours[c.limits].push(o);
      console.log(`  flood round ${r + 1}, CareCircle ${c.what}: ${line(o)}`);
      if (o) console.log(`    platform: ${JSON.stringify(o.gateway)}; log ${JSON.stringify(o.log)}`);
    }
    const t = await tryRound(`flood round ${r + 1}, Mosquitto`, () => mosquittoRound(ctx));
    theirs.push(t);
    console.log(`  flood round ${r + 1}, Mosquitto: ${line(t)}`);
  }
  const of = (rounds: (FloodRound | null)[], f: (x: FloodRound) => number | null) =>
    rounds.map((x) => (x === null ? null : f(x)));
  const mosquitto = (f: (x: FloodRound) => number | null) => ({ name: 'Mosquitto', values: of(theirs, f) });
  // Never recovered (or crashed) is slower than any recovery, not a missing value.
  const recovery = (f: FloodRound) => f.recoveryMs ?? Number.POSITIVE_INFINITY;
  const n = CONNECTIONS.toLocaleString('en');
  const figures: Figure[] = CASES.flatMap(({ limits, what }) => {
    const rounds = ours[limits];
    return [
      figure(
        'flood',
        `peak RSS, ${n} connections flooding QoS 0 for ${FLOOD_MS / 1000} s, ${what}`,
        'MiB',
        of(rounds, (f) => f.peakMiB),
        mosquitto((f) => f.peakMiB),
        `RSS before the flood ${rounds.map((f) => f?.rssBeforeMiB?.toFixed(0) ?? '—').join('/')} MiB; crashed in ${rounds.filter((f) => f?.crashed).length} of ${rounds.length} rounds`,
      ),
      figure(
        'flood',
        `  SOS PUBACK p99 during the flood, ${what}`,
        'ms',
        of(rounds, (f) => f.duringFloodMs?.p99 ?? null),
        mosquitto((f) => f.duringFloodMs?.p99 ?? null),
        `an SOS without PUBACK within ${SOS_TIMEOUT_MS / 1000} s counts as ${SOS_TIMEOUT_MS / 1000} s; lost ${rounds.map((f) => f?.sosLost.during ?? '—').join('/')}`,
      ),
      figure(
        'flood',
        `  recovery: flood end → SOS PUBACK in normal time, ${what}`,
        'ms',
        of(rounds, recovery),
        mosquitto(recovery),
        `normal ≤ ${NORMAL_FACTOR}× idle p99, ≥ ${NORMAL_FLOOR_MS} ms; ${RECOVERED_AFTER} in a row; never = not within ${RECOVERY_LIMIT_MS / 1000} s; first SOS after the flood ${rounds.map((f) => f?.firstAfterMs?.toFixed(0) ?? '—').join('/')} ms`,
      ),
      figure(
        'flood',
        `  flood end → consumers caught up, ${what}`,
        'ms',
        of(rounds, (f) => f.caughtUpMs ?? Number.POSITIVE_INFINITY),
        null,
        `journaled ${rounds.map((f) => f?.journaled ?? '—').join('/')} events per round; never = not recovered, or not within ${CATCH_UP_LIMIT_MS / 1000} s`,
      ),
    ];
  });
  return {
    figures,
    details: { connections: CONNECTIONS, floodMs: FLOOD_MS, qos: 0, ours, theirs },
  };
}
