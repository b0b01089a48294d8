/**
 * Gateway errors and the one place where refusals map to MQTT 3.1.1 CONNACK return codes
 * (MQTT 3.1.1 §3.2.2.3, Table 3.1).
 */
import type { AuthenticateError } from 'aedes';

export const CONNACK = {
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;
export type ConnackRefusal = (typeof CONNACK)[keyof typeof CONNACK];

/** An error aedes turns into a CONNACK with this return code, then closes the connection [MQTT-3.2.2-5]. */
export function connackError(returnCode: ConnackRefusal, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export type GatewayTransport = 'mqtt' | 'ws';

const TRANSPORT = {
  mqtt: { label: 'MQTT port', envVar: 'CARECIRCLE_MQTT_PORT' },
  ws: { label: 'MQTT WebSocket port', envVar: 'CARECIRCLE_MQTT_WS_PORT' },
} as const;

/** `listen` failed because the port is taken; the message names the variable that moves it. */
export class GatewayPortInUseError extends Error {
  readonly code = 'ERR_PORT_IN_USE';
  readonly transport: GatewayTransport;
  readonly port: number;
  readonly envVar: string;
  constructor(transport: GatewayTransport, port: number, options?: { cause?: unknown }) {
    const { label, envVar } = TRANSPORT[transport];
    super(`${label} ${port} is already in use (set ${envVar})`, options);
    this.name = 'GatewayPortInUseError';
    this.transport = transport;
    this.port = port;
    this.envVar = envVar;
  }
}
