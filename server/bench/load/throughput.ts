/**
 * Part 1, QoS 1 throughput: N connections each keep WINDOW readings unacknowledged for
 * DURATION_MS; acknowledged messages/s after the warm-up. The platform (auth, ACL, validation,
 * journal on disk before the PUBACK) runs with raised per-device rate limits (20/s would cap 100
 * devices at 2,000 msg/s); Mosquitto with a password file is the peer, rounds interleaved.
 */
import { type BenchContext, figure, job, type PartResult, runToEnd, tryRound } from './context';
import type { PublishResult } from './messages';
import { startMosquitto } from './mosquitto';
import { startPlatform } from './processes';

export const SCALES = [100, 1000] as const;
const WINDOW = 10;
const DURATION_MS = 5000;
const WARMUP_MS = 1000;

type Run = PublishResult & { brokerCpuPercent: number | null };

export interface PlatformPublishRun extends Run {
  /** Events the gateway appended to the journal (its `eventsAccepted`). */
  journaled: number;
  rateLimited: number;
  log: unknown;
}

async function platformRun(ctx: BenchContext, connections: number): Promise<PlatformPublishRun> {
  const platform = await startPlatform(ctx.runDir(`throughput-${connections}`), 'raised');
  let result: Run & { journaled: number; rateLimited: number };
  try {
    const publish = await runToEnd(
      job(ctx, platform.mqttPort, {
        mode: 'window',
        count: connections,
        window: WINDOW,
        durationMs: DURATION_MS,
        warmupMs: WARMUP_MS,
      }),
      platform.pid,
    );
    const m = await platform.metrics();
    result = { ...publish, journaled: m.eventsAccepted, rateLimited: m.rejects.rate_limited ?? 0 };
  } catch (err) {
    await platform.stop();
    throw err;
  }
  const { log } = await platform.stop();
  return { ...result, log };
}

async function mosquittoRun(ctx: BenchContext, connections: number): Promise<Run> {
  const mosquitto = await startMosquitto(ctx.runDir(`throughput-mosquitto-${connections}`), ctx.passwords);
  try {
    return await runToEnd(
      job(ctx, mosquitto.port, {
        mode: 'window',
        count: connections,
        window: WINDOW,
        durationMs: DURATION_MS,
        warmupMs: WARMUP_MS,
      }),
      mosquitto.pid,
    );
  } finally {
    await mosquitto.stop();
  }
}

const cpu = (r: Run) =>
  `broker ${r.brokerCpuPercent?.toFixed(0) ?? '?'}%, generator ${r.cpuPercent?.toFixed(0) ?? '?'}% of a core`;
const line = (r: Run | null) => (r === null ? 'failed' : `${Math.round(r.ackedPerSecond)}/s (CPU ${cpu(r)})`);

export async function throughput(ctx: BenchContext): Promise<PartResult> {
  const figures = [];
  const details: Record<string, unknown> = {};
  for (const connections of SCALES) {
    const ours: (PlatformPublishRun | null)[] = [];
    const theirs: (Run | null)[] = [];
    for (let r = 0; r < ctx.rounds; r++) {
      const label = `throughput ${connections} conns, round ${r + 1}`;
      const o = await tryRound(`${label}, CareCircle`, () => platformRun(ctx, connections));
      const t = await tryRound(`${label}, Mosquitto`, () => mosquittoRun(ctx, connections));
      ours.push(o);
      theirs.push(t);
      const journaled = o ? ` journaled ${o.journaled} of ${o.acked} acked, rate-limited ${o.rateLimited};` : '';
      console.log(`  ${label}: CareCircle ${line(o)}${journaled} Mosquitto ${line(t)}`);
    }
    const values = (rounds: (Run | null)[], f: (r: Run) => number | null) => rounds.map((r) => (r ? f(r) : null));
    const mosquitto = (f: (r: Run) => number | null) => ({ name: 'Mosquitto', values: values(theirs, f) });
    figures.push(
      figure(
        'throughput',
        `QoS 1 acked msg/s, ${connections} connections × ${WINDOW} in flight`,
        'msg/s',
        values(ours, (r) => r.ackedPerSecond),
        mosquitto((r) => r.ackedPerSecond),
        'platform with raised per-device rate limits',
      ),
      figure(
        'throughput',
        `  publish → PUBACK p99 at that load, ${connections} connections`,
        'ms',
        values(ours, (r) => r.pubackMs?.p99 ?? null),
        mosquitto((r) => r.pubackMs?.p99 ?? null),
      ),
      figure(
        'throughput',
        `  broker process CPU at that load, ${connections} connections`,
        '% core',
        values(ours, (r) => r.brokerCpuPercent),
        mosquitto((r) => r.brokerCpuPercent),
        `generator ${ours.map((r) => r?.cpuPercent?.toFixed(0)).join('/')}% (vs CareCircle), ${theirs.map((r) => r?.cpuPercent?.toFixed(0)).join('/')}% (vs Mosquitto) of a core`,
      ),
    );
    details[`connections${connections}`] = {
      window: WINDOW,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      ours,
      theirs,
    };
  }
  return { figures, details };
}
