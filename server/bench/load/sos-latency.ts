/**
 * Part 2, SOS latency under load: the probe's SOS publish → `alert:raised` on a logged-in staff
 * socket, each alert resolved over REST before the next SOS (as puback.bench.ts does), SAMPLES
 * per round, in four cases, each on a fresh platform process with the product's gateway limits:
 *
 * - idle: nothing else happens; every consumer has caught up before each SOS.
 * - readings: the generator offers 10,000 vitals readings/s from 1,000 devices (10/s each, under
 *   the 20/s limit), QoS 1, at most 10 unacknowledged per device.
 * - flood QoS 0 / QoS 1: one device publishes as fast as it can (QoS 0 as fast as its socket
 *   drains; QoS 1 with 100 in flight) and is reconnected whenever the gateway cuts it off.
 *
 * LOAD_SOS_CASES=readings,flood-qos0 runs those cases only (and idle, their reference);
 * LOAD_SOS_SAMPLES sets the number of SOS per round.
 *
 * The publish → PUBACK time of the same SOS is compared with Mosquitto's under the same load
 * (Mosquitto raises no alerts, so `alert:raised` is compared with the idle case).
 */
import type { MqttClient } from 'mqtt';
import { percentile } from '../report';
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
import type { GeneratorJob, PublishResult, Quantiles } from './messages';
import { startMosquitto } from './mosquitto';
import { closeProbe, connectProbe, loginStaff, sos, sosToAlert } from './probe';
import { type GatewayCounters, type GeneratorProcess, type PlatformLogSummary, startPlatform } from './processes';
import { Samples } from './samples';

const SAMPLES = Number(process.env.LOAD_SOS_SAMPLES ?? 100);
/** Load runs this long before the first SOS, so that queues are as full as they get. */
const SETTLE_MS = 1000;
/** A sample that takes longer is counted as lost; three in a row end the round. */
const SAMPLE_TIMEOUT_MS = 10_000;
/**
 * Sampling under load stops after this long even short of SAMPLES, so that a platform that
 * takes seconds per alert does not hold the bench for many minutes; the count is reported.
 */
const SAMPLING_BUDGET_MS = 12_000;
const READINGS_PER_SECOND = 10_000;
const READING_DEVICES = 1000;

interface Scenario {
  name: 'idle' | 'readings' | 'flood-qos0' | 'flood-qos1';
  what: string;
  load: ((ctx: BenchContext, port: number) => GeneratorJob) | null;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'idle', what: 'idle', load: null },
  {
    name: 'readings',
    what: `${READINGS_PER_SECOND.toLocaleString('en')} readings/s offered by ${READING_DEVICES.toLocaleString('en')} devices`,
    load: (ctx, port) =>
      job(ctx, port, { mode: 'paced', count: READING_DEVICES, ratePerSecond: READINGS_PER_SECOND, window: 10 }),
  },
  {
    name: 'flood-qos0',
    what: 'one device flooding at QoS 0',
    load: (ctx, port) => job(ctx, port, { mode: 'flood', count: 1, qos: 0, reconnect: true }),
  },
  {
    name: 'flood-qos1',
    what: 'one device flooding at QoS 1, 100 in flight',
    load: (ctx, port) => job(ctx, port, { mode: 'flood', count: 1, qos: 1, window: 100, reconnect: true }),
  },
];

interface PlatformRound {
  raisedMs: Quantiles | null;
  pubackMs: Quantiles | null;
  lost: number;
  load: PublishResult | null;
  /** Every SOS → `alert:raised` time of the round, ms, for the quantiles pooled over rounds. */
  raisedSamples: number[];
  /** Readings the gateway journaled per second while the SOS samples ran (the probe's not counted). */
  journaledPerSecond: number | null;
  gateway: Pick<GatewayCounters, 'eventsAccepted' | 'rejects'>;
  log: PlatformLogSummary;
}

interface MosquittoRound {
  pubackMs: Quantiles | null;
  lost: number;
  load: PublishResult | null;
}

async function startLoad(j: GeneratorJob | null): Promise<GeneratorProcess | null> {
  if (j === null) return null;
  const generator = await connectedGenerator(j);
  generator.go();
  await pause(SETTLE_MS);
  return generator;
}

async function endLoad(generator: GeneratorProcess | null): Promise<PublishResult | null> {
  if (generator === null) return null;
  try {
    generator.end();
    const { publish } = await generator.result;
    return publish ?? null;
  } finally {
    await generator.stop();
  }
}

