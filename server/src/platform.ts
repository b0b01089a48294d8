/**
 * The composition root: the gateway, the journal's consumers (alert engine, time-series sink),
 * the alert stream's consumers (live push, and whatever later issues add) and the HTTP server,
 * over storage chosen from the configuration and handed in (storage/open.ts). It composes and
 * orders; it opens no database and reads no component's internals. Start order opens intake
 * last; stop order closes intake first, drains, then closes storage.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway, type Gateway, type GatewayLimits } from '@carecircle/gateway';
import {
  alarmPartitions,
  type Clock,
  type HealthResponse,
  type JournalEntry,
  type MetricSource,
  systemClock,
} from '@carecircle/protocol';
import type { Logger } from 'pino';
import { ALERT_ENGINE_CONSUMER, AlertEngine } from './alerts/alert.engine';
import { AlertService } from './alerts/alert.service';
import { SilenceWatch, SUPERVISION_TIMER } from './alerts/supervision';
import { AuthService } from './auth/auth.service';
import type { SecretCost } from './auth/secrets';
import type { Config } from './config';
import { DEVICE_CACHE_TTL_MS, StoreDeviceDirectory } from './devices/device-directory';
import { DeviceIncidentRecorder } from './devices/device-incidents';
import { ESCALATION_CONSUMER, ESCALATION_TIMER, Escalation } from './escalation/escalation';
import { FacilityRecipients } from './escalation/recipients';
import { type App, buildServer } from './http/app';
import { LogConsumer, type LogConsumerOptions, type LogHandler } from './logs/log.consumer';
import { ProcessOffsets } from './logs/process-offsets';
import { renderPrometheus } from './metrics';
import { ProvisioningService } from './provisioning/provisioning.service';
import { LIVE_PUSH_CONSUMER, LivePush } from './realtime/live-push';
import { CARE_RULE_TIMERS, CareRuleSet } from './rules/care-rules';
import { type TimerHandler, TimerRunner } from './scheduler/timer-runner';
import type { Storage } from './storage/open';
import type { AlertStreamEntry, StateStore } from './storage/ports';
import { READING_SINK_CONSUMER, ReadingSink } from './timeseries/reading.sink';

export const VERSION = '0.2.0';
/** A consumer further behind than this is reported (`degraded`): it is not keeping up. */
export const LAG_BOUND = 5000;
/**
 * The repository root relative to this module's directory, for paths found from the module's own
 * location: `server/src/` is two levels down; a bundle of this code sits elsewhere (`dist/`), so
 * scripts/build.mjs defines CARECIRCLE_BUNDLE_ROOT for it.
 */
declare const CARECIRCLE_BUNDLE_ROOT: string | undefined;
const ROOT_FROM_HERE = typeof CARECIRCLE_BUNDLE_ROOT === 'string' ? CARECIRCLE_BUNDLE_ROOT : '../..';
export const DEFAULT_DASHBOARD_DIR = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  ROOT_FROM_HERE,
  'dashboard/dist',
);

export class PortInUseError extends Error {
  constructor(
    readonly variable: string,
    readonly port: number,
  ) {
    super(`port ${port} is already in use; set ${variable} to a free port`);
    this.name = 'PortInUseError';
  }
}

/** A further consumer of the alert stream (escalation, dispatch, notifications plug in here). */
export interface AlertStreamSubscriber {
  name: string;
  handler: LogHandler<AlertStreamEntry>;
}

export interface PlatformOptions {
  config: Config;
  logger: Logger;
  storage: Storage;
  clock?: Clock;
  dashboardDir?: string;
  /** scrypt cost of new secrets (tests pass a cheap one). */
  hashCost?: SecretCost;
  subscribers?: readonly AlertStreamSubscriber[];
  /** Over the gateway's defaults (`gateway/src/limits.ts`); tests set some. */
  gatewayLimits?: Partial<GatewayLimits>;
  /** Handlers of durable timers by kind (`scheduler/timer-runner.ts`), beside the platform's own. */
  timerHandlers?: Readonly<Record<string, TimerHandler>>;
}

