/**
 * The demo around the platform's process (`serve` from the server): seed before anything
 * listens, then run a simulated fleet against the platform's own ports, and stop the fleet
 * before the platform at shutdown, so its devices go offline cleanly rather than by last will.
 */
import { join } from 'node:path';
import type { Config, Listening, ServeHooks } from '@carecircle/server';
import { createFleet } from '../fleet';
import { type DemoSeed, seedDemo } from './seed';

/** The demo keeps its data apart from a real deployment's `./data` (README, "Configuration"). */
export const DEMO_DATA_DIR = join('data', 'demo');

/** The environment with the demo's data directory when none is set. */
export function demoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.CARECIRCLE_DATA_DIR?.trim() ? env : { ...env, CARECIRCLE_DATA_DIR: DEMO_DATA_DIR };
}

/** Where a client on this machine reaches a platform that may listen on every interface. */
function reachableHost(config: Config): string {
  return config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
}

/** tests/e2e/demo.test.ts and the README's readers parse these lines: keep their shape. */
function printDemoBanner(seed: DemoSeed, ports: Listening, config: Config): void {
  const host = reachableHost(config);
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

export function demoHooks(): ServeHooks {
  let seed: DemoSeed | undefined;
  return {
    async beforeStart(platform) {
      // The platform's own provisioning, so the gateway's device cache hears of rotated secrets.
      seed = await seedDemo(platform.provisioning, platform.store);
    },
    async afterStart(_platform, ports, config, logger) {
      if (!seed) throw new Error('demo: afterStart ran without beforeStart');
      const fleet = createFleet({
        url: `mqtt://${reachableHost(config)}:${ports.mqttPort}`,
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
      printDemoBanner(seed, ports, config);
      return () => fleet.stop();
    },
  };
}
