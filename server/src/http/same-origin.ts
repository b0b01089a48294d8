/**
 * Cross-site request refusal (CSRF). A browser attaches the session cookie to requests that
 * another site makes it send; a bearer token it never attaches. So a state-changing request, or
 * a live connection, that rides on the cookie must come from this server's own pages: its
 * `Origin` (sent by browsers on every such request and on WebSocket handshakes) must name this
 * host, and `Sec-Fetch-Site` must not say another site. Clients with a bearer token (the CLI,
 * integrators, tests) are not browsers acting for someone else and are unaffected.
 *
 * Behind a reverse proxy, the proxy must pass the public `Host` through unchanged.
 */
import type { IncomingHttpHeaders } from 'node:http';

export function isCrossSite(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (typeof origin === 'string') {
    if (origin === 'null') return true; // sandboxed frames, data: URLs, some redirects
    try {
      return new URL(origin).host !== headers.host;
    } catch {
      return true;
    }
  }
  const site = headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

/** Methods that change nothing; everything else must be same-origin when the cookie carries it. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
