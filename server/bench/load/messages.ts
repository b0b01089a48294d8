/**
 * What the bench and its child processes (generator.ts, platform.process.ts) say to each other
 * over the Node IPC channel. One place, so both ends agree on every field.
 */

export interface DeviceCredentials {
  id: string;
  secret: string;
}

/**
 * - `window`: closed loop; each connection keeps `window` QoS 1 publishes unacknowledged and
 *   sends the next on each PUBACK (throughput).
 * - `paced`: open loop; `ratePerSecond` offered over all connections, still never more than
 *   `window` unacknowledged per connection (what could not be sent is counted as behind).
 * - `flood`: QoS 0 as fast as each socket drains, or QoS 1 with a `window`.
 * - `storm`: connect only, every connection at once on `go`, retrying refused ones.
 */
export type GeneratorMode = 'window' | 'paced' | 'flood' | 'storm';

export interface GeneratorJob {
  host: string;
  port: number;
  /** JSON array of `DeviceCredentials`; this process takes `count` of them from `first`. */
  devicesFile: string;
  first: number;
  count: number;
  mode: GeneratorMode;
  qos: 0 | 1;
  window: number;
  ratePerSecond: number;
  /** Publishing stops after this long, or on `end` when null. */
  durationMs: number | null;
  /** The first part of the run, not counted in the rates (connections warm up, JIT). */
  warmupMs: number;
  /** A connection the broker closes is opened again at once (a misbehaving device does). */
  reconnect: boolean;
  /** Event ids start with this, so that no two runs' events are duplicates of each other. */
  tag: string;
}

/** `end` stops publishing (a run without a duration); `stop` closes everything and exits. */
export type ToGenerator =
  | { type: 'job'; job: GeneratorJob }
  | { type: 'go' }
  | { type: 'end' }
  | { type: 'count' }
  | { type: 'stop' };

export interface Quantiles {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface PublishResult {
  /** Messages due by the schedule (`paced`), else equal to `sent`. */
  offered: number;
  /** `paced`: offered but dropped by the device, more than a window behind. */
  skipped: number;
  sent: number;
  acked: number;
  /** Over the counted part of the run (after the warm-up). */
  sentPerSecond: number;
  ackedPerSecond: number;
  countedSeconds: number;
  /** The generator's own CPU over the counted part, % of one core: near 100, it is the limit. */
  cpuPercent: number | null;
  /** Publish → PUBACK, ms (QoS 1 only). */
  pubackMs: Quantiles | null;
  /** Publishes still unacknowledged when the run ended. */
  unacked: number;
  /** Connections the broker closed during the run, and how many were opened again. */
  closedByBroker: number;
  reconnects: number;
}

export interface StormResult {
  connected: number;
  failed: number;
  attempts: number;
  /** Why attempts failed: `connack <rc>`, `timeout`, `closed`, an errno code. */
  failures: Record<string, number>;
  /** Wall-clock ms (performance.timeOrigin based) of this process's `go` and its last CONNACK. */
  goAt: number;
  lastConnackAt: number;
  /** `go` → CONNACK per device, ms. */
  connackMs: Quantiles | null;
  /** Connections the broker closed after their CONNACK, before the storm was over. */
  dropped: number;
}

export type FromGenerator =
  /** `refusals`: failed attempts by outcome (`connack 3`, `timeout`, …), retried ones included. */
  | { type: 'connected'; connected: number; failed: number; refusals: Record<string, number>; ms: number }
  | { type: 'ready' }
  | { type: 'result'; publish?: PublishResult; storm?: StormResult }
  /** Connections open now, and closed by the broker after their CONNACK since the job began. */
  | { type: 'count'; open: number; dropped: number }
  | { type: 'error'; message: string };

/** Gateway limits the bench sets for a run (gateway/src/limits.ts), or the product's. */
export type LimitsMode = 'default' | 'raised';

/** The gateway limits (JSON) a raised-limits platform process runs with (gateway-limits.ts). */
export const BENCH_LIMITS_ENV = 'LOAD_BENCH_GATEWAY_LIMITS';

/** What the platform process is told in argv; its data directory and ports come in `CARECIRCLE_*`. */
export interface PlatformJob {
  limits: LimitsMode;
}

export type ToPlatform = { type: 'idle'; id: number } | { type: 'metrics'; id: number } | { type: 'stop' };

export type FromPlatform =
  | { type: 'up'; httpPort: number; mqttPort: number; pid: number; limits: Record<string, number> | null }
  | { type: 'idle'; id: number; ms: number }
  | { type: 'metrics'; id: number; metrics: unknown; memory: NodeJS.MemoryUsage }
  | { type: 'error'; message: string };
