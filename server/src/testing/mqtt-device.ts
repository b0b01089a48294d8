/** A device as the tests drive it: a real MQTT.js client over TCP, with its own credentials. */
import { topics } from '@carecircle/protocol';
import mqtt from 'mqtt';

/** Connects as `deviceId`, publishes one SOS at QoS 1, waits for its PUBACK and disconnects. */
export async function pressSos(
  mqttPort: number | null,
  deviceId: string,
  secret: string,
  eventId = 'sos-1',
): Promise<void> {
  if (mqttPort === null) throw new Error('this process takes no device connections (role server)');
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    clientId: deviceId,
    username: deviceId,
    password: secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  try {
    await client.publishAsync(
      topics.event(deviceId),
      JSON.stringify({ v: 1, eventId, ts: new Date().toISOString(), type: 'sos' }),
      { qos: 1 },
    );
  } finally {
    await client.endAsync();
  }
}
