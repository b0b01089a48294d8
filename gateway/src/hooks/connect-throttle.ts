/**
 * Failed CONNECTs cost the address they come from, not the devices that share it.
 *
 * Per source address (`addressKey`), failures — an unknown device, a wrong secret — are counted
 * until the address has been quiet (no failure, no back-off running) for `authFailureWindowMs`;
 * then it is forgotten. Past `authFailuresBeforeThrottle` failures, each further failure starts a
 * back-off of `authThrottleBaseMs`, doubling per failure up to `authThrottleMaxMs`, during which
 * CONNECTs from the address are refused (CONNACK 3, "server unavailable", so that good firmware keeps retrying rather than giving up as on 5) without looking the device up. A CONNECT
 * refused that way does not extend the back-off: once it runs out, the next attempt is verified,
 * and only its failure starts a longer one — so a brute force costs one directory lookup per
 * back-off, and an address that stops failing decays to nothing within a window.
 *
 * Sharing an address (NAT: a care home's devices all come from one public address; an IPv6
 * subscriber's whole /64): a device that has authenticated from an address holds a *pass* for
 * it, and a pass is verified even while the address is throttled. Verifying a known device is
 * cheap (an HMAC, microseconds), and those are the devices that matter — an SOS button
 * reconnecting after a Wi-Fi blip must not wait for a neighbour's broken device to give up. The
 * throttle spares the expensive and abusable part: random ids, each a lookup in the store. A pass
 * is lost by a failure of the same (address, device), so guessing the secret of a known device
 * id from behind the same NAT is throttled like any other guess. What stays exposed: a device
 * that has never connected from the address (newly installed, or after a gateway restart, when
 * passes are forgotten) waits for a gap between back-offs while the neighbour keeps failing — at
 * most `authThrottleMaxMs` at a time, since attempts refused unverified never extend a back-off.
 *
 * Reports (`DeviceIncidents.authenticationFailures`) are per episode, not per attempt: when an
 * address is first throttled, every `EPISODE_REPORT_EVERY_MS` while it goes on, and once it is
 * forgotten; at most `REPORT_BURST` in a burst over all addresses, then one a second. Counts are
 * totals over the episode, so a report the bound leaves out loses nothing a later one lacks.
 *
 * Memory is bounded: the oldest addresses and passes make room for new ones.
 */
import type { AuthFailureEpisode, AuthFailureReason, Clock } from '@carecircle/protocol';
import type { GatewayLimits } from '../limits';

export type ThrottleLimits = Pick<
  GatewayLimits,
  'authFailuresBeforeThrottle' | 'authFailureWindowMs' | 'authThrottleBaseMs' | 'authThrottleMaxMs'
>;

export const MAX_ADDRESSES = 50_000;
export const MAX_PASSES = 100_000;
/** While an episode goes on, a report at most this often. */
export const EPISODE_REPORT_EVERY_MS = 10 * 60_000;
/** Reports over every address: this many at once, then one a second. */
export const REPORT_BURST = 60;
const REPORT_REFILL_MS = 1000;
/** Device ids a report names at most. */
export const REPORTED_DEVICE_IDS = 10;
/** Expired addresses swept per call, so that a call stays cheap. */
const SWEEP_PER_CALL = 8;

/** `verify`: look the device up as usual; `refuse`: the address is backing off and holds no pass for it. */
export type Admission = 'verify' | 'refuse';

interface Episode {
  since: number;
  lastFailureAt: number;
  /** Verified failures, by reason, over the episode. */
  failures: Record<AuthFailureReason, number>;
  /** CONNECTs refused unverified over the episode. */
  throttled: number;
  blockedUntil: number;
  deviceIds: Set<string>;
  /** Null until the episode was reported. */
  reportedAt: number | null;
}

export interface ConnectThrottleDeps {
  limits: ThrottleLimits;
  clock: Clock;
  /** Told of each report due; it must not throw and must not wait (fire-and-forget). */
  report(episode: AuthFailureEpisode): void;
  /** Told when the global bound leaves a report out. */
  dropped?(): void;
}

export class ConnectThrottle {
  /** By address key, least recently failed first. */
  private readonly episodes = new Map<string, Episode>();
  /** `address \0 deviceId` of successful CONNECTs, least recently used first. */
  private readonly passes = new Set<string>();
  private reportTokens = REPORT_BURST;
  private reportTokensAt: number;

  constructor(private readonly deps: ConnectThrottleDeps) {
    this.reportTokensAt = deps.clock.now();
  }

  /** Whether a CONNECT from `address` claiming `deviceId` is verified. No address: always. */
  admit(address: string | null, deviceId: string | undefined): Admission {
    if (address === null) return 'verify';
    const now = this.deps.clock.now();
    this.sweep(now);
    const e = this.current(address, now);
    if (e === undefined || now >= e.blockedUntil) return 'verify';
    if (deviceId !== undefined && this.passes.has(passKey(address, deviceId))) return 'verify';
    e.throttled += 1;
    return 'refuse';
  }