export interface Listening {
  httpPort: number;
  /** Null in the `server` role, which takes no device connections. */
  mqttPort: number | null;
  mqttWsPort: number | null;
}

export class Platform {
  readonly store: StateStore;
  readonly provisioning: ProvisioningService;
  readonly gateway: Gateway;
  readonly alertEngine: AlertEngine;
  private readonly journalConsumers: LogConsumer<JournalEntry>[];
  private readonly streamConsumers: LogConsumer<AlertStreamEntry>[];
  readonly escalation: Escalation;
  /** The durable timers' firer; none in the `gateway` role. */
  readonly timers: TimerRunner | null;
  private readonly auth: AuthService;
  private readonly alerts: AlertService;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly storage: Storage;
  private app: App | null = null;
  private listening: Listening | null = null;
  private readonly startedAt: number;

  constructor(private readonly opts: PlatformOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.storage = opts.storage;
    this.startedAt = this.clock.now();
    const { store, journal, readings } = opts.storage;
    this.store = store;
    const directory = new StoreDeviceDirectory(
      store,
      this.clock,
      opts.storage.deviceSecrets,
      DEVICE_CACHE_TTL_MS,
      opts.storage.deviceReads,
    );
    // Another server disabled a device or rotated its secret: forget it here at once.
    opts.storage.changes?.onDeviceChanged((id) => directory.invalidate(id));
    this.provisioning = new ProvisioningService({
      store,
      clock: this.clock,
      deviceSecrets: opts.storage.deviceSecrets,
      ...(opts.hashCost ? { hashCost: opts.hashCost } : {}),
      onDeviceChanged: (id) => directory.invalidate(id),
    });
    this.auth = new AuthService({ store, clock: this.clock });
    this.alerts = new AlertService({ store, clock: this.clock });
    const careRules = new CareRuleSet({ clock: this.clock });
    this.alertEngine = new AlertEngine({
      store,
      clock: this.clock,
      logger: this.logger.child({ module: 'alert-engine' }),
      careRules,
    });
    const journalConsumer = (
      name: string,
      handler: LogHandler<JournalEntry>,
      extra: Partial<LogConsumerOptions<JournalEntry>> = {},
    ) =>
      new LogConsumer<JournalEntry>({
        name,
        logName: 'journal',
        log: journal,
        offsets: store.offsets,
        handler,
        commit: 'after',
        logger: this.logger.child({ module: name }),
        // With a journal and a state shared by several servers, each partition has one holder.
        ...(opts.storage.leases ? { leases: opts.storage.leases } : {}),
        ...extra,
      });
    const role = opts.config.role;
    this.journalConsumers =
      role === 'gateway'
        ? []
        : [
            // The engine commits its offset in its own unit of work, with the alerts it changed. The
            // alarm lane goes first: between any two batches of readings it looks for an SOS.
            journalConsumer(ALERT_ENGINE_CONSUMER, this.alertEngine, {
              batchSize: 200,
              commit: 'handler',
              urgent: alarmPartitions(journal.partitions),
            }),
            // Time series may trail by a tenth of a second; fewer, larger writes leave the disk and
            // the event loop to the PUBACKs and the alert engine — but not too large: the engine's
            // unit of work waits for the sink's transaction on the one state connection. Its points are written before its
            // offset: after a crash the last batch is written again, and a rewritten point replaces
            // itself (ReadingStore), so nothing is doubled.
            journalConsumer(READING_SINK_CONSUMER, new ReadingSink(readings), { batchSize: 500, lingerMs: 100 }),
          ];
    this.escalation = new Escalation({ store, clock: this.clock, recipients: new FacilityRecipients() });
    const live = new LivePush({ store, audience: () => this.requireApp().realtime });
    const streamConsumer = (
      name: string,
      handler: LogHandler<AlertStreamEntry>,
      shared: boolean,
      commit: 'after' | 'handler' = 'after',
    ) =>
      new LogConsumer<AlertStreamEntry>({
        name,
        logName: 'alerts',
        log: store.alertLog,
        offsets: shared ? store.offsets : new ProcessOffsets((_log, p) => store.alertLog.head(p)),
        handler,
        commit,
        logger: this.logger.child({ module: name }),
        ...(shared && opts.storage.leases ? { leases: opts.storage.leases } : {}),
      });
    this.streamConsumers =
      role === 'gateway'
        ? []
        : [
            // Every server pushes every change to its own sockets, from where the stream stood when it
            // started (a position of its own, not leased): a staff screen on any server hears an alert
            // raised on any other. It writes no offset on the alarm path.
            streamConsumer(LIVE_PUSH_CONSUMER, live, false),
            // The ladder commits its offset with the pages and timers it made: each alert escalates once.
            streamConsumer(ESCALATION_CONSUMER, this.escalation, true, 'handler'),
            // Work on the alert stream is shared: each partition has one holder among the servers.
            ...(opts.subscribers ?? []).map(({ name, handler }) => streamConsumer(name, handler, true)),
          ];
    this.timers =
      role === 'gateway'
        ? null
        : new TimerRunner({
            store,
            clock: this.clock,
            logger: this.logger.child({ module: 'timers' }),
            handlers: {
              [ESCALATION_TIMER]: this.escalation,
              [SUPERVISION_TIMER]: new SilenceWatch({ clock: this.clock }),
              ...Object.fromEntries(CARE_RULE_TIMERS.map((kind) => [kind, careRules])),
              ...opts.timerHandlers,
            },
            ...(opts.storage.leases ? { leases: opts.storage.leases } : {}),
          });
    this.gateway = createGateway({
      devices: directory,
      journal,
      deadLetters: opts.storage.deadLetters,
      clock: this.clock,
      logger: this.logger, // the gateway names its own module
      incidents: new DeviceIncidentRecorder({ store }),
      limits: opts.gatewayLimits,
    });
  }

