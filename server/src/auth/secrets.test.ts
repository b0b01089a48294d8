import { describe, expect, it } from 'vitest';
import { DUMMY_HASH, generateSecret, hashSecret, verifySecret } from './secrets';

const FAST = { N: 1024, r: 8, p: 1 } as const;

describe('secrets', () => {
  it('verifies the secret it hashed, and nothing else', async () => {
    const hash = await hashSecret('correct horse battery staple');
    expect(await verifySecret('correct horse battery staple', hash)).toBe(true);
    expect(await verifySecret(Buffer.from('correct horse battery staple'), hash)).toBe(true);
    expect(await verifySecret('correct horse battery stapler', hash)).toBe(false);
    expect(await verifySecret('', hash)).toBe(false);
  });

  it('stores scrypt$N$r$p$salt$key and never the secret', async () => {
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(secret);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashSecret('same', FAST), hashSecret('same', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifySecret('same', a)).toBe(true);
    expect(await verifySecret('same', b)).toBe(true);
  });

  it('reads the cost from the hash, so older parameters still verify', async () => {
    const hash = await hashSecret('pw', FAST);
    expect(hash.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifySecret('pw', hash)).toBe(true);
  });

  it('refuses malformed or foreign hashes instead of throwing', async () => {
    expect(await verifySecret('pw', '')).toBe(false);
    expect(await verifySecret('pw', 'bcrypt$2b$10$abc')).toBe(false);
    expect(await verifySecret('pw', 'scrypt$1024$8$1$salt')).toBe(false);
    expect(await verifySecret('pw', DUMMY_HASH)).toBe(false);
  });

  it('generates distinct secrets of at least 128 bits', () => {
    const s = generateSecret();
    expect(Buffer.from(s, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(generateSecret()).not.toBe(s);
  });
});
