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
