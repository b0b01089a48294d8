/**
 * Device secrets and user passwords are stored only as scrypt hashes
 * (`scrypt$N$r$p$salt$hash`, base64url parts). Secrets are generated here and shown once.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LEN = 32;
/** scrypt parameters of a new hash; the hash records them, so a verify needs none. */
export interface SecretCost {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_COST: SecretCost = { N: 16384, r: 8, p: 1 };
/** For tests: ~100× cheaper, still a real scrypt hash. */
export const TEST_COST: SecretCost = { N: 256, r: 8, p: 1 };

function scryptAsync(secret: Buffer | string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LEN, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string, cost: SecretCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: Buffer | string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A fresh random secret for a device or an initial password (≥ 128 bits). */
export function generateSecret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

/** Verified against when a login names an unknown user, so timing does not reveal which names exist. */
export const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
