/**
 * The load generator, a process of its own (the bench forks it with `node --import tsx`), so
 * that its CPU is not the broker's. It takes one `GeneratorJob` over IPC, opens its devices'
 * connections, answers `connected` (or `ready` for a storm), runs on `go`, and answers one
 * `result`; it closes every connection and exits on `stop` or when its parent goes away.
 *
 * Readings are valid native `vitals` payloads on each device's own `reading` topic, each with
 * its own event id, so that the gateway journals every one (no duplicates, no dead letters).
 */
import { readFileSync } from 'node:fs';
import { Device } from './device';
import type {
  DeviceCredentials,
  FromGenerator,
  GeneratorJob,
  PublishResult,
  StormResult,
  ToGenerator,
} from './messages';
import { Samples } from './samples';

/** Connections opened at once before a publishing run (a storm opens all of them at once). */
const CONNECT_CONCURRENCY = 200;
/** A storm gives up on a device after this long. */
const STORM_DEADLINE_MS = 120_000;
/** How long a run waits for PUBACKs still out once it stops publishing. */
const TAIL_MS = 1000;
const PACED_TICK_MS = 10;
/** QoS 0 packets written per turn of a flooding socket before it yields (cork, write, uncork). */
const FLOOD_BATCH = 64;

const send = (m: FromGenerator) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();

function loadDevices(job: GeneratorJob): Device[] {
  const all = JSON.parse(readFileSync(job.devicesFile, 'utf8')) as DeviceCredentials[];
  const mine = all.slice(job.first, job.first + job.count);
  if (mine.length !== job.count) throw new Error(`${job.devicesFile}: ${mine.length} of ${job.count} devices`);
  return mine.map((c, i) => new Device(c, job.first + i, job.qos, job.tag));
}

/** Opens every connection, CONNECT_CONCURRENCY at a time, up to three tries each; counts what failed and why. */
async function connectAll(
  job: GeneratorJob,
  devices: Device[],
): Promise<{ failed: number; refusals: Record<string, number> }> {
  let failed = 0;
  const refusals: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const d = devices[next++]!;
      let outcome = '';
      for (let attempt = 0; attempt < 3 && outcome !== 'ok'; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * attempt));
        outcome = await d.connect(job);
        if (outcome !== 'ok') refusals[outcome] = (refusals[outcome] ?? 0) + 1;
      }
      if (outcome !== 'ok') failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, devices.length) }, worker));
  return { failed, refusals };
}

const message = new Promise<GeneratorJob>((resolve) => {
  process.on('message', (m: ToGenerator) => {
    if (m.type === 'job') resolve(m.job);
  });
});
const signal = (type: 'go' | 'end' | 'stop') =>
  new Promise<void>((resolve) => {
    const listener = (m: ToGenerator) => {
      if (m.type !== type) return;
      process.off('message', listener);
      resolve();
    };
    process.on('message', listener);
  });
// How many connections are open now, and how many the broker closed after their CONNACK.
let devicesOf: Device[] = [];
let droppedTotal = 0;
process.on('message', (m: ToGenerator) => {
  if (m.type !== 'count') return;
  send({ type: 'count', open: devicesOf.filter((d) => d.socket !== null).length, dropped: droppedTotal });
});
// The bench is gone: nothing will read a result.
process.on('disconnect', () => process.exit(0));

