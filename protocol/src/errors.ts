/**
 * Coded errors shared by every part. Each code maps to one HTTP status (server) or MQTT
 * refusal (gateway) in one place.
 */
export const ERROR_CODES = {
  ERR_VALIDATION: 400,
  ERR_BAD_CREDENTIALS: 401,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  /** A cookie-authenticated change or live connection from another site. */
  ERR_CROSS_SITE: 403,
  ERR_NOT_FOUND: 404,
  ERR_ALERT_NOT_FOUND: 404,
  ERR_DEVICE_NOT_FOUND: 404,
  ERR_ALERT_TRANSITION: 409,
  ERR_ALERT_CLAIMED: 409,
  ERR_CONFLICT: 409,
  ERR_RATE_LIMITED: 429,
  ERR_INTERNAL: 500,
  ERR_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class CareCircleError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'CareCircleError';
    this.code = code;
    this.details = details;
  }
  get statusCode(): number {
    return ERROR_CODES[this.code];
  }
}

/** Reasons the gateway refuses device input; each is logged and counted under its name. */
export const GATEWAY_REJECT_REASONS = [
  'unknown_device',
  'device_disabled',
  'bad_credentials',
  'client_id_mismatch',
  'topic_not_allowed',
  'subscribe_not_allowed',
  'payload_too_large',
  'malformed_json',
  'schema_invalid',
  'kind_not_allowed',
  'journal_unavailable',
  'packet_too_large',
  'unsupported_format',
  'duplicate',
  /** Over the device's publish rate: acknowledged, dropped, counted. Alarms are never dropped. */
  'rate_limited',
  /** Over the rate for too long: the connection is closed. */
  'flooding',
  /**
   * A CONNECT refused without being verified: its source address kept failing to authenticate
   * and is backing off (CONNACK 3). See the gateway's `hooks/connect-throttle.ts`.
   */
  'auth_throttled',
  /**
   * Intake full: more routine publishes wait for the journal than the gateway holds
   * (`intakeMaxWaiting`). A QoS 0 one is dropped; a QoS 1 one closes the connection without a
   * PUBACK, so the device resends it later. Alarms never meet this.
   */
  'intake_overloaded',
] as const;
export type GatewayRejectReason = (typeof GATEWAY_REJECT_REASONS)[number];
