/** A device subscribes to its own `cmd` topic and nothing else. */
import type { GatewayContext } from '../context';
import { maySubscribe } from './acl';
import type { AuthorizeSubscribeHook } from './types';

export function createAuthorizeSubscribe(ctx: GatewayContext): AuthorizeSubscribeHook {
  return (client, subscription, callback) => {
    if (maySubscribe(client.id, subscription.topic)) return callback(null, subscription);
    ctx.refuse({ deviceId: client.id, reason: 'subscribe_not_allowed', detail: `filter ${subscription.topic}` });
    // A null subscription is granted as 0x80 (failure) in the SUBACK [MQTT-3.9.3]; unlike an
    // error it keeps the connection, so a misconfigured device still gets its commands.
    callback(null, null);
  };
}
