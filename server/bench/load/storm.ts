/**
 * Part 3, reconnect storm: STORM_DEVICES provisioned devices connect at once (GENERATORS
 * processes, each opening its share in one go and retrying a refused or failed attempt after a
 * growing pause, as devices do); the time from `go` until every one has its CONNACK. Meanwhile
 * the probe, connected before the storm, sends an SOS every SOS_GAP_MS and its publish → PUBACK
 * times are kept. Mosquitto, with the same devices in its password file, is the peer.
 */
import type { MqttClient } from 'mqtt';
import { type BenchContext, type Figure, figure, job, type PartResult, pause, tryRound } from './context';
import type { StormResult } from './messages';
import { startMosquitto } from './mosquitto';
import { closeProbe, connectProbe, sos } from './probe';
import { type GeneratorProcess, listenDrops, startGenerator, startPlatform } from './processes';
import { Samples } from './samples';

export const STORM_DEVICES = 10_000;
const GENERATORS = 2;
const SOS_GAP_MS = 10;
/** After the storm, how long the devices stay connected before they are counted again. */
const HOLD_MS = 1000;

interface StormRound {
  /** `go` → the last CONNACK of all devices, ms. */
  allConnectedMs: number;
  connected: number;
  failed: number;
  attempts: number;
  failures: Record<string, number>;
  /** Per device, `go` → its CONNACK (the median over generator processes of each quantile). */
  connackP50Ms: number | null;
  connackP99Ms: number | null;
  sosPubackMs: ReturnType<Samples['quantiles']>;
  sosLost: number;
  /** HOLD_MS after the storm: connections the generators still hold, and those the broker closed. */
  openAfter: number;
  droppedAfter: number;
  /**
   * Connections the kernel dropped from the full listen queue during the storm (machine-wide):
   * each comes back only when the client retransmits, seconds later, which sets the tail.
   */
  listenQueue: { overflows: number; drops: number; syncookies: number };
  /** What the platform counted (connections it holds when the storm is over). */
  gateway?: unknown;
  log?: unknown;
}

/**
 * The storm against `port`; `probe` sends SOS until every generator has answered; `inspect`
 * reads the broker's view HOLD_MS later, before the devices disconnect.
 */
async function runStorm(
  ctx: BenchContext,
  port: number,
  probe: MqttClient,
  inspect: () => Promise<unknown> = async () => undefined,
): Promise<StormRound> {
  const share = Math.ceil(STORM_DEVICES / GENERATORS);
  const generators: GeneratorProcess[] = [];
  try {
    for (let g = 0; g < GENERATORS; g++) {
      const first = g * share;
      const count = Math.min(share, STORM_DEVICES - first);
      generators.push(startGenerator(job(ctx, port, { mode: 'storm', first, count })));
    }
    await Promise.all(generators.map((g) => g.prepared));
    const kernelBefore = listenDrops();
    const goAt = performance.timeOrigin + performance.now();
    for (const g of generators) g.go();
    let done = false;
    const results = Promise.all(generators.map((g) => g.result)).finally(() => {
      done = true;
    });
    const pubacks = new Samples();
    let lost = 0;
    const tag = ctx.tag();
    for (let i = 0; !done; i++) {
      try {
        pubacks.add(await sos(probe, ctx.fleet.probe.id, `${tag}-storm-${i}`, 30_000));
      } catch {
        lost++;
      }
      await pause(SOS_GAP_MS);
    }
    const storms = (await results).map((r) => r.storm).filter((s): s is StormResult => s !== undefined);
    const kernelAfter = listenDrops();
    const sorted = (f: (s: StormResult) => number | undefined) =>
      storms
        .map(f)
        .filter((x): x is number => x !== undefined)
        .sort((a, b) => a - b);
    await pause(HOLD_MS);
    const counts = await Promise.all(generators.map((g) => g.count()));
    const broker = await inspect(); // while every device is still connected
    const failures: Record<string, number> = {};
    for (const s of storms) for (const [k, n] of Object.entries(s.failures)) failures[k] = (failures[k] ?? 0) + n;
    return {
      allConnectedMs: Math.max(...storms.map((s) => s.lastConnackAt)) - goAt,
      connected: storms.reduce((n, s) => n + s.connected, 0),
      failed: storms.reduce((n, s) => n + s.failed, 0),
      attempts: storms.reduce((n, s) => n + s.attempts, 0),
      failures,
      connackP50Ms: sorted((s) => s.connackMs?.p50)[Math.floor(storms.length / 2)] ?? null,
      connackP99Ms: sorted((s) => s.connackMs?.p99).at(-1) ?? null,
      sosPubackMs: pubacks.quantiles(),
      sosLost: lost,
      openAfter: counts.reduce((n, c) => n + c.open, 0),
      droppedAfter: counts.reduce((n, c) => n + c.dropped, 0),
      gateway: broker,
      listenQueue: {
        overflows: kernelAfter.overflows - kernelBefore.overflows,
        drops: kernelAfter.drops - kernelBefore.drops,
        syncookies: kernelAfter.syncookies - kernelBefore.syncookies,
      },
    };
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
  }
}

