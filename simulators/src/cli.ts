#!/usr/bin/env -S npx tsx
/**
 * carecircle-sim: the process around the simulator library (arguments, logger, signals, exit
 * codes). Everything it does is reachable from code through createFleet and the device classes.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { SosButton } from './devices/sos-button';
import { loadDevicesFile } from './devices-file';
import { createFleet } from './fleet';
import { mulberry32 } from './random';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Logs go to stderr so that stdout stays for results. */
function createLogger(level: string) {
  return pino({ level, base: undefined, redact: ['secret', 'password'] }, pino.destination(2));
}

const program = new Command('carecircle-sim')
  .description('CareCircle device simulators')
  .option('--log-level <level>', 'pino log level', process.env.CARECIRCLE_LOG_LEVEL ?? 'info');

program
  .command('run')
  .description('run a fleet of simulated devices living a daily routine until SIGINT/SIGTERM')
  .requiredOption('--url <url>', 'broker URL (mqtt://host:port or ws://host:port/mqtt)')
  .requiredOption('--devices <file>', 'JSON file: [{ id, secret, type, residentId?, residentName? }]')
  .option('--sos-interval-ms <n>', 'mean gap between SOS presses across the fleet (0: none)', nonNegativeInt, 90_000)
  .option('--fall-interval-ms <n>', 'mean gap between falls across the fleet (0: none)', nonNegativeInt, 600_000)
  .option('--seed <n>', 'seed for a reproducible run', nonNegativeInt)
  .action(
    async (opts: { url: string; devices: string; sosIntervalMs: number; fallIntervalMs: number; seed?: number }) => {
      const logger = createLogger(program.opts<{ logLevel: string }>().logLevel);
      const fleet = createFleet({
        url: opts.url,
        devices: await loadDevicesFile(opts.devices),
        logger,
        sosIntervalMs: opts.sosIntervalMs,
        fallIntervalMs: opts.fallIntervalMs,
        ...(opts.seed === undefined ? {} : { random: mulberry32(opts.seed) }),
      });
      await fleet.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await fleet.stop();
    },
  );

program
  .command('press-sos')
  .description('connect as one device, send one SOS, exit 0 once the broker acknowledged it (PUBACK)')
  .requiredOption('--url <url>', 'broker URL (mqtt://host:port or ws://host:port/mqtt)')
  .requiredOption('--device <id>', 'device id (also the MQTT username and client id)')
  .requiredOption('--secret <secret>', "the device's secret")
  .option('--timeout-ms <n>', 'give up when no PUBACK arrives within this time', nonNegativeInt, 10_000)
  .action(async (opts: { url: string; device: string; secret: string; timeoutMs: number }) => {
    const logger = createLogger(program.opts<{ logLevel: string }>().logLevel);
    const button = new SosButton({ url: opts.url, deviceId: opts.device, secret: opts.secret, logger });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PUBACK within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    });
    try {
      // A one-shot press must not leave readings running: connect, not start.
      await Promise.race([button.connect().then(() => button.press()), timeout]);
    } catch (err) {
      await button.kill(); // the broker is not answering: do not wait for it to say goodbye
      throw err;
    } finally {
      clearTimeout(timer);
    }
    await button.stop();
    process.stdout.write(`SOS from ${opts.device} acknowledged\n`);
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`carecircle-sim: ${err.message}\n`);
  process.exit(1);
});
