/**
 * `@carecircle/gateway` as the platform process of a bench sees it when the bench raises the
 * gateway's limits (gateway-limits.hook.ts): the same exports, with `createGateway` given the
 * limits in `LOAD_BENCH_GATEWAY_LIMITS` (JSON) over whatever the platform passed.
 */
import * as gateway from '@carecircle/gateway';
import { BENCH_LIMITS_ENV } from './messages';

export * from '@carecircle/gateway';

export function createGateway(deps: gateway.GatewayDeps): gateway.Gateway {
  const raised = JSON.parse(process.env[BENCH_LIMITS_ENV] ?? '{}') as Partial<gateway.GatewayLimits>;
  return gateway.createGateway({ ...deps, limits: { ...deps.limits, ...raised } });
}
