import { randomBytes } from 'node:crypto';

/** Record ids: a readable prefix and 64 random bits, valid as MQTT usernames and topic levels. */
export function newId(prefix: 'site' | 'home' | 'res' | 'dev' | 'usr' | 'alt' | 'rsp'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}
