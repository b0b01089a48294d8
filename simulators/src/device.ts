/**
 * The base of every simulated native device: one MQTT 3.1.1 connection with the device's own
 * credentials (DESIGN.md, "Device-facing MQTT contract"), its status and last will, its
 * periodic readings, and QoS 1 publishes that resolve on PUBACK — kept and resent across lost
 * connections until then (outbox.ts).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type Clock,
  DEVICE_TYPE_KINDS,
  type DeviceStatusPayload,
  type DeviceType,
  type EventData,
  isAlarmKind,
  type NATIVE_EVENT_KINDS,
  type NATIVE_READING_KINDS,
  systemClock,
  topics,
} from '@carecircle/protocol';
import type { MqttClient } from 'mqtt';
import { type Logger, pino } from 'pino';
import { background } from './background';
import { Outbox, OutboxError, type OutboxStats } from './outbox';
import type { Random } from './random';
import { realScheduler, type Scheduler, TimerGroup } from './scheduler';
import {
  type ConnectError,
  createMqttClient,
  firstConnack,
  isConnackRefusal,
  isFinalRefusal,
  toConnectError,
} from './transport';

export type NativeEventKind = (typeof NATIVE_EVENT_KINDS)[number];
export type NativeReadingKind = (typeof NATIVE_READING_KINDS)[number];

export interface SimulatedDeviceOptions {
  /** `mqtt://host:port` or `ws://host:port/mqtt`. */
  url: string;
  deviceId: string;
  secret: string;
  clock?: Clock;
  logger?: Logger;
  scheduler?: Scheduler;
  /** Only picks the phase of the periodic readings. */
  random?: Random;
  /** Default false; see `connect()`. */
  cleanSession?: boolean;
  /** MQTT keep alive in seconds (default 60; 0 turns it off). */
  keepaliveSeconds?: number;
  /** Pause before reconnecting after a lost connection (default 2000 ms). */
  reconnectPeriodMs?: number;
  /** Give up on a CONNACK after this long (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Heartbeat reading period (default 60 s; 0 turns it off). */
  heartbeatIntervalMs?: number;
  /** Battery reading period (default 1 h; 0 turns it off). */
  batteryIntervalMs?: number;
  /** Battery level at start (default 100). */
  batteryPercent?: number;
  /**
   * Events held while the connection is down (default 100, a gateway's publish burst, so the
   * resend after a reconnect is not rate limited); past it the oldest routine one is dropped
   * and counted, alarms never.
   */
  outboxLimit?: number;
}

/**
 * An event the device made, for observers (demos, determinism tests): emitted once, when it is
 * made and before it is sent, however many times it is then resent.
 */
export interface PublishRecord {
  deviceId: string;
  topic: string;
  payload: { v: 1; eventId: string; ts: string; type: NativeEventKind | NativeReadingKind; data?: unknown };
}

export interface SimulatedDeviceEvents {
  publish: [PublishRecord];
  /** A message on the device's `cmd` topic, parsed as JSON when it is JSON. */
  command: [unknown];
  online: [];
  offline: [];
  /** The broker refused a reconnect; the device gives up (see `connect()`). */
  refused: [ConnectError];
}

/** Drain per battery reading: at the default hourly reading, full to empty in ~14 months. */
const BATTERY_DRAIN_PER_REPORT = 0.01;

export abstract class SimulatedDevice extends EventEmitter<SimulatedDeviceEvents> {
  abstract readonly type: DeviceType;
  readonly deviceId: string;
  protected readonly log: Logger;
  protected readonly clock: Clock;
  protected readonly timers: TimerGroup;
  readonly #options: SimulatedDeviceOptions;
  readonly #random: Random;
  /** Per instance, not from the seeded PRNG: the journal drops repeated eventIds, so two runs
   * of the same seed must still produce distinct ones. */
  readonly #nonce = randomBytes(4).toString('hex');
  #counter = 0;
  #battery: number;
  readonly #outbox: Outbox;
  #client: MqttClient | undefined;
  #ready = false;
  /**
   * Between MQTT.js's `connect` and `close`: events may be handed to the client (see #flush).
   * Checked with `client.connected`, which MQTT.js clears before its listeners hear `close`.
   */
  #online = false;
  #running = false;

