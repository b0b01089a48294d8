/**
 * Opens the MQTT connection of one simulated device and turns the first CONNACK into a
 * promise, so refusals surface as errors instead of an endless reconnect loop.
 */
import net from 'node:net';
import mqtt, { ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';

/** Return codes of a refused CONNACK, MQTT 3.1.1 Table 3.1 [MQTT-3.2.2.3]. */
const CONNACK_REFUSALS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorized',
};

export type ConnectErrorCode = 'ERR_CONNACK_REFUSED' | 'ERR_CONNECT_FAILED';

export class ConnectError extends Error {
  readonly code: ConnectErrorCode;
  /** The CONNACK return code when the broker refused the connection. */
  readonly returnCode: number | undefined;

  constructor(code: ConnectErrorCode, message: string, returnCode?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ConnectError';
    this.code = code;
    this.returnCode = returnCode;
  }
}

/**
 * Builds the client. For `mqtt://` the socket comes from our own stream builder so that
 * TCP_NODELAY is set before the first byte: with Nagle's algorithm a QoS 1 round trip costs
 * ~40 ms instead of ~0.1 ms (ENVIRONMENT.md). For `ws://`/`wss://` the `ws` library already
 * calls `setNoDelay()` on its socket, so MQTT.js's own builder is used.
 */
export function createMqttClient(url: string, options: IClientOptions): MqttClient {
  const parsed = new URL(url);
  switch (parsed.protocol) {
    case 'mqtt:':
    case 'tcp:': {
      const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = parsed.port === '' ? 1883 : Number(parsed.port);
      const build = () => net.createConnection({ host, port }).setNoDelay(true);
      return new mqtt.MqttClient(build, { ...options, host, port, protocol: 'mqtt' });
    }
    case 'ws:':
    case 'wss:':
      return mqtt.connect(url, options);
    default:
      throw new TypeError(`unsupported broker URL ${JSON.stringify(url)}: use mqtt://, ws:// or wss://`);
  }
}

/** True for a CONNACK refusal, after which MQTT.js does not reconnect on its own. */
export function isConnackRefusal(err: Error): err is ErrorWithReasonCode {
  return err instanceof ErrorWithReasonCode && Object.hasOwn(CONNACK_REFUSALS, err.code);
}

/**
 * 3, server unavailable, says the broker is up but its service is not [MQTT-3.2.2.3]: the
 * gateway answers it when the device directory fails, "not the device; it retries later".
 * Every other refusal is about the device (its secret, its id, being disabled) and stays true
 * however often it asks.
 */
export function isFinalRefusal(err: Error): boolean {
  return isConnackRefusal(err) && err.code !== 3;
}

export function toConnectError(err: Error, label: string): ConnectError {
  if (isConnackRefusal(err)) {
    const message = `${label}: connection refused: ${CONNACK_REFUSALS[err.code]} (CONNACK ${err.code})`;
    return new ConnectError('ERR_CONNACK_REFUSED', message, err.code);
  }
  return new ConnectError('ERR_CONNECT_FAILED', `${label}: cannot connect: ${err.message}`, undefined, err);
}

/**
 * Resolves on the first successful CONNACK; rejects on a refusal (with its return code), a
 * socket error or a close before any CONNACK. The caller ends the client on rejection.
 */
export function firstConnack(client: MqttClient, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onConnect = (): void => settle();
    const onError = (err: Error): void => settle(toConnectError(err, label));
    const onClose = (): void =>
      settle(new ConnectError('ERR_CONNECT_FAILED', `${label}: connection closed before CONNACK`));
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
