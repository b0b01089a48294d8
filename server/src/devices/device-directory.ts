/**
 * The gateway's view of the device registry, backed by the state store. The gateway asks for
 * a device on every message, so records are cached briefly: a change made in this process
 * (provisioning) drops the entry at once, and so does one another server announced (a shared
 * PostgreSQL state: `StateChanges`, wired by the platform); one nobody announces (the CLI on an
 * embedded database) counts within `ttlMs`.
 */
import type { Clock, DeviceDirectory, DeviceRecord } from '@carecircle/protocol';
import type { DeviceSecrets } from '../auth/device-secrets';
import type { DeviceState, StateStore } from '../storage/ports';

export const DEVICE_CACHE_TTL_MS = 2000;

function recordOf(row: DeviceState): DeviceRecord {
  return { id: row.id, siteId: row.siteId, residentId: row.residentId, type: row.type, enabled: row.enabled };
}

export class StoreDeviceDirectory implements DeviceDirectory {
  private readonly cache = new Map<string, { record: DeviceRecord | null; until: number }>();
  private readonly lookups = new Map<string, Promise<DeviceRecord | null>>();
  /** Counts invalidations, so a lookup that overlapped one does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly secrets: DeviceSecrets,
    private readonly ttlMs = DEVICE_CACHE_TTL_MS,
    /** Where lookups go: a connection of their own, so a CONNECT never queues behind writes. */
    private readonly reads: Pick<StateStore['devices'], 'get'> = store.devices,
  ) {}

  async verify(deviceId: string, secret: Buffer): Promise<DeviceRecord | null | false> {
    // Always from the store: a connect must see a rotated secret or a disabled device at once.
    const generation = this.generation;
    const row = await this.reads.get(deviceId);
    if (!row) {
      // The same (cheap) work as a real check, so timing does not tell which ids exist.
      this.secrets.hash(secret);
      return null;
    }
    const check = await this.secrets.check(secret, row.secretHash);
    if (check === 'invalid') return false;
    if (check === 'valid_legacy') await this.store.devices.setSecretHash(deviceId, this.secrets.hash(secret));
    const record = recordOf(row);
    if (generation === this.generation) this.remember(deviceId, record);
    return record;
  }

  async get(deviceId: string): Promise<DeviceRecord | null> {
    const hit = this.cache.get(deviceId);
    if (hit && hit.until > this.clock.now()) return hit.record;
    // One lookup per device at a time: the packets of one read all ask at once, and a flood
    // must not queue hundreds of identical queries in front of a quiet device's SOS.
    const pending = this.lookups.get(deviceId);
    if (pending) return pending;
    // A change heard while the lookup is under way may postdate what it read: then its answer
    // serves the messages that asked, but is not kept.
    const generation = this.generation;
    const lookup: Promise<DeviceRecord | null> = this.reads
      .get(deviceId)
      .then((row) => {
        const record = row ? recordOf(row) : null;
        if (generation === this.generation) this.remember(deviceId, record);
        return record;
      })
      .finally(() => {
        if (this.lookups.get(deviceId) === lookup) this.lookups.delete(deviceId);
      });
    this.lookups.set(deviceId, lookup);
    return lookup;
  }

  /** Forgets a device (`null`: every device), so its next message reads it afresh. */
  invalidate(deviceId: string | null): void {
    this.generation++;
    if (deviceId === null) {
      this.cache.clear();
      this.lookups.clear();
      return;
    }
    this.cache.delete(deviceId);
    this.lookups.delete(deviceId); // a lookup under way may have read the old record
  }

  private remember(deviceId: string, record: DeviceRecord | null): void {
    // Bounded: a flood of unknown ids must not grow the cache without limit.
    if (this.cache.size >= 100_000) this.cache.clear();
    this.cache.set(deviceId, { record, until: this.clock.now() + this.ttlMs });
  }
}
