import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey, hashApiKey, looksLikeApiKey, publicPrefix } from '../../src/auth/api-keys.js';
import { parseAuthorization } from '../../src/auth/credentials.js';

describe('API keys', () => {
  it('are sk_live_ + 40 base62 characters, unique, with a public prefix and a SHA-256 hash', () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey());
    for (const k of keys) {
      assert.match(k.key, /^sk_live_[0-9A-Za-z]{40}$/);
      assert.equal(k.prefix, k.key.slice(0, 16));
      assert.equal(k.hash, hashApiKey(k.key));
      assert.match(k.hash, /^[0-9a-f]{64}$/);
      assert.ok(looksLikeApiKey(k.key));
    }
    assert.equal(new Set(keys.map((k) => k.key)).size, keys.length);
    // Every base62 character shows up: the alphabet is used whole.
    assert.equal(new Set(keys.flatMap((k) => [...k.key.slice(8)])).size, 62);
    assert.equal(publicPrefix('sk_live_ABCDEFGHxyz'), 'sk_live_ABCDEFGH');
    assert.equal(hashApiKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const bad of ['', 'sk_live_', 'sk_live_short', `sk_test_${'a'.repeat(40)}`, `sk_live_${'a'.repeat(39)}!`, `sk_live_${'a'.repeat(200)}`]) {
      assert.equal(looksLikeApiKey(bad), false, bad);
    }
  });
});

describe('Authorization header parsing', () => {
  it('reads Bearer and Basic (email:key, the key may hold colons) and says why it refuses the rest', () => {
    assert.deepEqual(parseAuthorization('Bearer sk_live_x'), { ok: true, credentials: { scheme: 'bearer', key: 'sk_live_x' } });
    assert.deepEqual(parseAuthorization('bearer   sk_live_x  '), { ok: true, credentials: { scheme: 'bearer', key: 'sk_live_x' } });
    const basic = `Basic ${Buffer.from('a@example.com:sk:live').toString('base64')}`;
    assert.deepEqual(parseAuthorization(basic), { ok: true, credentials: { scheme: 'basic', username: 'a@example.com', key: 'sk:live' } });
    const refusals: Array<[string | undefined, RegExp]> = [
      [undefined, /missing/],
      ['', /missing/],
      ['Bearer', /malformed/],
      ['Bearer a b', /malformed/],
      ['Digest abc', /unsupported authorization scheme "Digest"/],
      ['Basic !!!', /not valid base64/],
      [`Basic ${Buffer.from('no-colon').toString('base64')}`, /EMAIL:KEY/],
      [`Bearer ${'x'.repeat(5000)}`, /too long/],
    ];
    for (const [header, reason] of refusals) {
      const r = parseAuthorization(header);
      assert.equal(r.ok, false, String(header));
      if (!r.ok) assert.match(r.reason, reason);
    }
  });
});
