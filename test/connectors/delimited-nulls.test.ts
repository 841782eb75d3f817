import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { SourceRecord } from '../../src/connectors/formats/record.js';
import { readDelimited } from '../../src/connectors/formats/delimited-shape.js';
import type { DelimitedShape } from '../../src/connectors/catalog/source-definition.js';

async function records(text: string, shape: DelimitedShape): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const item of readDelimited(Readable.from([Buffer.from(text)]), shape)) if ('record' in item) out.push(item.record);
  return out;
}

/**
 * Issue 12 §2: delimited feeds write "no value" as `None` (URLhaus, ThreatFox), `n/a` (MalwareBazaar), `null`, `-` or
 * nothing. One shared rule for every delimited source: those spellings, trimmed and in any case, are no value.
 */
describe('delimited sources: the shared "no value" rule', () => {
  const shape: DelimitedShape = {
    kind: 'delimited',
    header: 'first',
    fields: { value: 'url', tags: { from: 'tags', split: ',' }, malware: 'family', confidence: 'score', reference: 'ref' },
  };
  const SPELLINGS = ['None', 'none', 'NONE', ' None ', 'null', 'NULL', 'Null', 'n/a', 'N/A', ' n/a', '-', ' - ', '', '  '];
  for (const nullish of SPELLINGS) {
    it(`${JSON.stringify(nullish)} is no value, in a list cell and in a scalar cell`, async () => {
      const text = `url,tags,family,score,ref\n"http://evil-example.top/a","${nullish}","${nullish}","${nullish}","${nullish}"\n"http://evil-example.top/b","elf,${nullish},mips","Mozi","80","https://x/1"\n`;
      const [a, b] = await records(text, shape);
      assert.deepEqual({ tags: a!.tags, malware: a!.malware, confidence: a!.confidence, reference: a!.reference }, { tags: [], malware: [], confidence: undefined, reference: undefined });
      assert.deepEqual(b!.tags, ['elf', 'mips']);
    });
  }

  it('a null value cell is no value: the record is skipped, not rejected', async () => {
    const items = [];
    for await (const item of readDelimited(Readable.from([Buffer.from('url,tags\nNone,x\n"n/a",y\n-,z\n')]), shape)) items.push(item);
    assert.deepEqual(items, [{ skipped: 'no value' }, { skipped: 'no value' }, { skipped: 'no value' }]);
  });

  it('words that only contain a null spelling are kept (Nonexistent, n/a-team, --)', async () => {
    const [s] = await records('url,tags\n"http://evil-example.top/","Nonexistent,n/a-team,--,nullsoft"\n', shape);
    assert.deepEqual(s!.tags, ['Nonexistent', 'n/a-team', '--', 'nullsoft']);
  });

  it("a source's own nulls still apply on top of the shared ones", async () => {
    const [r] = await records('url,tags\n"http://evil-example.top/","x,Unknown,None"\n', { ...shape, nulls: ['unknown'] });
    assert.deepEqual(r!.tags, ['x']);
  });
});