/** Runs `sample` SAMPLES times; a sample that throws counts as lost, three in a row end it. */
async function sampling(sample: (i: number) => Promise<void>): Promise<number> {
  let lost = 0;
  let inARow = 0;
  const until = performance.now() + SAMPLING_BUDGET_MS;
  for (let i = 0; i < SAMPLES && inARow < 3 && performance.now() < until; i++) {
    try {
      await sample(i);
      inARow = 0;
    } catch (err) {
      lost++;
      inARow++;
      console.log(`    sample ${i}: ${(err as Error).message}`);
    }
  }
  return lost;
}

async function platformRound(ctx: BenchContext, scenario: Scenario): Promise<PlatformRound> {
  const platform = await startPlatform(ctx.runDir(`sos-${scenario.name}`), 'default');
  const { fleet } = ctx;
  let probe: MqttClient | null = null;
  let staff: Awaited<ReturnType<typeof loginStaff>> | null = null;
  let generator: GeneratorProcess | null = null;
  let measured: Omit<PlatformRound, 'log'>;
  try {
    staff = await loginStaff(platform.base, fleet.staff.username, fleet.staff.password);
    probe = await connectProbe(platform.url, fleet.probe);
    generator = await startLoad(scenario.load?.(ctx, platform.mqttPort) ?? null);
    const before = (await platform.metrics()).eventsAccepted;
    const beforeAt = performance.now();
    const raised = new Samples();
    const pubacks = new Samples();
    const tag = ctx.tag();
    const lost = await sampling(async (i) => {
      if (scenario.load === null) await platform.idle();
      const s = await sosToAlert(probe!, staff!, platform.base, fleet.probe, `${tag}-sos-${i}`, SAMPLE_TIMEOUT_MS);
      raised.add(s.raisedMs);
      pubacks.add(s.pubackMs);
    });
    const load = await endLoad(generator);
    generator = null;
    const { eventsAccepted, rejects } = await platform.metrics();
    const seconds = (performance.now() - beforeAt) / 1000;
    const journaledPerSecond = load ? (eventsAccepted - before - raised.count) / seconds : null;
    measured = {
      raisedMs: raised.quantiles(),
      raisedSamples: raised.kept().map((x) => Number(x.toFixed(3))),
      pubackMs: pubacks.quantiles(),
      lost,
      load,
      journaledPerSecond,
      gateway: { eventsAccepted, rejects },
    };
  } finally {
    await generator?.stop();
    staff?.close();
    await closeProbe(probe);
  }
  const { log } = await platform.stop();
  return { ...measured, log };
}

async function mosquittoRound(ctx: BenchContext, scenario: Scenario): Promise<MosquittoRound> {
  const mosquitto = await startMosquitto(ctx.runDir(`sos-mosquitto-${scenario.name}`), ctx.passwords);
  let probe: MqttClient | null = null;
  let generator: GeneratorProcess | null = null;
  try {
    probe = await connectProbe(mosquitto.url, ctx.fleet.probe);
    generator = await startLoad(scenario.load?.(ctx, mosquitto.port) ?? null);
    const pubacks = new Samples();
    const tag = ctx.tag();
    const lost = await sampling(async (i) => {
      pubacks.add(await sos(probe!, ctx.fleet.probe.id, `${tag}-sos-${i}`, SAMPLE_TIMEOUT_MS));
      await pause(10); // about the time the platform's samples spend resolving their alert
    });
    const load = await endLoad(generator);
    generator = null;
    return { pubackMs: pubacks.quantiles(), lost, load };
  } finally {
    await generator?.stop();
    await closeProbe(probe);
    await mosquitto.stop();
  }
}

function roundLine(o: PlatformRound | null, t: MosquittoRound | null): string {
  if (o === null) return `CareCircle failed; Mosquitto PUBACK p99 ${t?.pubackMs?.p99.toFixed(1) ?? '—'} ms`;
  const ms = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));
  const load = o.load
    ? `; load offered ${Math.round(o.load.offered / o.load.countedSeconds)}/s, sent ${Math.round(o.load.sentPerSecond)}/s, ` +
      `acked ${Math.round(o.load.ackedPerSecond)}/s, journaled ${Math.round(o.journaledPerSecond ?? 0)}/s, cut off ${o.load.closedByBroker}×`
    : '';
  return (
    `alert:raised p50 ${ms(o.raisedMs?.p50)} ms, p99 ${ms(o.raisedMs?.p99)} ms over ${o.raisedMs?.count ?? 0}, ` +
    `PUBACK p99 ${ms(o.pubackMs?.p99)} ms (Mosquitto ${ms(t?.pubackMs?.p99)} ms), lost ${o.lost}${load}\n` +
    `    platform log at warn and above: ${JSON.stringify(o.log)}`
  );
}

