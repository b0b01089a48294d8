/**
 * `createGateway(deps)`: the device-facing MQTT edge (DESIGN.md, "Data flow" step 1). An aedes
 * broker behind a packet-size guard, on TCP and optionally WebSocket, with one hook per concern.
 * The factory returns an unstarted gateway; the process (config, signals) lives elsewhere.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  Clock,
  DeadLetterStore,
  DeviceDirectory,
  DeviceIncidents,
  Journal,
  MetricSample,
} from '@carecircle/protocol';
import { topics } from '@carecircle/protocol';
import { Aedes, type Client } from 'aedes';
import type { Logger } from 'pino';
import { createContext } from './context';
import { createAuthenticationHooks } from './hooks/authenticate';
import { createAuthorizeForward } from './hooks/authorize-forward';
import { createAuthorizePublish } from './hooks/authorize-publish';
import { createAuthorizeSubscribe } from './hooks/authorize-subscribe';
import { type GatewayLimits, resolveLimits } from './limits';
import { GatewayCounters, type GatewayMetrics, gatewaySamples } from './metrics';
import type { Listening } from './transports/listen';
import { guardPacketSize } from './transports/packet-size-guard';
import { budgetReads } from './transports/read-budget';
import { listenTcp } from './transports/tcp';
import { listenWebSocket } from './transports/websocket';

export interface GatewayDeps {
  devices: DeviceDirectory;
  journal: Journal;
  deadLetters: DeadLetterStore;
  clock: Clock;
  logger: Logger;
  limits?: Partial<GatewayLimits>;
  /** Where failed-authentication episodes and flagged devices are reported (fire-and-forget); none when omitted. */
  incidents?: DeviceIncidents;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  mqttPort: number;
  /** MQTT over WebSocket on its own port (path `/mqtt`); omitted means no WebSocket listener. */
  wsPort?: number;
}

export interface ListeningPorts {
  mqttPort: number;
  wsPort: number | null;
}

/** A command body: bytes as they are, a string as UTF-8, anything else as JSON. */
export type CommandPayload = Buffer | string | Readonly<Record<string, unknown>>;

export interface Gateway {
  /** Starts the broker and the listeners; once only. Throws `GatewayPortInUseError` on EADDRINUSE. */
  listen(options: ListenOptions): Promise<ListeningPorts>;
  /** Stops accepting, lets in-flight journal appends answer, closes every client and the broker. */
  close(): Promise<void>;
  metrics(): GatewayMetrics;
  /** The same counters as metric families for `/metrics`. */
  samples(): MetricSample[];
  /**
   * Publishes a server → device command on `topics.cmd(deviceId)` at QoS 1. Resolves once the
   * broker has routed it; a device that is offline with a clean session does not get it.
   */
  publishCommand(deviceId: string, payload: CommandPayload): Promise<void>;
}

/** A WebSocket message may carry several MQTT packets [MQTT-6.0.0-2]; this bounds how many. */
const WS_MESSAGE_PACKETS = 4;

