import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyText } from '../../src/store/postgres/copy-text.js';

const encode = (rows: unknown[][], size = 1) => {
  const t = new CopyText(size);
  for (const row of rows) {
    row.forEach((v, i) => {
      if (i > 0) t.tab();
      t.field(v);
    });
    t.newline();
  }
  return t.done().toString('utf8');
};

describe('COPY text encoding', () => {
  it('writes NULL, booleans, integers and text as PostgreSQL reads them', () => {
    assert.equal(encode([[null, undefined, true, false]]), '\\N\t\\N\tt\tf\n');
    assert.equal(
      encode([[0, 7, -5, 10, 1795913782039999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.25, 1e21]]),
      '0\t7\t-5\t10\t1795913782039999\t9007199254740991\t-9007199254740991\t0.25\t1e+21\n',
    );
    assert.equal(encode([['', 'plain', 'évité ☠ 𝕏']]), '\tplain\tévité ☠ 𝕏\n');
  });

  it('writes every digit of integers on both sides of 1e8 (the two halves and the zeros between them)', () => {
    const numbers = [9, 99_999_999, 100_000_000, 100_000_001, 1_000_000_000_000_005, 4_200_000_000_000, 10_000_000_000_000_000 / 10, -100_000_005];
    assert.equal(encode([numbers]), `${numbers.map(String).join('\t')}\n`);
    for (let n = 1, i = 0; i < 53; n = n * 2 + (i % 3), i++) assert.equal(encode([[n]]), `${n}\n`);
  });

  it('escapes short and long text alike, and keeps text that is not ASCII whole', () => {
    const long = `{"name":"${'x'.repeat(80)}","pattern":"[url:value = 'http://a\\\\b']"}\t`;
    const cases = ['a\\b\tc', 'é\tè', `${'y'.repeat(63)}\n`, `${'z'.repeat(64)}\r`, long, `ä${'w'.repeat(70)}\\`];
    const expected = cases.map((t) => t.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
    assert.equal(encode([cases]), `${expected.join('\t')}\n`);
  });

  it('escapes the backslash and the three characters that would end a field or a row', () => {
    assert.equal(encode([['a\\b', 'tab\there', 'two\nlines', 'cr\rlf', String.raw`{"pattern":"[file:name = 'a\\'b']"}`]]),
      String.raw`a\\b	tab\there	two\nlines	cr\rlf	{"pattern":"[file:name = 'a\\\\'b']"}` + '\n');
  });

  it('grows from any starting size, across many rows', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [i, `v${'x'.repeat(i % 700)}`, i % 2 === 0]);
    const text = encode(rows, 1);
    const lines = text.split('\n');
    assert.equal(lines.length, 3001);
    assert.equal(lines[2999], `2999\tv${'x'.repeat(2999 % 700)}\tf`);
    assert.equal(lines[3000], '');
  });
});
