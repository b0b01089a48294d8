/**
 * A night-time wandering drill on the real platform, set up as a supervisor and a nurse would:
 * a door sensor and a bed sensor for the world's resident, and, through the API, "night" from a
 * minute ago for two hours in the site's zone, a 3 s return window for that resident (at risk of
 * wandering), and a critical ladder paging ring 2 after a few seconds. No test clock runs in the
 * production process.
 */
import { type CareRulesPatch, topics } from '@carecircle/protocol';
import type { MqttClient } from 'mqtt';
import { formatClock, localTime } from '../../server/src/time/site-time';
import { connectDevice, putJson } from './api';
import { cli } from './harness';
import type { World } from './world';

export type NightSensors = Record<'door' | 'bed', { id: string; secret: string }>;

export async function addNightSensors(dataDir: string, world: World): Promise<NightSensors> {
  const add = (type: string) =>
    cli<{ id: string; secret: string }>(dataDir, [
      'device',
      'add',
      '--site',
      world.siteA,
      '--resident',
      world.residentA,
      '--type',
      type,
    ]);
  return { door: await add('door_sensor'), bed: await add('bed_sensor') };
}

/** Every setting through the API; throws with the answer if any is refused. */
export async function armNightDrill(
  baseUrl: string,
  people: { lead: string; nurse: string },
  world: World,
  sensors: NightSensors,
  ringTwoAfterSeconds = 2,
): Promise<void> {
  const put = async (path: string, token: string, body: unknown) => {
    const r = await putJson(baseUrl, path, token, body);
    if (r.status !== 200) throw new Error(`PUT ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const now = localTime('Asia/Shanghai', Date.now()).minute;
  const night: CareRulesPatch = {
    nightStart: formatClock((now + 1440 - 1) % 1440),
    nightEnd: formatClock((now + 120) % 1440),
  };
  await put(`/api/v1/sites/${world.siteA}/rules`, people.lead, night);
  const ladder = {
    steps: [
      { ring: 1, afterSeconds: 0 },
      { ring: 2, afterSeconds: ringTwoAfterSeconds },
    ],
    reminderEverySeconds: null,
  };
  await put(`/api/v1/sites/${world.siteA}/ladders`, people.lead, { critical: ladder });
  const care = { wanderingRisk: true, livesAlone: true, presence: 'home', rules: { wanderingReturnMinutes: 0.05 } };
  await put(`/api/v1/residents/${world.residentA}/care`, people.nurse, care);
  await put(`/api/v1/devices/${sensors.door.id}/placement`, people.nurse, { placement: 'exit_door' });
  await put(`/api/v1/devices/${sensors.bed.id}/placement`, people.nurse, { placement: 'bedroom' });
}

/** One event from a sensor over its own connection (kept in `clients` to close at the end), acknowledged. */
export async function sense(
  mqttUrl: string,
  sensor: { id: string; secret: string },
  payload: Record<string, unknown>,
  clients: MqttClient[],
): Promise<void> {
  const client = await connectDevice(mqttUrl, sensor);
  clients.push(client);
  await client.publishAsync(
    topics.event(sensor.id),
    JSON.stringify({ v: 1, ts: new Date().toISOString(), ...payload }),
    { qos: 1 },
  );
}
