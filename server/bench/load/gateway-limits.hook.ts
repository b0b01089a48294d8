/**
 * A module resolution hook (node:module `register`) for the platform process of a bench run
 * that raises the gateway's limits: every import of `@carecircle/gateway` except the wrapper's
 * own gets gateway-limits.ts, which forwards everything and merges the bench's limits into
 * `createGateway`'s deps. Neither `Config` nor `PlatformOptions` carries gateway limits today,
 * so this is how the bench raises them without changing how the platform is composed.
 */
const WRAPPER = new URL('./gateway-limits.ts', import.meta.url).href;

interface ResolveContext {
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<{ url: string }> {
  // Through the next hook (tsx), which knows how to load a .ts file.
  if (specifier === '@carecircle/gateway' && context.parentURL !== WRAPPER) return nextResolve(WRAPPER, context);
  return nextResolve(specifier, context);
}