export function createGateway(deps: GatewayDeps): Gateway {
  const limits = resolveLimits(deps.limits);
  const counters = new GatewayCounters();
  const ctx = createContext({ ...deps, limits, counters });
  /** Every open device connection, with the aedes client that serves it. */
  const connections = new Map<Duplex, Client>();
  const metrics = (): GatewayMetrics =>
    counters.snapshot({
      connections: connections.size,
      devicesConnected: broker?.connectedClients ?? 0,
      intake: { ...ctx.intake },
    });
  const listeners: Listening[] = [];
  let broker: Aedes | null = null;
  let started = false;
  let closed: Promise<void> | null = null;

  function refuseOversize(conn: Duplex, detail: string): void {
    const deviceId = connections.get(conn)?.id ?? '(before CONNECT)';
    ctx.refuse({ deviceId, reason: 'packet_too_large', detail });
  }

  function serve(conn: Duplex, req?: IncomingMessage): void {
    if (broker === null || ctx.closing) {
      conn.destroy();
      return;
    }
    connections.set(conn, broker.handle(conn, req));
    conn.once('close', () => connections.delete(conn));
    budgetReads(conn, limits, deps.clock, () => counters.readsDeferred++);
    guardPacketSize(conn, limits.maxPacketBytes, (announced) =>
      refuseOversize(conn, `packet of ${announced} bytes announced, limit ${limits.maxPacketBytes}`),
    );
  }

  /** Keeps a listener for shutdown, or closes it at once if `close()` began while it started. */
  async function adopt(listening: Listening): Promise<Listening> {
    if (ctx.closing) {
      await listening.close();
      throw new Error('gateway was closed while starting');
    }
    listeners.push(listening);
    return listening;
  }

  async function createBroker(): Promise<Aedes> {
    const auth = createAuthenticationHooks(ctx);
    const created = await Aedes.createBroker({
      preConnect: auth.preConnect,
      authenticate: auth.authenticate,
      authorizePublish: createAuthorizePublish(ctx),
      authorizeSubscribe: createAuthorizeSubscribe(ctx),
      authorizeForward: createAuthorizeForward(),
      connectTimeout: limits.connectTimeoutMs,
      drainTimeout: limits.drainTimeoutMs,
      maxTopicLevels: limits.maxTopicLevels,
      maxInflightInbound: limits.maxInflightInbound,
      // Only MQTT 3.1 clients are held to this; device ids may be 64 characters long.
      maxClientsIdLength: 64,
    });
    // Refusals are logged where they are decided; these only say that a connection ended.
    created.on('clientError', (client, err) =>
      ctx.log.debug({ deviceId: client.id, err: err.message }, 'client closed'),
    );
    created.on('connectionError', (_client, err) => ctx.log.debug({ err: err.message }, 'connection closed'));
    // Not in aedes' typed event list, but emitted (e.g. by persistence); unhandled it would throw.
    (created as NodeJS.EventEmitter).on('error', (err: Error) => ctx.log.error({ err }, 'broker error'));
    return created;
  }

  async function shutdown(): Promise<void> {
    ctx.closing = true;
    const stopped = listeners.map((l) => l.close());
    // Appends already under way finish and their PUBACKs go out; new publishes are refused.
    await ctx.settled();
    // mqtt-packet corks the socket and uncorks on nextTick; one turn of the loop lets those
    // PUBACKs reach the socket before aedes destroys it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (broker !== null) await closeBroker(broker);
    // aedes closes registered clients only; connections still before CONNECT end here.
    for (const conn of connections.keys()) conn.destroy();
    await Promise.all(stopped);
    ctx.log.info('gateway closed');
  }

  function close(): Promise<void> {
    closed ??= shutdown();
    return closed;
  }

  return {
    async listen({ host, mqttPort, wsPort }) {
      if (started || closed !== null) throw new Error('a gateway listens once; create a new one');
      started = true;
      try {
        const created = await createBroker();
        if (ctx.closing) {
          await closeBroker(created);
          throw new Error('gateway was closed while starting');
        }
        broker = created;
        const tcp = await adopt(await listenTcp({ host, port: mqttPort, log: ctx.log, onConnection: serve }));
        let ws: Listening | null = null;
        if (wsPort !== undefined) {
          const maxMessageBytes = limits.maxPacketBytes * WS_MESSAGE_PACKETS;
          ws = await adopt(
            await listenWebSocket({
              host,
              port: wsPort,
              maxMessageBytes,
              log: ctx.log,
              onConnection: serve,
              onOversize: (conn) => refuseOversize(conn, `WebSocket message over ${maxMessageBytes} bytes`),
            }),
          );
        }
        const ports = { mqttPort: tcp.port, wsPort: ws?.port ?? null };
        ctx.log.info({ host, ...ports }, 'gateway listening');
        return ports;
      } catch (err) {
        await close();
        throw err;
      }
    },

    close,

    metrics,

    samples() {
      return gatewaySamples(metrics());
    },

    async publishCommand(deviceId, payload) {
      const topic = topics.cmd(deviceId);
      const current = broker;
      if (current === null || ctx.closing) throw new Error('gateway is not listening');
      const body = Buffer.isBuffer(payload)
        ? payload
        : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
      await new Promise<void>((resolve, reject) => {
        current.publish({ cmd: 'publish', topic, payload: body, qos: 1, retain: false, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    },
  };
}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise((resolve) => broker.close(() => resolve()));
}
