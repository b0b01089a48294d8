/**
 * The process around a platform: read the configuration, build the logger, open the storage
 * the configuration chooses, start, and stop in order on SIGINT/SIGTERM. `main.ts` runs it
 * bare; the demo (simulators) runs it with a seed and a simulated fleet around it.
 */
import type { Logger } from 'pino';
import { type Config, ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { type Listening, Platform, type PlatformOptions } from './platform';
import { openStorage } from './storage/open';

export interface ServeHooks {
  /** Runs after storage is open, before anything listens (the demo seeds here). */
  beforeStart?(platform: Platform, config: Config, logger: Logger): Promise<void>;
  /** Runs once the platform listens; may answer a function to run first at shutdown. */
  afterStart?(
    platform: Platform,
    ports: Listening,
    config: Config,
    logger: Logger,
  ): Promise<(() => Promise<void>) | undefined>;
  platform?: Partial<Omit<PlatformOptions, 'config' | 'logger' | 'storage'>>;
}

/** Runs until a signal; answers the exit code. */
export async function serve(env: NodeJS.ProcessEnv, hooks: ServeHooks = {}): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`CareCircle cannot start: configuration error in ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let platform: Platform;
  let ports: Listening;
  try {
    const storage = await openStorage(config, logger);
    platform = new Platform({ config, logger, storage, ...hooks.platform });
    await hooks.beforeStart?.(platform, config, logger);
    ports = await platform.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`CareCircle cannot start: ${message}\n`);
    return 1;
  }
  let beforeStop: (() => Promise<void>) | undefined;
  try {
    beforeStop = await hooks.afterStart?.(platform, ports, config, logger);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`CareCircle cannot start: ${message}\n`);
    await platform.stop();
    return 1;
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
        await beforeStop?.();
        await platform.stop();
        clearTimeout(timeout);
        resolve(0);
      })();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}

/** Runs `serve` as the whole process: its answer is the exit code. */
export function runProcess(run: Promise<number>): void {
  run.then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`CareCircle failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