async function publishRun(job: GeneratorJob, devices: Device[]): Promise<PublishResult> {
  const pubacks = new Samples();
  const goAt = performance.now();
  const countFrom = goAt + job.warmupMs;
  let running = true;
  let offered = 0;
  let skipped = 0;
  let sent = 0;
  let acked = 0;
  let sentCounted = 0;
  let ackedCounted = 0;
  let closedByBroker = 0;
  let reconnects = 0;
  let countUntil = Number.POSITIVE_INFINITY;
  const qos = job.mode === 'flood' ? job.qos : 1;
  let cpuFrom: NodeJS.CpuUsage | null = null;
  const warmedUp = setTimeout(() => {
    cpuFrom = process.cpuUsage();
  }, job.warmupMs);

  const publish = (d: Device): boolean => {
    const more = d.publish(qos);
    sent++;
    if (performance.now() >= countFrom) sentCounted++;
    return more;
  };

  // Closed loop: keep `window` publishes out per device.
  const fill = (d: Device) => {
    while (running && d.socket !== null && d.inflight.size < job.window) publish(d);
  };
  // Open loop: what the schedule offered this device by now, as far as its window allows.
  const paced = (d: Device, t: number) => {
    const perDevice = job.ratePerSecond / devices.length;
    const due = Math.floor(((t - goAt) / 1000) * perDevice + d.phase);
    if (due > d.due) {
      offered += due - d.due;
      d.due = due;
    }
    // A device keeps at most a window's worth of readings it could not send yet; older ones it
    // drops, as a sensor with a small buffer does. Else a stalled device would catch up in a
    // burst over its rate limit, and the limiter, not the platform, would decide what counts.
    if (d.due - d.sent > job.window) {
      skipped += d.due - d.sent - job.window;
      d.sent = d.due - job.window;
    }
    while (running && d.socket !== null && d.sent < d.due && d.inflight.size < job.window) {
      d.sent++;
      publish(d);
    }
  };
  // QoS 0 as fast as the socket drains.
  const pump = (d: Device) => {
    const socket = d.socket;
    if (!running || socket === null) return;
    socket.cork();
    let more = true;
    for (let i = 0; i < FLOOD_BATCH && more; i++) more = publish(d);
    socket.uncork();
    if (more) setImmediate(() => pump(d));
    else socket.once('drain', () => pump(d));
  };
  const start = (d: Device) => {
    if (job.mode === 'paced') paced(d, performance.now());
    else if (job.mode === 'flood' && qos === 0) pump(d);
    else fill(d);
  };

  for (const d of devices) {
    d.onPuback = (sentAt) => {
      const t = performance.now();
      acked++;
      if (t >= countFrom && t <= countUntil) ackedCounted++;
      pubacks.add(t - sentAt);
      if (job.mode === 'paced') paced(d, t);
      else if (job.mode !== 'flood' || qos === 1) fill(d);
    };
    d.onClose = () => {
      if (!running) return;
      closedByBroker++;
      droppedTotal++;
      if (!job.reconnect) return;
      reconnects++;
      void d.connect(job).then((outcome) => {
        if (outcome === 'ok') start(d);
      });
    };
    start(d);
  }
  const tick = () => {
    const t = performance.now();
    for (const d of devices) paced(d, t);
  };
  const ticker = job.mode === 'paced' ? setInterval(tick, PACED_TICK_MS) : null;

  await (job.durationMs === null ? signal('end') : new Promise((r) => setTimeout(r, job.durationMs!)));
  running = false;
  countUntil = performance.now();
  clearTimeout(warmedUp);
  const cpu = process.cpuUsage(cpuFrom ?? undefined);
  if (ticker) clearInterval(ticker);
  const countedSeconds = Math.max(0.001, (countUntil - countFrom) / 1000);
  // The publishes still out may yet be acknowledged; they count as acked, not in the rate.
  const tailUntil = performance.now() + TAIL_MS;
  while (performance.now() < tailUntil && devices.some((d) => d.inflight.size > 0)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    offered: job.mode === 'paced' ? offered : sent,
    skipped,
    sent,
    acked,
    sentPerSecond: sentCounted / countedSeconds,
    ackedPerSecond: ackedCounted / countedSeconds,
    countedSeconds,
    cpuPercent: cpuFrom === null ? null : (cpu.user + cpu.system) / 1e4 / countedSeconds,
    pubackMs: qos === 1 ? pubacks.quantiles() : null,
    unacked: devices.reduce((n, d) => n + d.inflight.size, 0),
    closedByBroker,
    reconnects,
  };
}

/** Every device connects at once; a refused or failed one tries again after a growing pause. */
async function stormRun(job: GeneratorJob, devices: Device[]): Promise<StormResult> {
  const goAt = now();
  const deadline = goAt + STORM_DEADLINE_MS;
  const connacks = new Samples();
  const failures: Record<string, number> = {};
  let attempts = 0;
  let connected = 0;
  let lastConnackAt = goAt;
  let dropped = 0;
  for (const d of devices) {
    d.onClose = () => {
      dropped++;
      droppedTotal++;
    };
  }
  await Promise.all(
    devices.map(async (d) => {
      for (let attempt = 0; now() < deadline; attempt++) {
        attempts++;
        const outcome = await d.connect(job);
        if (outcome === 'ok') {
          const t = now();
          connected++;
          connacks.add(t - goAt);
          lastConnackAt = Math.max(lastConnackAt, t);
          return;
        }
        failures[outcome] = (failures[outcome] ?? 0) + 1;
        const pause = Math.min(5000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, pause));
      }
    }),
  );
  return {
    connected,
    failed: devices.length - connected,
    attempts,
    failures,
    goAt,
    lastConnackAt,
    connackMs: connacks.quantiles(),
    dropped,
  };
}

try {
  const job = await message;
  const devices = loadDevices(job);
  devicesOf = devices;
  if (job.mode === 'storm') {
    send({ type: 'ready' });
    await signal('go');
    send({ type: 'result', storm: await stormRun(job, devices) });
  } else {
    const started = performance.now();
    const { failed, refusals } = await connectAll(job, devices);
    send({ type: 'connected', connected: devices.length - failed, failed, refusals, ms: performance.now() - started });
    await signal('go');
    send({ type: 'result', publish: await publishRun(job, devices) });
  }
  await signal('stop');
  for (const d of devices) d.close();
  setTimeout(() => process.exit(0), 200);
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
}