export async function sosLatency(ctx: BenchContext): Promise<PartResult> {
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  let idleRaised: { p50: (number | null)[]; p99: (number | null)[] } | null = null;
  const only = process.env.LOAD_SOS_CASES?.split(',');
  for (const scenario of SCENARIOS.filter((s) => !only || s.name === 'idle' || only.includes(s.name))) {
    const ours: (PlatformRound | null)[] = [];
    const theirs: (MosquittoRound | null)[] = [];
    for (let r = 0; r < ctx.rounds; r++) {
      const label = `sos ${scenario.name}, round ${r + 1}`;
      const o = await tryRound(`${label}, CareCircle`, () => platformRound(ctx, scenario));
      const t = await tryRound(`${label}, Mosquitto`, () => mosquittoRound(ctx, scenario));
      ours.push(o);
      theirs.push(t);
      console.log(`  ${label}: ${roundLine(o, t)}`);
    }
    const of = <T, R>(rounds: (T | null)[], f: (x: T) => R | null) => rounds.map((x) => (x === null ? null : f(x)));
    const p50 = of(ours, (o) => o.raisedMs?.p50 ?? null);
    const p99 = of(ours, (o) => o.raisedMs?.p99 ?? null);
    const pooled = ours.flatMap((o) => o?.raisedSamples ?? []);
    const vsIdle = (values: (number | null)[]) => (idleRaised ? { name: 'idle', values } : null);
    const samples =
      `samples per round ${ours.map((o) => o?.raisedMs?.count ?? 0).join('/')}, lost ${ours.map((o) => o?.lost ?? '—').join('/')}` +
      (pooled.length > 0
        ? `; pooled p50 ${percentile(pooled, 0.5).toFixed(1)}, p99 ${percentile(pooled, 0.99).toFixed(1)} ms over ${pooled.length}`
        : '');
    figures.push(
      figure('sos', `SOS → alert:raised p50, ${scenario.what}`, 'ms', p50, vsIdle(idleRaised?.p50 ?? []), samples),
      figure('sos', `SOS → alert:raised p99, ${scenario.what}`, 'ms', p99, vsIdle(idleRaised?.p99 ?? [])),
      figure(
        'sos',
        `  SOS publish → PUBACK p99, ${scenario.what}`,
        'ms',
        of(ours, (o) => o.pubackMs?.p99 ?? null),
        { name: 'Mosquitto', values: of(theirs, (t) => t.pubackMs?.p99 ?? null) },
      ),
    );
    if (scenario.load !== null) {
      const offered = (l: PublishResult | null) => (l === null ? null : l.offered / l.countedSeconds);
      figures.push(
        figure(
          'sos',
          `  load offered, ${scenario.what}`,
          'msg/s',
          of(ours, (o) => offered(o.load)),
          {
            name: 'Mosquitto',
            values: of(theirs, (t) => offered(t.load)),
          },
        ),
      );
      // QoS 0 has no PUBACK to count: what the gateway journaled stands for what it sustained.
      if (scenario.name !== 'flood-qos0') {
        figures.push(
          figure(
            'sos',
            `  load acknowledged (sustained), ${scenario.what}`,
            'msg/s',
            of(ours, (o) => o.load?.ackedPerSecond ?? null),
            { name: 'Mosquitto', values: of(theirs, (t) => t.load?.ackedPerSecond ?? null) },
          ),
        );
      }
      figures.push(
        figure(
          'sos',
          `  load journaled by the gateway, ${scenario.what}`,
          'msg/s',
          of(ours, (o) => o.journaledPerSecond),
          null,
          `cut off ${ours.map((o) => o?.load?.closedByBroker ?? '—').join('/')} times, rate-limited ${ours.map((o) => o?.gateway.rejects.rate_limited ?? '—').join('/')} per round`,
        ),
      );
    }
    if (scenario.name === 'idle') idleRaised = { p50, p99 };
    details[scenario.name] = { what: scenario.what, samples: SAMPLES, ours, theirs };
  }
  return { figures, details };
}
