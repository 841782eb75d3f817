import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyBinary, type CopyType } from '../../src/store/postgres/copy-binary.js';

/** Reads COPY's binary format back as PostgreSQL does (header, rows of length-prefixed fields, trailer). */
function decode(buf: Buffer, types: readonly CopyType[]): unknown[][] {
  assert.deepEqual([...buf.subarray(0, 11)], [...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')], 'signature');
  assert.equal(buf.readInt32BE(11), 0, 'flags');
  assert.equal(buf.readInt32BE(15), 0, 'header extension');
  let at = 19;
  const rows: unknown[][] = [];
  for (;;) {
    const fields = buf.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    assert.equal(fields, types.length);
    const row: unknown[] = [];
    for (const type of types) {
      const len = buf.readInt32BE(at);
      at += 4;
      if (len === -1) {
        row.push(null);
        continue;
      }
      const bytes = buf.subarray(at, at + len);
      at += len;
      if (type === 'bigint') {
        assert.equal(len, 8);
        row.push(Number(bytes.readBigInt64BE(0)));
      } else if (type === 'integer') {
        assert.equal(len, 4);
        row.push(bytes.readInt32BE(0));
      } else if (type === 'boolean') {
        assert.equal(len, 1);
        row.push(bytes[0] === 1);
      } else {
        row.push(bytes.toString('utf8'));
      }
    }
    rows.push(row);
  }
  assert.equal(at, buf.length, 'nothing after the trailer');
  return rows;
}

const encode = (types: readonly CopyType[], rows: unknown[][], size = 1) => {
  const data = new CopyBinary(size);
  for (const row of rows) {
    data.row(types.length);
    row.forEach((v, i) => data.field(types[i]!, v));
  }
  return data.done();
};

describe('COPY binary encoding', () => {
  it('writes NULLs, booleans, int4 and int8 (both signs, both halves of 2^32) as PostgreSQL reads them', () => {
    const types: CopyType[] = ['bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'integer', 'integer', 'integer', 'boolean', 'boolean', 'text'];
    const row = [0, -1, 4_294_967_296, 1_795_913_782_039_999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2_147_483_647, -2_147_483_648, 73, true, false, null];
    const rows = [row, [...row.slice(0, 11), 'x']];
    assert.deepEqual(decode(encode(types, rows), types), rows);
  });

  it('writes text as its UTF-8 bytes, short or long, ASCII or not, with nothing escaped', () => {
    const texts = ['', 'plain', 'évité ☠ 𝕏', 'a\\b\tc\nd\re', 'y'.repeat(64), `ä${'w'.repeat(70)}`, JSON.stringify({ pattern: "[url:value = 'http://a\\b']", d: 'x'.repeat(700) })];
    const types = texts.map((): CopyType => 'text');
    assert.deepEqual(decode(encode(types, [texts]), types), [texts]);
  });

  it('grows from any starting size, across many rows', () => {
    const types: CopyType[] = ['bigint', 'text', 'boolean'];
    const rows = Array.from({ length: 3000 }, (_, i) => [i * 1_000_003, `v${'x'.repeat(i % 700)}`, i % 2 === 0]);
    assert.deepEqual(decode(encode(types, rows, 1), types), rows);
  });

  it('refuses a value that does not fit its column rather than send a row the server would misread', () => {
    const data = new CopyBinary(16);
    data.row(1);
    assert.throws(() => data.field('bigint', 1.5), /not a bigint/);
    assert.throws(() => data.field('bigint', '12'), /not a bigint/);
    assert.throws(() => data.field('integer', 2 ** 31), /not an integer/);
    assert.throws(() => data.field('boolean', 1), /not a boolean/);
  });
});