  private requireApp(): App {
    if (!this.app) throw new Error('the HTTP server is not up');
    return this.app;
  }

  private consumers(): RunningConsumer[] {
    return [...this.journalConsumers, ...this.streamConsumers];
  }

  async start(): Promise<Listening> {
    const { config } = this.opts;
    this.app = await buildServer({
      store: this.store,
      auth: this.auth,
      alerts: this.alerts,
      health: () => this.health(),
      metrics: () => this.metrics(),
      logger: this.logger,
      dashboardDir: this.opts.dashboardDir ?? DEFAULT_DASHBOARD_DIR,
      version: VERSION,
      // A gateway answers its load balancer and Prometheus; people use the servers.
      surface: config.role === 'gateway' ? 'ops' : 'full',
    });
    await Promise.all(this.consumers().map((c) => c.start()));
    await this.timers?.start();
    try {
      await this.app.listen({ host: config.host, port: config.httpPort });
    } catch (err) {
      await this.stop();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new PortInUseError('CARECIRCLE_HTTP_PORT', config.httpPort);
      throw err;
    }
    const address = this.app.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
    let mqtt: { mqttPort: number | null; wsPort: number | null } = { mqttPort: null, wsPort: null };
    if (config.role !== 'server') {
      try {
        mqtt = await this.gateway.listen({
          host: config.host,
          mqttPort: config.mqttPort,
          ...(config.mqttWsPort !== null ? { wsPort: config.mqttWsPort } : {}),
        });
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
    this.listening = { httpPort, mqttPort: mqtt.mqttPort, mqttWsPort: mqtt.wsPort };
    this.logger.info({ role: config.role, ...this.listening, storage: this.storage.describe }, 'CareCircle is up');
    return this.listening;
  }

  /** Resolves once every consumer has handled everything appended so far (tests, shutdown). */
  async idle(): Promise<void> {
    // The journal's consumers first: what they commit feeds the alert stream's.
    await Promise.all(this.journalConsumers.map((c) => c.idle()));
    await Promise.all(this.streamConsumers.map((c) => c.idle()));
  }

  /**
   * Orderly: stop device intake, let the consumers catch up with what was journaled (bounded:
   * a store that is down must not hold shutdown hostage; its offset resumes at the next start),
   * close HTTP, then storage.
   */
  async stop(drainTimeoutMs = 5000): Promise<void> {
    await this.gateway.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await this.timers?.stop();
    for (const c of this.consumers()) await c.stop();
    await this.app?.close();
    this.app = null;
    await this.storage.close();
  }

  async health(): Promise<HealthResponse> {
    const database = await this.store.healthy();
    const journalFailure = this.storage.journal.lastFailure;
    const { role } = this.opts.config;
    const gateway = role === 'server' ? null : this.listening !== null;
    const failing: string[] = [];
    // A journal on another machine (JetStream) may not answer while the database does.
    const unread = (log: string) => (err: unknown) => {
      failing.push(`${log}: cannot read (${err instanceof Error ? err.message : String(err)})`);
      return { head: 0, consumers: {} };
    };
    const journal = await logHealth(database, this.storage.journal, this.journalConsumers).catch(unread('journal'));
    const alerts = await logHealth(database, this.store.alertLog, this.streamConsumers).catch(unread('alerts'));
    if (!database) failing.push('database: not answering');
    if (journalFailure !== null) failing.push(`journal: cannot append (${journalFailure})`);
    if (gateway === false) failing.push('gateway: not listening for devices');
    const degraded: string[] = [];
    const { waiting } = this.gateway.metrics().intake;
    if (waiting > 0) degraded.push(`gateway: intake held back (${waiting} routine publishes waiting for the journal)`);
    for (const [logName, view] of [
      ['journal', journal],
      ['alerts', alerts],
    ] as const) {
      for (const [name, { lag }] of Object.entries(view.consumers)) {
        if (lag > LAG_BOUND) degraded.push(`${logName}/${name}: ${lag} entries behind`);
      }
    }
    return {
      status: failing.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok',
      reasons: [...failing, ...degraded],
      version: VERSION,
      role,
      uptimeSeconds: Math.round((this.clock.now() - this.startedAt) / 1000),
      checks: { database, gateway, journal: journalFailure === null },
      journal,
      alerts,
    };
  }

  /** Every component's own metric families, rendered once. */
  async metrics(): Promise<string> {
    const activeAlerts: MetricSource = {
      samples: async () => [
        {
          name: 'carecircle_alerts_active',
          help: 'Alerts not yet resolved',
          type: 'gauge',
          values: [{ value: await this.store.alerts.countActive() }],
        },
      ],
    };
    const sources: MetricSource[] = [
      ...(this.opts.config.role === 'server' ? [] : [this.gateway]),
      this.storage.journal,
      this.storage.deadLetters,
      this.alertEngine,
      activeAlerts,
      ...(this.storage.changes ? [this.storage.changes] : []),
      ...(this.timers ? [this.timers] : []),
      ...this.consumers(),
    ];
    const families = (await Promise.all(sources.map((s) => s.samples()))).flat();
    return renderPrometheus(families);
  }
}

/** What the platform does with any consumer, whatever the log it reads. */
type RunningConsumer = Pick<LogConsumer<JournalEntry>, 'name' | 'start' | 'stop' | 'idle' | 'position' | 'samples'>;

/** A log's head (summed over partitions) and each consumer's position, reading each head once. */
async function logHealth(
  database: boolean,
  log: { partitions: number; head(partition: number): Promise<number> },
  consumers: readonly RunningConsumer[],
): Promise<HealthResponse['journal']> {
  const out: HealthResponse['journal'] = { head: 0, consumers: {} };
  if (!database) return out;
  const heads: number[] = [];
  for (let p = 0; p < log.partitions; p++) heads.push(await log.head(p));
  out.head = heads.reduce((a, b) => a + b, 0);
  for (const c of consumers) out.consumers[c.name] = await c.position(heads);
  return out;
}