  constructor(options: SimulatedDeviceOptions) {
    super();
    this.#options = options;
    this.deviceId = options.deviceId;
    this.clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ deviceId: options.deviceId });
    this.timers = new TimerGroup(options.scheduler ?? realScheduler);
    this.#battery = options.batteryPercent ?? 100;
    this.#outbox = new Outbox(options.outboxLimit ?? 100, (dropped) =>
      this.log.warn({ eventId: dropped.eventId }, 'outbox full while offline; oldest routine event dropped'),
    );
    topics.event(options.deviceId); // throws early on an id the contract does not allow
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  get batteryPercent(): number {
    return this.#battery;
  }

  /** Events waiting for a connection, in flight without PUBACK, and dropped while offline. */
  get outbox(): OutboxStats {
    return this.#outbox.stats;
  }

  /**
   * Connects, subscribes to the own `cmd` topic and publishes the retained `online` status.
   * Rejects with a `ConnectError` (carrying the CONNACK return code on a refusal) and does not
   * retry: a wrong secret stays wrong. After a first success, lost connections are retried, and
   * so is a reconnect answered "server unavailable" (CONNACK 3); any other refusal ends the
   * device (`refused`).
   *
   * Clean session defaults to false, as for a device that must not miss commands: the broker
   * keeps the `cmd` subscription and queues QoS 1 commands while the device is briefly away.
   * Unacknowledged events are resent after a reconnect whatever the flag (see #flush); the
   * journal drops the duplicates by eventId.
   */
  async connect(): Promise<void> {
    if (this.#client) throw new Error(`${this.deviceId}: already connected`);
    const id = this.deviceId;
    const o = this.#options;
    const client = createMqttClient(o.url, {
      protocolVersion: 4,
      clientId: id, // must equal the username (DESIGN.md)
      username: id,
      password: o.secret,
      clean: o.cleanSession ?? false,
      keepalive: o.keepaliveSeconds ?? 60,
      reconnectPeriod: o.reconnectPeriodMs ?? 2000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      // MQTT.js stops reconnecting after any refused CONNACK; #onError ends the client itself
      // on the refusals that are final, so that "server unavailable" is retried.
      reconnectOnConnackError: true,
      will: { topic: topics.status(id), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('error', (err) => this.#onError(client, err));
    client.on('connect', () => this.#onConnect(client));
    client.on('close', () => {
      if (client === this.#client) this.#online = false;
    });
    client.on('offline', () => this.emit('offline'));
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    try {
      await firstConnack(client, id);
      await client.subscribeAsync(topics.cmd(id), { qos: 1 });
      await this.#publishStatus(client, 'online');
    } catch (err) {
      this.#client = undefined;
      client.end(true);
      throw err;
    }
    this.#ready = true;
    this.log.info('connected');
    this.emit('online');
  }

  /** Connects when needed, then starts the periodic readings. */
  async start(): Promise<void> {
    if (!this.#client) await this.connect();
    if (this.#running) return;
    this.#running = true;
    this.#periodic(this.#options.heartbeatIntervalMs ?? 60_000, 'heartbeat', () => this.heartbeat());
    this.#periodic(this.#options.batteryIntervalMs ?? 3_600_000, 'battery reading', () => this.reportBattery());
  }

  /**
   * Stops the timers, publishes the retained `offline` status and disconnects cleanly (a clean
   * DISCONNECT discards the last will, hence the explicit status). Online, the events in flight
   * get their PUBACK first (MQTT.js ends once nothing is outstanding); offline, or once
   * disconnected, what is left in the outbox is rejected with `ERR_DEVICE_STOPPED`.
   */
  async stop(): Promise<void> {
    const online = this.#online;
    const client = this.#detach();
    if (!client) return;
    try {
      if (online) {
        try {
          await this.#publishStatus(client, 'offline');
          await client.endAsync();
          return;
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'graceful disconnect failed');
        }
      }
      await client.endAsync(true);
    } finally {
      this.#abandon('stopped');
    }
  }

  /**
   * Drops the connection without DISCONNECT, like a device losing power: the broker publishes
   * the last will (`offline`), and the events not yet acknowledged are lost with the RAM that
   * held them (rejected with `ERR_DEVICE_STOPPED`). For fault drills, and for giving up on an
   * unresponsive broker.
   */
  async kill(): Promise<void> {
    const client = this.#detach();
    this.#abandon('killed');
    await client?.endAsync(true);
  }

  heartbeat(): Promise<void> {
    return this.sendReading('heartbeat');
  }

  reportBattery(): Promise<void> {
    this.#battery = Math.max(0, Math.round((this.#battery - BATTERY_DRAIN_PER_REPORT) * 100) / 100);
    return this.sendReading('battery', { percent: this.#battery });
  }

  setBattery(percent: number): Promise<void> {
    this.#battery = percent;
    return this.sendReading('battery', { percent });
  }

  /**
   * A discrete event on `topics.event(id)` at QoS 1; resolves on PUBACK, however many
   * reconnects that takes. Rejects if the device stops first, is refused, or (a routine event
   * only) is dropped from a full outbox (`ERR_OUTBOX_FULL`).
   */
  protected sendEvent<K extends NativeEventKind>(type: K, data?: EventData[K]): Promise<void> {
    return this.#publish(topics.event(this.deviceId), type, data);
  }

  /** A periodic measurement on `topics.reading(id)` at QoS 1; settles as `sendEvent` does. */
  protected sendReading<K extends NativeReadingKind>(type: K, data?: EventData[K]): Promise<void> {
    return this.#publish(topics.reading(this.deviceId), type, data);
  }

  async #publish(topic: string, type: NativeEventKind | NativeReadingKind, data: unknown): Promise<void> {
    // The gateway refuses kinds outside the device type's list; fail here, where the bug is.
    if (!DEVICE_TYPE_KINDS[this.type].includes(type)) {
      throw new TypeError(`${this.type} ${this.deviceId} cannot report ${type}`);
    }
    const client = this.#client;
    if (!client) throw new Error(`${this.deviceId}: not connected; call connect() or start() first`);
    this.#counter += 1;
    const payload: PublishRecord['payload'] = {
      v: 1,
      eventId: `${this.deviceId}-${this.#nonce}-${this.#counter}`,
      ts: new Date(this.clock.now()).toISOString(),
      type,
      ...(data === undefined ? {} : { data }),
    };
    this.emit('publish', { deviceId: this.deviceId, topic, payload });
    const acked = this.#outbox.push({
      eventId: payload.eventId,
      topic,
      body: JSON.stringify(payload),
      alarm: isAlarmKind(type),
    });
    if (this.#online && client.connected) this.#flush(client);
    await acked;
  }

  /**
   * Hands the outbox to MQTT.js, only between the client's `connect` and `close` events,
   * because of what MQTT.js 5 keeps and what it does not (lib/client.js):
   * - a QoS 1 publish written on a live connection is put in its outgoing store first; the store
   *   is resent (the same packet, so the same eventId) after every reconnect, clean session or
   *   not, until the PUBACK, and then the publish callback runs. Nothing to add for those.
   * - a publish made while it resends that store after a reconnect (`connected` is already true;
   *   `connect` is emitted only once the store is through) waits outside the store, in
   *   `_storeProcessingQueue`, and is failed with "Connection closed" if the connection drops
   *   again. Ignoring that error loses the event: the loss seen across platform restarts.
   * So the device holds every event until its PUBACK, hands it over only while online, and
   * queues it again when MQTT.js gives it back with an error. A PUBACK ends the event even when
   * the gateway dead-lettered or rate-limited the payload: the platform decided, and a resend
   * would not change that.
   */
  #flush(client: MqttClient): void {
    this.#outbox.flush((message, done) =>
      client.publish(message.topic, message.body, { qos: 1 }, (err) => {
        if (err) this.log.debug({ eventId: message.eventId, err: err.message }, 'not sent; queued again');
        done(err);
      }),
    );
  }

  #publishStatus(client: MqttClient, status: DeviceStatusPayload): Promise<unknown> {
    return client.publishAsync(topics.status(this.deviceId), status, { qos: 1, retain: true });
  }

  #stopReadings(): void {
    this.timers.clear();
    this.#running = false;
  }

  /** Stops the readings and forgets the connection; the caller ends the client it gets back. */
  #detach(): MqttClient | undefined {
    this.#stopReadings();
    const client = this.#client;
    this.#client = undefined;
    this.#ready = false;
    this.#online = false;
    return client;
  }

  /** Rejects what the outbox still holds: the device will not send it. */
  #abandon(why: 'stopped' | 'killed' | ConnectError): void {
    const err =
      typeof why === 'string'
        ? new OutboxError('ERR_DEVICE_STOPPED', `${this.deviceId}: ${why} before the event was acknowledged`)
        : why;
    this.#outbox.clear(err);
  }

  /** Starts at a random phase, so that thousands of devices started together do not report in step. */
  #periodic(ms: number, what: string, report: () => Promise<void>): void {
    if (ms > 0) this.timers.every(ms, () => background(this.log, what, report()), this.#random() * ms);
  }

  /**
   * MQTT.js has resent its own store: online. After a reconnect the last will may have set
   * `offline`, so say `online` again; then what waited goes out.
   */
  #onConnect(client: MqttClient): void {
    if (client !== this.#client) return;
    this.#online = true;
    if (this.#ready) {
      // The first connection is announced by connect().
      this.log.info('reconnected');
      background(
        this.log,
        'online status',
        this.#publishStatus(client, 'online').then(() => this.emit('online')),
      );
    }
    this.#flush(client);
  }

  /**
   * A final refusal on reconnect (the device was disabled, removed, or its secret rotated):
   * stop for good — end the client, the readings, and the resending of what the outbox holds,
   * which the platform will not take from this device. "Server unavailable" is retried.
   */
  #onError(client: MqttClient, err: Error): void {
    if (!this.#ready || client !== this.#client) return; // before the first CONNACK, connect() rejects instead
    if (isFinalRefusal(err)) {
      const refusal = toConnectError(err, this.deviceId);
      this.log.error({ err: refusal.message }, 'refused on reconnect; giving up');
      this.#detach();
      this.#abandon(refusal);
      client.end(true);
      this.emit('refused', refusal);
      return;
    }
    if (isConnackRefusal(err)) this.log.warn({ err: err.message }, 'broker unavailable; retrying');
    else this.log.warn({ err: err.message }, 'mqtt error');
  }

  #onMessage(topic: string, payload: Buffer): void {
    if (topic !== topics.cmd(this.deviceId)) return;
    // Commands have no contract yet (roadmap step 5).
    const text = payload.toString('utf8');
    let command: unknown = text;
    try {
      command = JSON.parse(text);
    } catch {
      // not JSON: hand it over as text
    }
    this.log.info({ command }, 'command');
    this.emit('command', command);
  }
}
