/**
 * The platform under test, a process of its own: `serve()` from server/src/process.ts (what
 * `pnpm start` runs: configuration from the environment, the logger, storage, signals) on the
 * data directory and free loopback ports the bench gives it in `CARECIRCLE_*`. It reports its
 * ports over IPC, answers `idle` (all consumers caught up) and `metrics` (the gateway's
 * counters, and the process's `memoryUsage()`), and stops in order on `stop` or SIGTERM, then exits (so `--cpu-prof` is written).
 *
 *   argv[2]: the `PlatformJob` as JSON
 */
import { register } from 'node:module';
import { BENCH_LIMITS_ENV, type FromPlatform, type PlatformJob, type ToPlatform } from './messages';

/** Per-device rates no run reaches, so that throughput measures the platform, not the rate limit. */
export const RAISED_LIMITS = {
  publishRatePerSecond: 10_000_000,
  publishBurst: 10_000_000,
  readBytesPerSecond: 1_000_000_000,
  readBurstBytes: 1_000_000_000,
} as const;

const job = JSON.parse(process.argv[2] ?? '') as PlatformJob;
const send = (m: FromPlatform) => process.send?.(m);

if (job.limits === 'raised') {
  process.env[BENCH_LIMITS_ENV] = JSON.stringify(RAISED_LIMITS);
  // Before the platform is imported: its `@carecircle/gateway` becomes gateway-limits.ts.
  register('./gateway-limits.hook.ts', import.meta.url);
}
const { serve } = await import('../../src/process');

const code = await serve(process.env, {
  async afterStart(platform, ports) {
    process.on('message', (m: ToPlatform) => {
      switch (m.type) {
        case 'idle': {
          const started = performance.now();
          void platform.idle().then(() => send({ type: 'idle', id: m.id, ms: performance.now() - started }));
          return;
        }
        case 'metrics':
          send({ type: 'metrics', id: m.id, metrics: platform.gateway.metrics(), memory: process.memoryUsage() });
          return;
        case 'stop':
          process.kill(process.pid, 'SIGTERM'); // serve() stops the platform in order
          return;
        default: {
          const unknown: never = m;
          throw new Error(`unknown message ${JSON.stringify(unknown)}`);
        }
      }
    });
    // The bench is gone: stop as it would have asked.
    process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    send({
      type: 'up',
      httpPort: ports.httpPort,
      mqttPort: ports.mqttPort ?? 0, // 0 in the server role, which takes no device connections
      pid: process.pid,
      limits: job.limits === 'raised' ? RAISED_LIMITS : null,
    });
    return undefined;
  },
});
process.exit(code);
