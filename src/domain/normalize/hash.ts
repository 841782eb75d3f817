/** File hashes (MD5, SHA-1, SHA-256): hex of the algorithm's length, lowercased. */
import { type Check, fail, pass } from './check.js';
import { quote } from './text.js';

export function normalizeHash(v: string, length: number, name: string): Check<string> {
  const invalid = /[^0-9a-f]/i.exec(v);
  if (invalid) return fail(`invalid character ${quote(invalid[0])} (${name} is ${length} hex characters)`);
  if (v.length !== length) return fail(`expected ${length} hex characters for ${name}, got ${v.length}`);
  return pass(v.toLowerCase());
}
