/**
 * The process: read the configuration, build the logger, start the platform, handle signals.
 * `--demo` also seeds a demo facility and station and runs simulated devices against it.
 */
import { join } from 'node:path';
import { createFleet, type Fleet } from '@carecircle/simulators';
import type { Logger } from 'pino';
import { type Config, ConfigError, loadConfig } from './config';
import { type DemoSeed, seedDemo } from './demo/seed';
import { createLogger } from './logger';
import { type Listening, Platform } from './platform';

function printDemoBanner(seed: DemoSeed, ports: Listening, config: Config): void {
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const lines = [
    '',
    '  CareCircle demo is running',
    `  Dashboard:  http://${host}:${ports.httpPort}/`,
    `  API docs:   http://${host}:${ports.httpPort}/api/docs`,
    `  MQTT:       mqtt://${host}:${ports.mqttPort}${ports.mqttWsPort ? `   ws://${host}:${ports.mqttWsPort}/mqtt` : ''}`,
    `  Simulated devices: ${seed.devices.length}`,
    '',
    '  One-time passwords for this run (stored only as hashes; new ones at every demo start):',
    ...seed.users.map((u) => `    ${u.username.padEnd(11)} ${u.password}   ${u.role}${u.site ? ` · ${u.site}` : ''}`),
    '',
    '  Send an SOS yourself with mosquitto_pub as one of the demo devices:',
    `    mosquitto_pub -h ${host} -p ${ports.mqttPort} -q 1 -i ${seed.devices[0]?.id} -u ${seed.devices[0]?.id} -P '${seed.devices[0]?.secret}' \\`,
    `      -t cc/v1/d/${seed.devices[0]?.id}/event -m '{"v":1,"ts":"'$(date -u +%FT%TZ)'","type":"sos"}'`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function startDemoFleet(seed: DemoSeed, ports: Listening, config: Config, logger: Logger): Promise<Fleet> {
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const fleet = createFleet({
    url: `mqtt://${host}:${ports.mqttPort}`,
    devices: seed.devices.map((d) => ({
      id: d.id,
      secret: d.secret,
      type: d.type,
      residentId: d.residentId,
      residentName: d.residentName,
    })),
    logger: logger.child({ module: 'simulators' }),
  });
  await fleet.start();
  return fleet;
}

async function main(): Promise<number> {
  const demo = process.argv.includes('--demo');
  let config: Config;
  try {
    const env = { ...process.env };
    // The demo keeps its data apart from a real deployment's.
    if (demo && !env.CARECIRCLE_DATA_DIR) env.CARECIRCLE_DATA_DIR = join('data', 'demo');
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`CareCircle cannot start: configuration error in ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const platform = new Platform({ config, logger });
  const seed = demo ? await seedDemo(platform.provisioning, platform.store) : null;
  let ports: Listening;
  try {
    ports = await platform.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`CareCircle cannot start: ${message}\n`);
    return 1;
  }
  let fleet: Fleet | null = null;
  if (seed) {
    fleet = await startDemoFleet(seed, ports, config, logger);
    printDemoBanner(seed, ports, config);
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const timeout = setTimeout(() => {
        logger.error('shutdown took longer than 10 s; exiting');
        resolve(1);
      }, 10_000);
      timeout.unref();
      void (async () => {
        await fleet?.stop();
        await platform.stop();
        clearTimeout(timeout);
        resolve(0);
      })();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`CareCircle failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
