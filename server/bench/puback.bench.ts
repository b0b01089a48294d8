/**
 * QoS 1 round trip of a device's SOS: publish → PUBACK, one at a time, measured on the
 * platform (gateway + journal append with fsync before the PUBACK) and on Mosquitto (in memory,
 * nothing on disk) in the same run. The difference is what durability costs a device.
 *
 *   node --import tsx server/bench/puback.bench.ts   (needs Debian's `mosquitto`)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@carecircle/protocol';
import { createMqttClient, firstConnack } from '@carecircle/simulators';
import pino from 'pino';
import { Platform } from '../src/platform';

const MESSAGES = 1000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function roundTrips(url: string, creds: { id: string; secret?: string }): Promise<number[]> {
  const client = createMqttClient(url, {
    clientId: creds.id,
    username: creds.id,
    ...(creds.secret ? { password: creds.secret } : {}),
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  await firstConnack(client, creds.id);
  const samples: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const payload = JSON.stringify({ v: 1, eventId: `bench-${i}`, ts: new Date().toISOString(), type: 'sos' });
    const started = process.hrtime.bigint();
    await client.publishAsync(topics.event(creds.id), payload, { qos: 1 });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await client.endAsync();
  return samples.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'cc-bench-'));
const platform = new Platform({
  config: { dataDir: dir, host: '127.0.0.1', httpPort: 0, mqttPort: 0, mqttWsPort: null, logLevel: 'silent' },
  logger: pino({ level: 'silent' }),
});
const site = platform.provisioning.addSite({ name: 'Bench' });
const resident = platform.provisioning.addResident({ siteId: site.id, name: 'Bench' });
const { device, secret } = await platform.provisioning.addDevice({
  siteId: site.id,
  residentId: resident.id,
  type: 'sos_button',
});
const ports = await platform.start();

const mosquittoPort = await freePort();
const conf = join(dir, 'mosquitto.conf');
writeFileSync(conf, `listener ${mosquittoPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
const mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
try {
  await new Promise<void>((resolve, reject) => {
    mosquitto.once('error', (err) =>
      reject(new Error(`cannot start mosquitto (apt-get install mosquitto): ${(err as Error).message}`)),
    );
    mosquitto.once('spawn', () => resolve());
  });
  // Mosquitto needs a moment to bind after spawning: retry the first connection briefly.
  const mosquittoUrl = `mqtt://127.0.0.1:${mosquittoPort}`;
  let ours: number[] = [];
  let theirs: number[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      theirs = await roundTrips(mosquittoUrl, { id: device.id });
      break;
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  ours = await roundTrips(`mqtt://127.0.0.1:${ports.mqttPort}`, { id: device.id, secret });
  console.log(`QoS 1 publish → PUBACK, ${MESSAGES} sequential SOS events from one device:`);
  console.log(`  CareCircle (journal fsync before PUBACK): median ${fmt(pct(ours, 0.5))}, p99 ${fmt(pct(ours, 0.99))}`);
  console.log(
    `  Mosquitto 2 (in memory):                  median ${fmt(pct(theirs, 0.5))}, p99 ${fmt(pct(theirs, 0.99))}`,
  );
  console.log(`  ratio of medians CareCircle/Mosquitto: ${(pct(ours, 0.5) / pct(theirs, 0.5)).toFixed(1)}×`);
  console.log(`  journal entries written: ${platform.journal.head()} (of ${MESSAGES})`);
} finally {
  mosquitto.kill('SIGTERM');
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
}
