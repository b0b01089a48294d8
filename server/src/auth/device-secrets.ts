/**
 * Device secrets are random and long (≥ 128 bits, `generateSecret`), so they are stored like API
 * tokens — an HMAC-SHA256 under a server key kept in the data directory — not with a password
 * KDF: checking one costs microseconds, so a reconnect storm of thousands of devices is not
 * thousands of scrypt calls, and an unknown device id costs no key derivation at all. A database
 * leak without the key yields nothing to test guesses against. scrypt stays for people's
 * passwords (secrets.ts). Devices provisioned before this carry scrypt hashes; they keep working
 * and are rehashed at their next successful connect.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { verifySecret } from './secrets';

export const DEVICE_KEY_FILE = 'device-secret.key';
const SCHEME = 'hmac-sha256';
const KEY_BYTES = 32;

export type DeviceSecretCheck = 'valid' | 'valid_legacy' | 'invalid';

export class DeviceSecrets {
  constructor(
    private readonly key: Buffer,
    /** How a legacy (scrypt) hash is checked; tests count the calls. */
    private readonly verifyLegacy: (secret: Buffer | string, stored: string) => Promise<boolean> = verifySecret,
  ) {
    if (key.length < KEY_BYTES) throw new Error(`the device secret key must have at least ${KEY_BYTES} bytes`);
  }

  /**
   * The server key of a data directory: read, or made on first use (mode 0600). Created with
   * `wx`, so a CLI and a platform starting together agree on one key.
   */
  static forDataDir(dataDir: string): DeviceSecrets {
    return DeviceSecrets.fromFile(join(dataDir, DEVICE_KEY_FILE));
  }

  /** The key in `file` (`CARECIRCLE_DEVICE_KEY_FILE`), made there on first use like `forDataDir`. */
  static fromFile(file: string): DeviceSecrets {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(KEY_BYTES).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return new DeviceSecrets(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url'));
  }

  /**
   * A check value of the key that tells two keys apart without revealing either (an HMAC of a
   * fixed label), recorded in a shared state so that a server holding another key is refused.
   */
  fingerprint(): string {
    return createHmac('sha256', this.key)
      .update('carecircle device-secret key check v1')
      .digest('base64url')
      .slice(0, 22);
  }

  hash(secret: Buffer | string): string {
    return `${SCHEME}$${createHmac('sha256', this.key).update(secret).digest('base64url')}`;
  }

  /** `valid_legacy`: right, but stored the old way; the caller should store `hash(secret)`. */
  async check(secret: Buffer | string, stored: string): Promise<DeviceSecretCheck> {
    if (stored.startsWith(`${SCHEME}$`)) {
      const expected = Buffer.from(stored);
      const actual = Buffer.from(this.hash(secret));
      return actual.length === expected.length && timingSafeEqual(actual, expected) ? 'valid' : 'invalid';
    }
    return (await this.verifyLegacy(secret, stored)) ? 'valid_legacy' : 'invalid';
  }
}