async function platformRound(ctx: BenchContext): Promise<StormRound> {
  const platform = await startPlatform(ctx.runDir('storm'), 'default');
  let round: StormRound;
  let probe: MqttClient | null = null;
  try {
    probe = await connectProbe(platform.url, ctx.fleet.probe);
    round = await runStorm(ctx, platform.mqttPort, probe, async () => {
      const m = await platform.metrics();
      return { connections: m.connections, devicesConnected: m.devicesConnected, rejects: m.rejects };
    });
  } finally {
    await closeProbe(probe);
  }
  const { log } = await platform.stop();
  return { ...round, log };
}

async function mosquittoRound(ctx: BenchContext): Promise<StormRound> {
  const mosquitto = await startMosquitto(ctx.runDir('storm-mosquitto'), ctx.passwords);
  let probe: MqttClient | null = null;
  try {
    probe = await connectProbe(mosquitto.url, ctx.fleet.probe);
    return await runStorm(ctx, mosquitto.port, probe);
  } finally {
    await closeProbe(probe);
    await mosquitto.stop();
  }
}

function line(s: StormRound | null): string {
  if (s === null) return 'failed';
  return (
    `${(s.allConnectedMs / 1000).toFixed(1)} s for ${s.connected}/${STORM_DEVICES} (${s.attempts} attempts, failures ${JSON.stringify(s.failures)}; ` +
    `${s.openAfter} open ${HOLD_MS / 1000} s later, ${s.droppedAfter} closed by the broker; ` +
    `listen queue overflows ${s.listenQueue.overflows}, SYN cookies ${s.listenQueue.syncookies}), ` +
    `SOS PUBACK p99 ${s.sosPubackMs?.p99.toFixed(1)} ms over ${s.sosPubackMs?.count ?? 0}, lost ${s.sosLost}`
  );
}

export async function storm(ctx: BenchContext): Promise<PartResult> {
  const ours: (StormRound | null)[] = [];
  const theirs: (StormRound | null)[] = [];
  for (let r = 0; r < ctx.rounds; r++) {
    const o = await tryRound(`storm round ${r + 1}, CareCircle`, () => platformRound(ctx));
    const t = await tryRound(`storm round ${r + 1}, Mosquitto`, () => mosquittoRound(ctx));
    ours.push(o);
    theirs.push(t);
    console.log(`  storm round ${r + 1}: CareCircle ${line(o)}`);
    console.log(`  storm round ${r + 1}: Mosquitto  ${line(t)}`);
    if (o) console.log(`    platform: ${JSON.stringify(o.gateway)}; log ${JSON.stringify(o.log)}`);
  }
  const of = (rounds: (StormRound | null)[], f: (s: StormRound) => number | null) =>
    rounds.map((s) => (s === null ? null : f(s)));
  const mosquitto = (f: (s: StormRound) => number | null) => ({ name: 'Mosquitto', values: of(theirs, f) });
  const n = STORM_DEVICES.toLocaleString('en');
  const complete = (s: StormRound) => (s.failed === 0 ? s.allConnectedMs : null);
  const rate = (s: StormRound) => s.connected / (s.allConnectedMs / 1000);
  const figures: Figure[] = [
    figure(
      'storm',
      `${n} devices connect at once: time to the last CONNACK`,
      'ms',
      of(ours, complete),
      mosquitto(complete),
      `connected ${ours.map((s) => s?.connected ?? '—').join('/')} in ${ours.map((s) => s?.attempts ?? '—').join('/')} attempts per round (Mosquitto ${theirs.map((s) => s?.attempts ?? '—').join('/')})`,
    ),
    figure('storm', '  connects/s over the storm', 'conn/s', of(ours, rate), mosquitto(rate)),
    figure(
      'storm',
      '  one device: go → CONNACK p50',
      'ms',
      of(ours, (s) => s.connackP50Ms),
      mosquitto((s) => s.connackP50Ms),
      `listen queue overflows ${ours.map((s) => s?.listenQueue.overflows ?? '—').join('/')} (Mosquitto ${theirs.map((s) => s?.listenQueue.overflows ?? '—').join('/')}): those connections wait for TCP retransmission`,
    ),
    figure(
      'storm',
      '  one device: go → CONNACK p99',
      'ms',
      of(ours, (s) => s.connackP99Ms),
      mosquitto((s) => s.connackP99Ms),
    ),
    figure(
      'storm',
      '  SOS publish → PUBACK p99 during the storm (connected device)',
      'ms',
      of(ours, (s) => s.sosPubackMs?.p99 ?? null),
      mosquitto((s) => s.sosPubackMs?.p99 ?? null),
      `SOS every ${SOS_GAP_MS} ms after the last PUBACK; ${ours.map((s) => s?.sosPubackMs?.count ?? 0).join('/')} samples`,
    ),
  ];
  return { figures, details: { devices: STORM_DEVICES, generators: GENERATORS, ours, theirs } };
}
