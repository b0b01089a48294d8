/**
 * Device authentication (DESIGN.md, "Device-facing MQTT contract"): username = device id,
 * password = the device's secret, client id = device id. Binding the client id to the
 * credential matters because aedes checks client-id takeover after this hook [MQTT-3.1.4-2]:
 * only the holder of a device's secret can take over that device's session.
 *
 * Failures (an unknown device, a wrong secret) are counted per source address, and an address
 * that keeps failing backs off: its CONNECTs are refused with 5 before any lookup, except those
 * of devices that have authenticated from it before (`connect-throttle.ts` says why).
 */
import type { Socket } from 'node:net';
import {
  AUTH_FAILURE_REASONS,
  type AuthFailureReason,
  type GatewayRejectReason,
  isValidDeviceId,
} from '@carecircle/protocol';
import type { Client } from 'aedes';
import type { GatewayContext } from '../context';
import { CONNACK, type ConnackRefusal, connackError } from '../errors';
import { addressKey, ConnectThrottle } from './connect-throttle';
import { reportIncident } from './incidents';
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
  const throttle = new ConnectThrottle({
    limits: ctx.limits,
    clock: ctx.clock,
    report(episode) {
      const { address, phase, failures, throttled } = episode;
      ctx.log[phase === 'throttled' ? 'warn' : 'info']({ address, phase, failures, throttled }, 'failed connects');
      reportIncident(ctx.incidents, ctx.log, 'auth_failures', (incidents) => incidents.authenticationFailures(episode));
    },
    dropped: () => {
      ctx.counters.incidentReportsDropped++;
    },
  });
  ctx.counters.throttledAddresses = () => throttle.throttledAddresses();

  const preConnect: PreConnectHook = (client, packet, callback) => {
    sentClientIds.set(client, packet.clientId);
    callback(null, true);
  };

  const authenticate: AuthenticateHook = (client, username, password, done) => {
    const sentClientId = sentClientIds.get(client) ?? client.id;
    sentClientIds.delete(client);
    const address = peerOf(client);

    const refuse = (reason: GatewayRejectReason, returnCode: ConnackRefusal, detail: string) => {
      if (isAuthFailure(reason)) {
        ctx.counters.authFailures[reason]++;
        throttle.failed(address, username !== undefined && isValidDeviceId(username) ? username : undefined, reason);
      }
      ctx.refuse({ deviceId: username ?? '(none)', reason, detail });
      done(connackError(returnCode, detail), null);
    };

    // [MQTT-3.1.3-8] [MQTT-3.1.3-9]: an empty client id is rejected with 0x02 whatever the
    // clean-session flag, since it could never equal the device id.
    if (sentClientId === '') {
      return refuse('client_id_mismatch', CONNACK.IDENTIFIER_REJECTED, 'empty client id');
    }
    // Before any lookup: this is what makes a brute force cheap to turn away.
    if (throttle.admit(address, username) === 'refuse') {
      return refuse('auth_throttled', CONNACK.SERVER_UNAVAILABLE, 'too many failed connects from this address');
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
        throttle.succeeded(address, username);
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

/**
 * The TCP peer of a device connection, as a throttle key: the socket itself over TCP; over
 * WebSocket the socket of the HTTP upgrade request (aedes keeps it as `client.req`). Never a
 * forwarding header: any client could write one. Behind a TCP proxy every device shares the
 * proxy's address, which is the NAT case above (passes keep known devices connecting).
 */
function peerOf(client: Client): string | null {
  const remote = client.req?.socket.remoteAddress ?? (client.conn as Partial<Socket>).remoteAddress;
  return remote === undefined ? null : addressKey(remote);
}

function isAuthFailure(reason: GatewayRejectReason): reason is AuthFailureReason {
  return (AUTH_FAILURE_REASONS as readonly GatewayRejectReason[]).includes(reason);
}
