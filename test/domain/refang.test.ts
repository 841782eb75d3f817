import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refang } from '../../src/domain/refang.js';

/** [defanged input, expected output] */
const REFANGED: ReadonlyArray<readonly [string, string]> = [
  ['hxxp://evil.com', 'http://evil.com'],
  ['hXXp://evil.com', 'http://evil.com'],
  ['HXXP://evil.com', 'http://evil.com'],
  ['hxxps://evil.com', 'https://evil.com'],
  ['hXXps://evil.com/x', 'https://evil.com/x'],
  ['fxp://files.evil.com', 'ftp://files.evil.com'],
  ['hxxp[://]evil.com', 'http://evil.com'],
  ['hxxp[:]//evil.com', 'http://evil.com'],
  ['http[://]evil.com', 'http://evil.com'],
  ['evil[.]com', 'evil.com'],
  ['evil(.)com', 'evil.com'],
  ['evil{.}com', 'evil.com'],
  ['evil[dot]com', 'evil.com'],
  ['evil(dot)com', 'evil.com'],
  ['evil[DOT]com', 'evil.com'],
  ['evil(Dot)com', 'evil.com'],
  ['1[.]2[.]3[.]4', '1.2.3.4'],
  ['2001:db8[:]1', '2001:db8:1'],
  ['user[@]evil.com', 'user@evil.com'],
  ['user(at)evil(dot)com', 'user@evil.com'],
  ['user[at]evil[dot]com', 'user@evil.com'],
  ['user(AT)evil.com', 'user@evil.com'],
  ['  hxxp://evil[.]com/a  ', 'http://evil.com/a'],
  ['hxxp://evil[.]com/file[.]exe', 'http://evil.com/file.exe'],
  // Parenthesised tokens are legal URL path characters (RFC 3986 §2.2) and stay in the path.
  ['hxxp://evil(.)com/a(.)php', 'http://evil.com/a(.)php'],
  ['hxxp://evil(dot)com?q=(at)', 'http://evil.com?q=(at)'],
  ['[.][.]', '..'],
  ['[[.]]', '.'], // nested: refang repeats until nothing changes (idempotent)
];

/** Real values that contain nothing defanged: only surrounding whitespace may change. */
const UNCHANGED: readonly string[] = [
  'example.com',
  'http://example.com/a/b?c=d#e',
  'https://en.wikipedia.org/wiki/Dot_(dot)',
  'https://example.com/search?q=(at)home',
  'http://example.com/hxxp://nested',
  'http://[2001:db8::1]:8080/',
  'http://[::]/',
  '[::1]',
  '::ffff:1.2.3.4',
  'user@example.com',
  "o'brien@example.com",
  'CVE-2024-3094',
  'd41d8cd98f00b204e9800998ecf8427e',
  'hxxpexample.com',
  'fxpsomething',
  'dot.at.example.com',
  'a\\b',
  "' OR '1'='1",
  '',
  '[',
  '(',
  '[dot',
  '(.',
];

describe('refang', () => {
  for (const [input, expected] of REFANGED) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(refang(input), expected);
    });
  }

  for (const input of UNCHANGED) {
    it(`leaves ${JSON.stringify(input)} unchanged`, () => {
      assert.equal(refang(input), input);
      assert.equal(refang(` ${input}\t`), input.trim());
    });
  }

  it('only rewrites the scheme at the start of the value', () => {
    assert.equal(refang('x hxxp://a'), 'x hxxp://a');
  });

  it('paren tokens are replaced in a non-URL value (e.g. after the "@")', () => {
    assert.equal(refang('a(at)b(.)c'), 'a@b.c');
  });

  it('reads hostile input (1 MB of token prefixes) to the end without growing it (its time is measured by npm run fuzz)', () => {
    const hostile = ['[', '[.', '[do', '(', '(d', '(.', '{', '{.', 'hxxp', '[://'].map((p) => p.repeat(Math.ceil(1_000_000 / p.length)));
    for (const input of hostile) {
      const out = refang(input);
      assert.ok(out.length <= input.length, `grew on ${JSON.stringify(input.slice(0, 10))}…`);
    }
    assert.equal(refang('[.]'.repeat(300_000)), '.'.repeat(300_000));
  });
});
