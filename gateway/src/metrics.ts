/** Gateway counters, read as a plain snapshot (the server renders them as Prometheus text). */
import {
  AUTH_FAILURE_REASONS,
  type AuthFailureReason,
  GATEWAY_REJECT_REASONS,
  type GatewayRejectReason,
  type MetricSample,
} from '@carecircle/protocol';

export interface GatewayMetrics {
  /** Open device-facing connections (TCP and WebSocket), authenticated or not. */
  connections: number;
  /** Devices with an established MQTT session. */
  devicesConnected: number;
  /**
   * Routine publishes waiting for room in the journal now (each holds its connection's next
   * read), and how many had to wait since start (context.ts, "intake").
   */
  intake: { waiting: number; held: number };
  /** CONNECTs answered with CONNACK 0 since start. */
  connectsAccepted: number;
  /** Events appended to the journal (duplicates not included). */
  eventsAccepted: number;
  /** Events the journal already held (acknowledged, not appended again); same as `rejects.duplicate`. */
  duplicates: number;
  /** Refusals by reason, every reason present (zero when it never happened). */
  rejects: Record<GatewayRejectReason, number>;
  /**
   * CONNECTs that failed to authenticate and count against their address's throttle, by reason.
   * Those refused unverified while it was throttled are `rejects.auth_throttled`.
   */
  authFailures: Record<AuthFailureReason, number>;
  /** Source addresses whose CONNECTs are being refused unverified right now. */
  throttledAddresses: number;
  /** Incident reports (audit rows) the gateway's bound left out; counts reach a later report. */
  incidentReportsDropped: number;
  /** Times a connection over its read budget was left unread until its budget refilled. */
  readsDeferred: number;
}

export class GatewayCounters {
  connectsAccepted = 0;
  eventsAccepted = 0;
  incidentReportsDropped = 0;
  readsDeferred = 0;
  readonly authFailures = Object.fromEntries(AUTH_FAILURE_REASONS.map((r) => [r, 0])) as Record<
    AuthFailureReason,
    number
  >;
  /** Set by the connect throttle, which alone knows which back-offs have run out. */
  throttledAddresses: () => number = () => 0;
  private readonly rejects = Object.fromEntries(GATEWAY_REJECT_REASONS.map((r) => [r, 0])) as Record<
    GatewayRejectReason,
    number
  >;

  reject(reason: GatewayRejectReason): void {
    this.rejects[reason]++;
  }

  snapshot(live: {
    connections: number;
    devicesConnected: number;
    intake: { waiting: number; held: number };
  }): GatewayMetrics {
    return {
      ...live,
      connectsAccepted: this.connectsAccepted,
      eventsAccepted: this.eventsAccepted,
      duplicates: this.rejects.duplicate,
      rejects: { ...this.rejects },
      authFailures: { ...this.authFailures },
      throttledAddresses: this.throttledAddresses(),
      incidentReportsDropped: this.incidentReportsDropped,
      readsDeferred: this.readsDeferred,
    };
  }
}

/** The gateway's counters as metric families for `/metrics`. */
export function gatewaySamples(m: GatewayMetrics): MetricSample[] {
  return [
    {
      name: 'carecircle_mqtt_connections',
      help: 'Connected devices',
      type: 'gauge',
      values: [{ value: m.connections }],
    },
    {
      name: 'carecircle_gateway_intake_waiting',
      help: 'Routine publishes waiting for room in the journal (their connections are not read meanwhile)',
      type: 'gauge',
      values: [{ value: m.intake.waiting }],
    },
    {
      name: 'carecircle_gateway_intake_held_total',
      help: 'Routine publishes that had to wait for room in the journal',
      type: 'counter',
      values: [{ value: m.intake.held }],
    },
    {
      name: 'carecircle_gateway_reads_deferred_total',
      help: 'Times a connection over its read budget was left unread until the budget refilled',
      type: 'counter',
      values: [{ value: m.readsDeferred }],
    },
    {
      name: 'carecircle_gateway_events_accepted_total',
      help: 'Device events appended to the journal',
      type: 'counter',
      values: [{ value: m.eventsAccepted }],
    },
    {
      name: 'carecircle_gateway_rejects_total',
      help: 'Device input refused, by reason',
      type: 'counter',
      values: Object.entries(m.rejects).map(([reason, value]) => ({ labels: { reason }, value })),
    },
    {
      name: 'carecircle_gateway_auth_failures_total',
      help: 'CONNECTs that failed to authenticate (counted against their source address), by reason',
      type: 'counter',
      values: Object.entries(m.authFailures).map(([reason, value]) => ({ labels: { reason }, value })),
    },
    {
      name: 'carecircle_gateway_auth_throttled_addresses',
      help: 'Source addresses whose CONNECTs are refused unverified (rejects_total{reason="auth_throttled"})',
      type: 'gauge',
      values: [{ value: m.throttledAddresses }],
    },
    {
      name: 'carecircle_gateway_incident_reports_dropped_total',
      help: 'Authentication incident reports (audit rows) left out by the global bound',
      type: 'counter',
      values: [{ value: m.incidentReportsDropped }],
    },
  ];
}
