/**
 * The composition root: one process running the gateway, the journal consumers and the HTTP
 * server over one embedded SQLite database (DESIGN.md, "Data flow"). Start order opens intake
 * last; stop order closes intake first, drains, then closes storage.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway, type Gateway } from '@carecircle/gateway';
import { type Clock, type HealthResponse, systemClock } from '@carecircle/protocol';
import type { Logger } from 'pino';
import { AlertBus } from './alerts/alert.bus';
import { ALERT_ENGINE_CONSUMER, AlertEngine } from './alerts/alert.engine';
import { AlertService } from './alerts/alert.service';
import { AuthService } from './auth/auth.service';
import type { Config } from './config';
import { StoreDeviceDirectory } from './devices/device-directory';
import { type App, buildServer } from './http/app';
import { JournalConsumer } from './journal/journal.consumer';
import { renderPrometheus, type Sample } from './metrics';
import { ProvisioningService } from './provisioning/provisioning.service';
import { type Db, openDatabase } from './storage/sqlite/database';
import { SqliteDeadLetters } from './storage/sqlite/dead-letters';
import { SqliteJournal } from './storage/sqlite/journal';
import { createSqliteStateStore, type StateStore } from './storage/state-store';
import { READING_SINK_CONSUMER, ReadingSink } from './timeseries/reading.sink';
import { SqliteReadingStore } from './timeseries/sqlite-reading-store';

export const VERSION = '0.1.0';
export const DEFAULT_DASHBOARD_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../dashboard/dist');

export class PortInUseError extends Error {
  constructor(
    readonly variable: string,
    readonly port: number,
  ) {
    super(`port ${port} is already in use; set ${variable} to a free port`);
    this.name = 'PortInUseError';
  }
}

export interface PlatformOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  dashboardDir?: string;
}

export interface Listening {
  httpPort: number;
  mqttPort: number;
  mqttWsPort: number | null;
}

export class Platform {
  readonly db: Db;
  readonly store: StateStore;
  readonly journal: SqliteJournal;
  readonly bus = new AlertBus();
  readonly provisioning: ProvisioningService;
  readonly gateway: Gateway;
  readonly alertEngine: AlertEngine;
  readonly alertConsumer: JournalConsumer;
  readonly sinkConsumer: JournalConsumer;
  private readonly readings: SqliteReadingStore;
  private readonly auth: AuthService;
  private readonly alerts: AlertService;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private app: App | null = null;
  private listening: Listening | null = null;
  private readonly startedAt: number;

  constructor(private readonly opts: PlatformOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.startedAt = this.clock.now();
    this.db = openDatabase(join(opts.config.dataDir, 'carecircle.db'), this.logger);
    this.store = createSqliteStateStore(this.db);
    this.journal = new SqliteJournal(this.db);
    this.provisioning = new ProvisioningService({ store: this.store, clock: this.clock });
    this.auth = new AuthService({ store: this.store, clock: this.clock });
    this.alerts = new AlertService({ store: this.store, clock: this.clock, bus: this.bus });
    this.alertEngine = new AlertEngine({
      store: this.store,
      journal: this.journal,
      clock: this.clock,
      bus: this.bus,
      logger: this.logger.child({ module: 'alert-engine' }),
    });
    this.alertConsumer = new JournalConsumer({
      name: ALERT_ENGINE_CONSUMER,
      journal: this.journal,
      handler: this.alertEngine,
      logger: this.logger.child({ module: 'alert-engine' }),
      batchSize: 200,
    });
    this.readings = new SqliteReadingStore(this.db);
    this.sinkConsumer = new JournalConsumer({
      name: READING_SINK_CONSUMER,
      journal: this.journal,
      handler: new ReadingSink(this.readings),
      logger: this.logger.child({ module: 'reading-sink' }),
      batchSize: 2000,
      // Time series may trail by a tenth of a second; fewer, larger writes leave the disk and
      // the event loop to the PUBACKs and the alert engine.
      lingerMs: 100,
    });
    this.gateway = createGateway({
      devices: new StoreDeviceDirectory(this.store),
      journal: this.journal,
      deadLetters: new SqliteDeadLetters(this.db),
      clock: this.clock,
      logger: this.logger, // the gateway names its own module
    });
  }

  private consumers(): JournalConsumer[] {
    return [this.alertConsumer, this.sinkConsumer];
  }

  async start(): Promise<Listening> {
    const { config } = this.opts;
    for (const c of this.consumers()) c.start();
    this.app = await buildServer({
      store: this.store,
      auth: this.auth,
      alerts: this.alerts,
      bus: this.bus,
      health: () => this.health(),
      metrics: () => this.metrics(),
      logger: this.logger,
      dashboardDir: this.opts.dashboardDir ?? DEFAULT_DASHBOARD_DIR,
      version: VERSION,
    });
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
    let mqtt: { mqttPort: number; wsPort: number | null };
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
    this.listening = { httpPort, mqttPort: mqtt.mqttPort, mqttWsPort: mqtt.wsPort };
    this.logger.info(this.listening, 'CareCircle is up');
    return this.listening;
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
      Promise.all(this.consumers().map((c) => c.idle())),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const c of this.consumers()) await c.stop();
    await this.app?.close();
    this.app = null;
    await this.journal.close();
    await this.readings.close();
    if (this.db.open) this.db.close();
  }

  health(): HealthResponse {
    const database = this.store.healthy();
    const head = database ? this.journal.head() : 0;
    const consumers: HealthResponse['journal']['consumers'] = {};
    for (const c of this.consumers()) consumers[c.name] = { offset: c.position(), lag: c.lag(head) };
    const gateway = this.listening !== null;
    return {
      status: database && gateway ? 'ok' : 'degraded',
      version: VERSION,
      uptimeSeconds: Math.round((this.clock.now() - this.startedAt) / 1000),
      checks: { database, gateway },
      journal: { head, consumers },
    };
  }

  metrics(): string {
    const g = this.gateway.metrics();
    const head = this.journal.head();
    const samples: Sample[] = [
      {
        name: 'carecircle_mqtt_connections',
        help: 'Connected devices',
        type: 'gauge',
        values: [{ value: g.connections }],
      },
      {
        name: 'carecircle_gateway_events_accepted_total',
        help: 'Device events appended to the journal',
        type: 'counter',
        values: [{ value: g.eventsAccepted }],
      },
      {
        name: 'carecircle_gateway_rejects_total',
        help: 'Device input refused, by reason',
        type: 'counter',
        values: Object.entries(g.rejects).map(([reason, value]) => ({ labels: { reason }, value })),
      },
      { name: 'carecircle_journal_head', help: 'Last journal offset', type: 'gauge', values: [{ value: head }] },
      {
        name: 'carecircle_journal_group_commits_total',
        help: 'Journal write transactions (each covers many appends)',
        type: 'counter',
        values: [{ value: this.journal.stats.batches }],
      },
      {
        name: 'carecircle_consumer_lag',
        help: 'Journal entries not yet handled, per consumer',
        type: 'gauge',
        values: this.consumers().map((c) => ({ labels: { consumer: c.name }, value: c.lag(head) })),
      },
      {
        name: 'carecircle_alerts_raised_total',
        help: 'Alerts raised since start',
        type: 'counter',
        values: [{ value: this.alertEngine.stats.raised }],
      },
      {
        name: 'carecircle_alert_engine_failures_total',
        help: 'Events the alert engine could not handle',
        type: 'counter',
        values: [{ value: this.alertEngine.stats.failed }],
      },
      {
        name: 'carecircle_alerts_active',
        help: 'Alerts not yet resolved',
        type: 'gauge',
        values: [{ value: this.store.alerts.countActive() }],
      },
    ];
    return renderPrometheus(samples);
  }
}
