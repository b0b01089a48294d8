/**
 * The last gate before the broker writes a PUBLISH to a device: only that device's own
 * commands pass. Device-published events therefore never reach any device, whatever the
 * subscriptions; this is what keeps acknowledged-but-refused payloads (see authorize-publish)
 * from being delivered.
 */
import { mayReceive } from './acl';
import type { AuthorizeForwardHook } from './types';

export function createAuthorizeForward(): AuthorizeForwardHook {
  return (client, packet) => (mayReceive(client.id, packet.topic) ? packet : null);
}
