import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseDelimited } from '../../src/connectors/formats/delimited.js';
import { readDelimited } from '../../src/connectors/formats/delimited-shape.js';

const body = (text: string) => Readable.from([Buffer.from(text, 'utf8')]);
const collect = async <T>(gen: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
};

describe('CSV records (issue 13): one bad record costs one record, at its own line', () => {
  it('file import: an invalid closing quote is reported at its line, in the file\'s line numbers, and the records after it load', async () => {
    const items = await collect(parseDelimited(body('value,note\n198.51.100.1,x\n198.51.100.2,"a"b\n198.51.100.3,x\n198.51.100.4,x\n')));
    assert.deepEqual(items.map((it) => ('record' in it ? [it.record.line, it.record.value] : 'problem' in it ? [it.problem.line] : [])), [
      [2, '198.51.100.1'], [3], [4, '198.51.100.3'], [5, '198.51.100.4'],
    ]);
    const problem = items.find((it) => 'problem' in it);
    assert.ok(problem && 'problem' in problem);
    assert.match(problem.problem.reason, /^Invalid Closing Quote: got "b" at line 3 /);
  });

  it('feeds: lines with a quote mid-field stay at their own lines', async () => {
    const shape = { kind: 'delimited', header: 'first', fields: { value: 'value' } } as const;
    const items = await collect(readDelimited(body('value,note\nx"y\nx"y\n198.51.100.3,x\n198.51.100.4,x\n'), shape));
    assert.deepEqual(items.map((it) => ('record' in it ? [it.record.line, it.record.values[0]?.value] : 'problem' in it ? ['problem', it.problem.line] : [])), [
      [2, 'x"y'], [3, 'x"y'], [4, '198.51.100.3'], [5, '198.51.100.4'],
    ]);
  });

  it('many batches, a bad record in some: every good record kept at its line, each bad one reported once', async () => {
    const lines = ['value,note'];
    for (let i = 0; i < 20_000; i++) lines.push(i % 997 === 5 ? `bad${i},"a"b` : `198.51.${(i >> 8) & 255}.${i & 255},n${i}`);
    const items = await collect(parseDelimited(body(`${lines.join('\n')}\n`)));
    const records = items.flatMap((it) => ('record' in it ? [it.record] : []));
    const problems = items.flatMap((it) => ('problem' in it ? [it.problem] : []));
    const bad = lines.flatMap((l, i) => (l.startsWith('bad') ? [i + 1] : []));
    assert.deepEqual(problems.map((p) => p.line), bad);
    assert.equal(records.length, 20_000 - bad.length);
    for (const r of records) assert.ok(lines[r.line - 1]!.startsWith(`${r.value},`), `line ${r.line}`);
  });
});
