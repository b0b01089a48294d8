export { DEAD_LETTER_PAYLOAD_BYTES } from './context';
export { CONNACK, GatewayPortInUseError, type GatewayTransport } from './errors';
export {
  type CommandPayload,
  createGateway,
  type Gateway,
  type GatewayDeps,
  type ListeningPorts,
  type ListenOptions,
} from './gateway';
export { DEFAULT_LIMITS, type GatewayLimits } from './limits';
export type { GatewayMetrics } from './metrics';
export { WS_PATH } from './transports/websocket';
