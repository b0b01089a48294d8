/**
 * A real aedes broker on a loopback port chosen by the OS, with an authenticate hook that checks
 * device credentials the way the gateway does (username = client id = device id, password =
 * secret), and an observer client. Test support only.
 */
import net from 'node:net';
import type { AedesPublishPacket, AuthenticateError, Client, PublishPacket } from 'aedes';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';

export interface ConnectAttempt {
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  clean: boolean;
  accepted: boolean;
}

export interface BrokerPublish {
  clientId: string;
  topic: string;
  qos: number;
  retain: boolean;
  payload: string;
}

export interface TestBroker {
  url: string;
  broker: Aedes;
  attempts: ConnectAttempt[];
  /** Every PUBLISH a client sent, in arrival order, whether it was then accepted or not. */
  arrivals: BrokerPublish[];
  /** Publishes that reached the broker from a client, in arrival order. */
  publishes: BrokerPublish[];
  /**
   * Resolves once `done()` holds; checked after every connect attempt, arrival and publish.
   * Rejects after `timeoutMs` on the wall clock, naming `what`.
   */
  until(done: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Closes the connection, without PUBACK, of each of the next `count` publishes. */
  closeOnNextPublishes(count: number): void;
  /** Refuses the next `count` connects (right credentials or not) with this CONNACK return code. */
  refuseNextConnects(returnCode: 2 | 3 | 4 | 5, count: number): void;
  /**
   * Holds every publish in authorizePublish, hence its PUBACK, until `release()`; `held`
   * resolves once the first one is waiting.
   */
  holdPublishes(): { held: Promise<void>; release(): void };
  /** Changes (or adds) a device's secret, like a rotation on the server. */
  setSecret(clientId: string, secret: string): void;
  /** Destroys one client's connection from the broker's side, like a network cut. */
  dropClient(clientId: string): void;
  /** A client allowed to subscribe to anything, to watch what devices send. */
  observer(): Promise<Observer>;
  close(): Promise<void>;
}

const OBSERVER_SECRET = 'observer-secret';

/** Captured before any test fakes timers: a wait must time out on the wall clock. */
const wallSetTimeout = globalThis.setTimeout;
const wallClearTimeout = globalThis.clearTimeout;

function refusal(returnCode: 2 | 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

export async function startBroker(credentials: Record<string, string>): Promise<TestBroker> {
  const secrets = new Map(Object.entries(credentials));
  const attempts: ConnectAttempt[] = [];
  const arrivals: BrokerPublish[] = [];
  const publishes: BrokerPublish[] = [];
  const observers: Observer[] = [];
  const waiters = new Set<() => void>();
  const changed = (): void => {
    for (const check of waiters) check();
  };
  let held: Array<() => void> | undefined;
  let onHeld: (() => void) | undefined;
  let closeNext = 0;
  let refuseNext: { returnCode: 2 | 3 | 4 | 5; count: number } = { returnCode: 3, count: 0 };

  const broker = await Aedes.createBroker({
    authenticate(client: Client, username, password, done) {
      const expected = username === undefined ? undefined : secrets.get(username);
      const given = password?.toString('utf8');
      const refused = refuseNext.count > 0;
      if (refused) refuseNext.count -= 1;
      const accepted = !refused && expected !== undefined && given === expected && client.id === username;
      attempts.push({ clientId: client.id, username, password: given, clean: client.clean, accepted });
      if (refused) done(refusal(refuseNext.returnCode, 'refused by the test'), false);
      else if (expected === undefined || given !== expected) done(refusal(4, 'bad credentials'), false);
      else if (client.id !== username) done(refusal(2, 'client id must equal the device id'), false);
      else done(null, true);
      changed();
    },
    authorizePublish(client, packet: PublishPacket, done) {
      if (client) arrivals.push(record(client, packet));
      changed();
      if (closeNext > 0) {
        closeNext -= 1;
        return done(new Error('closed by the test before PUBACK'));
      }
      if (!held) return done(null);
      held.push(() => done(null));
      onHeld?.();
    },
  });
  broker.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client) return; // the broker's own $SYS messages
    publishes.push(record(client, packet));
    changed();
  });

  const connections = new Map<string, Client['conn']>();
  broker.on('clientReady', (client: Client) => connections.set(client.id, client.conn));
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = `mqtt://127.0.0.1:${port}`;

  return {
    url,
    broker,
    attempts,
    arrivals,
    publishes,
    until(done, what, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!done()) return;
          waiters.delete(check);
          wallClearTimeout(timer);
          resolve();
        };
        const timer = wallSetTimeout(() => {
          waiters.delete(check);
          reject(new Error(`broker: ${what} did not happen within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    closeOnNextPublishes(count) {
      closeNext = count;
    },
    refuseNextConnects(returnCode, count) {
      refuseNext = { returnCode, count };
    },
    holdPublishes() {
      held = [];
      return {
        held: new Promise<void>((resolve) => {
          onHeld = resolve;
        }),
        release() {
          const waiting = held ?? [];
          held = undefined;
          onHeld = undefined;
          for (const release of waiting) release();
        },
      };
    },
    setSecret(clientId, secret) {
      secrets.set(clientId, secret);
    },
    dropClient(clientId) {
      connections.get(clientId)?.destroy();
    },
    async observer() {
      const id = `observer-${observers.length}`;
      secrets.set(id, OBSERVER_SECRET);
      const client = await mqtt.connectAsync(url, {
        protocolVersion: 4,
        clientId: id,
        username: id,
        password: OBSERVER_SECRET,
        reconnectPeriod: 0,
      });
      const observer = new Observer(client);
      observers.push(observer);
      return observer;
    },
    async close() {
      await Promise.all(observers.map((o) => o.client.endAsync(true)));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function record(client: Client, packet: PublishPacket | AedesPublishPacket): BrokerPublish {
  const { topic, qos, retain } = packet;
  return { clientId: client.id, topic, qos, retain, payload: packet.payload.toString() };
}

export interface ObservedMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** Collects what it receives and lets a test wait for a message instead of sleeping. */
export class Observer {
  readonly client: MqttClient;
  readonly messages: ObservedMessage[] = [];
  #waiters = new Set<() => void>();

  constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
      for (const check of this.#waiters) check();
    });
  }

  async subscribe(topic: string): Promise<void> {
    await this.client.subscribeAsync(topic, { qos: 1 });
  }

  /** Resolves with the messages once `done(messages)` holds. */
  waitFor(done: (messages: ObservedMessage[]) => boolean, timeoutMs = 5000): Promise<ObservedMessage[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done(this.messages)) return;
        this.#waiters.delete(check);
        wallClearTimeout(timer);
        resolve(this.messages);
      };
      const timer = wallSetTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`observer: condition not met within ${timeoutMs} ms (${this.messages.length} messages)`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}
