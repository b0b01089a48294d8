/** Gateway counters, read as a plain snapshot (the server renders them as Prometheus text). */
import { GATEWAY_REJECT_REASONS, type GatewayRejectReason, type MetricSample } from '@carecircle/protocol';

export interface GatewayMetrics {
  /** Open device-facing connections (TCP and WebSocket), authenticated or not. */
  connections: number;
  /** Devices with an established MQTT session. */
  devicesConnected: number;
  /** CONNECTs answered with CONNACK 0 since start. */
  connectsAccepted: number;
  /** Events appended to the journal (duplicates not included). */
  eventsAccepted: number;
  /** Events the journal already held (acknowledged, not appended again); same as `rejects.duplicate`. */
  duplicates: number;
  /** Refusals by reason, every reason present (zero when it never happened). */
  rejects: Record<GatewayRejectReason, number>;
}

export class GatewayCounters {
  connectsAccepted = 0;
  eventsAccepted = 0;
  private readonly rejects = Object.fromEntries(GATEWAY_REJECT_REASONS.map((r) => [r, 0])) as Record<
    GatewayRejectReason,
    number
  >;

  reject(reason: GatewayRejectReason): void {
    this.rejects[reason]++;
  }

  snapshot(live: { connections: number; devicesConnected: number }): GatewayMetrics {
    return {
      ...live,
      connectsAccepted: this.connectsAccepted,
      eventsAccepted: this.eventsAccepted,
      duplicates: this.rejects.duplicate,
      rejects: { ...this.rejects },
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
  ];
}