  /** A verified CONNECT from `address` failed; `deviceId` only when it is a well-formed device id. */
  failed(address: string | null, deviceId: string | undefined, reason: AuthFailureReason): void {
    if (address === null) return;
    const now = this.deps.clock.now();
    let e = this.current(address, now);
    if (e === undefined) {
      e = {
        since: now,
        lastFailureAt: now,
        failures: { unknown_device: 0, bad_credentials: 0 },
        throttled: 0,
        blockedUntil: 0,
        deviceIds: new Set(),
        reportedAt: null,
      };
      if (this.episodes.size >= MAX_ADDRESSES) this.forgetOldest(now);
    }
    e.failures[reason] += 1;
    e.lastFailureAt = now;
    if (deviceId !== undefined) {
      this.passes.delete(passKey(address, deviceId));
      if (e.deviceIds.size < REPORTED_DEVICE_IDS) e.deviceIds.add(deviceId);
    }
    // Least recently failed first: delete and set again moves it to the end.
    this.episodes.delete(address);
    this.episodes.set(address, e);

    const over = total(e) - this.deps.limits.authFailuresBeforeThrottle;
    if (over < 0) return;
    const { authThrottleBaseMs: base, authThrottleMaxMs: max } = this.deps.limits;
    e.blockedUntil = now + Math.min(max, base * 2 ** Math.min(over, 30));
    if (e.reportedAt === null) this.report(address, e, 'throttled', now);
    else if (now - e.reportedAt >= EPISODE_REPORT_EVERY_MS) this.report(address, e, 'continuing', now);
  }

  /** A CONNECT from `address` authenticated as `deviceId`: it holds a pass for that address from now on. */
  succeeded(address: string | null, deviceId: string): void {
    if (address === null) return;
    const key = passKey(address, deviceId);
    this.passes.delete(key);
    if (this.passes.size >= MAX_PASSES) {
      const oldest = this.passes.values().next();
      if (!oldest.done) this.passes.delete(oldest.value);
    }
    this.passes.add(key);
  }

  /** Addresses backing off right now. */
  throttledAddresses(): number {
    const now = this.deps.clock.now();
    let n = 0;
    for (const e of this.episodes.values()) if (now < e.blockedUntil) n += 1;
    return n;
  }

  /** The episode of `address`, unless it has run out (then it is ended and forgotten). */
  private current(address: string, now: number): Episode | undefined {
    const e = this.episodes.get(address);
    if (e === undefined || !this.expired(e, now)) return e;
    this.end(address, e, now);
    return undefined;
  }

  private expired(e: Episode, now: number): boolean {
    return now - Math.max(e.lastFailureAt, e.blockedUntil) >= this.deps.limits.authFailureWindowMs;
  }

  private sweep(now: number): void {
    let n = 0;
    for (const [address, e] of this.episodes) {
      if (n++ >= SWEEP_PER_CALL || !this.expired(e, now)) return;
      this.end(address, e, now);
    }
  }

  private forgetOldest(now: number): void {
    const oldest = this.episodes.entries().next();
    if (!oldest.done) this.end(oldest.value[0], oldest.value[1], now);
  }

  private end(address: string, e: Episode, now: number): void {
    this.episodes.delete(address);
    if (e.reportedAt !== null) this.report(address, e, 'ended', now);
  }

  private report(address: string, e: Episode, phase: AuthFailureEpisode['phase'], now: number): void {
    const refill = Math.floor((now - this.reportTokensAt) / REPORT_REFILL_MS);
    if (refill > 0) {
      this.reportTokens = Math.min(REPORT_BURST, this.reportTokens + refill);
      this.reportTokensAt += refill * REPORT_REFILL_MS;
    }
    if (this.reportTokens < 1) {
      this.deps.dropped?.();
      return;
    }
    this.reportTokens -= 1;
    e.reportedAt = now;
    this.deps.report({
      address,
      phase,
      since: iso(e.since),
      lastFailureAt: iso(e.lastFailureAt),
      at: iso(now),
      failures: { ...e.failures },
      throttled: e.throttled,
      deviceIds: [...e.deviceIds],
    });
  }
}

/**
 * What one subscriber holds: an IPv4 address (IPv4-mapped IPv6 written as IPv4), or for IPv6 its
 * /64 — a subscriber gets a whole /64, so counting single IPv6 addresses would count nothing.
 */
export function addressKey(remote: string): string {
  const ip = remote.split('%')[0] ?? remote; // a zone id names the local interface, not the peer
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${all
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

function passKey(address: string, deviceId: string): string {
  return `${address}\u0000${deviceId}`;
}

function total(e: Episode): number {
  return e.failures.unknown_device + e.failures.bad_credentials;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
