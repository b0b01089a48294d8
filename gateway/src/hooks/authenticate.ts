/**
 * Device authentication (DESIGN.md, "Device-facing MQTT contract"): username = device id,
 * password = the device's secret, client id = device id. Binding the client id to the
 * credential matters because aedes checks client-id takeover after this hook [MQTT-3.1.4-2]:
 * only the holder of a device's secret can take over that device's session.
 */
import { type GatewayRejectReason, isValidDeviceId } from '@carecircle/protocol';
import type { Client } from 'aedes';
import type { GatewayContext } from '../context';
import { CONNACK, type ConnackRefusal, connackError } from '../errors';
import type { AuthenticateHook, PreConnectHook } from './types';

type Refusal = [reason: GatewayRejectReason, returnCode: ConnackRefusal, detail: string];

export interface AuthenticationHooks {
  preConnect: PreConnectHook;
  authenticate: AuthenticateHook;
}

export function createAuthenticationHooks(ctx: GatewayContext): AuthenticationHooks {
  // aedes replaces an empty client id with a generated one before `authenticate` runs, so the
  // id as sent is kept here for the [MQTT-3.1.3-8] check.
  const sentClientIds = new WeakMap<Client, string>();

  const preConnect: PreConnectHook = (client, packet, callback) => {
    sentClientIds.set(client, packet.clientId);
    callback(null, true);
  };

  const authenticate: AuthenticateHook = (client, username, password, done) => {
    const sentClientId = sentClientIds.get(client) ?? client.id;
    sentClientIds.delete(client);

    const refuse = (reason: GatewayRejectReason, returnCode: ConnackRefusal, detail: string) => {
      ctx.refuse({ deviceId: username ?? '(none)', reason, detail });
      done(connackError(returnCode, detail), null);
    };

    // [MQTT-3.1.3-8] [MQTT-3.1.3-9]: an empty client id is rejected with 0x02 whatever the
    // clean-session flag, since it could never equal the device id.
    if (sentClientId === '') {
      return refuse('client_id_mismatch', CONNACK.IDENTIFIER_REJECTED, 'empty client id');
    }
    if (username === undefined || !isValidDeviceId(username)) {
      return refuse('unknown_device', CONNACK.BAD_USERNAME_OR_PASSWORD, 'username is not a device id');
    }
    if (sentClientId !== username) {
      return refuse('client_id_mismatch', CONNACK.IDENTIFIER_REJECTED, 'client id must equal the device id');
    }
    if (password === undefined || password.length === 0) {
      return refuse('bad_credentials', CONNACK.BAD_USERNAME_OR_PASSWORD, 'no password');
    }

    // A directory that throws, even synchronously, answers 0x03 rather than crashing the broker.
    verify(username, password).then(
      (refusal) => {
        if (refusal !== null) return refuse(...refusal);
        ctx.counters.connectsAccepted++;
        ctx.log.debug({ deviceId: username }, 'device authenticated');
        done(null, true);
      },
      (err: unknown) => {
        // The directory failed, not the device; it retries later.
        ctx.log.error({ err, deviceId: username }, 'device directory unavailable');
        done(connackError(CONNACK.SERVER_UNAVAILABLE, 'device directory unavailable'), null);
      },
    );
  };

  /** Checks the secret; `null` when the device may connect, else why not. */
  async function verify(deviceId: string, secret: Buffer): Promise<Refusal | null> {
    const record = await ctx.devices.verify(deviceId, secret);
    if (record === false) return ['bad_credentials', CONNACK.BAD_USERNAME_OR_PASSWORD, 'wrong secret'];
    if (record === null) return ['unknown_device', CONNACK.BAD_USERNAME_OR_PASSWORD, 'unknown device'];
    // Only a device that proved its secret is told it is disabled.
    if (!record.enabled) return ['device_disabled', CONNACK.NOT_AUTHORIZED, 'device is disabled'];
    return null;
  }

  return { preConnect, authenticate };
}
