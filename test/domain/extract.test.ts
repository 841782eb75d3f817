import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractValues } from '../../src/domain/extract.js';

describe('free-text extraction (domain/extract.ts)', () => {
  it('finds refanged, normalized values in prose, de-duplicated, in order of first appearance', () => {
    const text = 'Hi team, we blocked hxxp://evil[.]com/x?a=1, then 1.2.3.4:443; also 10.0.0.0/8 (see e.g. CVE-2024-3094).\n' +
      'Mail from "bad@phish[.]example.org" <bad@phish[.]example.org>; host A.B.Example.COM. Hash d41d8cd98f00b204e9800998ecf8427e, ' +
      '[2001:db8::1] and 2001:db8::/32. Again: 1.2.3.4 | v1.2 | i.e. nothing';
    assert.deepEqual(extractValues(text).map((v) => `${v.type} ${v.value}`), [
      'url http://evil.com/x?a=1',
      'ipv4 1.2.3.4',
      'ipv4 10.0.0.0/8',
      'cve CVE-2024-3094',
      'email bad@phish.example.org',
      'domain a.b.example.com',
      'md5 d41d8cd98f00b204e9800998ecf8427e',
      'ipv6 2001:db8::1',
      'ipv6 2001:db8::/32',
    ]);
  });

  it('stops at `max` values', () => {
    assert.equal(extractValues('1.1.1.1 2.2.2.2 3.3.3.3', 2).length, 2);
  });

  it('never throws, on any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      const out = extractValues(s);
      assert.ok(Array.isArray(out));
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.array(fc.constantFrom('1.2.3.4', 'hxxp://', '[.]', 'evil', '.', ' ', '/', ':', '@', 'com', '[', ']', '(dot)', '\n', ','), { maxLength: 200 }), (parts) => {
      assert.ok(Array.isArray(extractValues(parts.join(''))));
    }), { numRuns: 500 });
  });

  it('hostile input (a megabyte of dots, of brackets, one long token) is answered (the test timeout is the hang guard)', () => {
    for (const s of ['.'.repeat(1 << 20), '[.]'.repeat(300_000), `${'a.'.repeat(400_000)}com`, '1.'.repeat(500_000), `http://${'x'.repeat(1 << 20)}`]) {
      assert.deepEqual(extractValues(s), []);
    }
    assert.equal(extractValues('1.2.3.4 '.repeat(100_000)).length, 1);
  });
});
