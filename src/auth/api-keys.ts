import { createHash, randomInt } from 'node:crypto';

export const KEY_PREFIX = 'sk_live_';
/** 40 base62 characters ≈ 238 bits of entropy. */
const KEY_RANDOM_LENGTH = 40;
/** Characters of the random part kept in the public prefix shown by `socd keys list`. */
const PUBLIC_CHARS = 8;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_SHAPE = /^sk_live_[0-9A-Za-z]{32,128}$/;

export interface GeneratedKey {
  /** The secret, shown once and never stored. */
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(): GeneratedKey {
  let random = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < KEY_RANDOM_LENGTH; i++) random += BASE62[randomInt(62)];
  const key = KEY_PREFIX + random;
  return { key, prefix: publicPrefix(key), hash: hashApiKey(key) };
}

export function publicPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + PUBLIC_CHARS);
}

/** Keys are long random strings: a plain SHA-256 is the right hash (no salt or stretching needed). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function looksLikeApiKey(value: string): boolean {
  return KEY_SHAPE.test(value);
}
