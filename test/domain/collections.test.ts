import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_COLLECTIONS, builtinCollectionOfStixTypes, builtinIocStixTypes, builtinMemberships } from '../../src/domain/collections.js';
import { IOC_TYPES, stixTypeOf } from '../../src/domain/ioc-types.js';
import { SECTORS } from '../../src/domain/sectors.js';

describe('built-in collections: the types they may hold', () => {
  // Every kind of version: each type, scores across the bands, no sector, one, several.
  const facts = IOC_TYPES.flatMap((type) => [0, 29, 30, 69, 70, 100].flatMap((score) =>
    [[], [SECTORS[0]!], [...SECTORS]].map((sectors) => ({ type, score, sectors }))));

  it('a version belongs only to collections that list its type; a collection by type holds every version of its types', () => {
    for (const f of facts) {
      const memberships = builtinMemberships(f);
      for (const c of BUILTIN_COLLECTIONS) {
        if (memberships.includes(c.alias)) assert.ok(c.iocTypes.includes(f.type), `${c.alias} holds ${f.type}`);
        if (c.byType) assert.equal(memberships.includes(c.alias), c.iocTypes.includes(f.type), `${c.alias} ${JSON.stringify(f)}`);
      }
    }
    // all-iocs holds everything.
    assert.ok(facts.every((f) => builtinMemberships(f).includes('all-iocs')));
  });

  it('tells the STIX types of the IOC versions of each collection, and which collection by type holds exactly some', () => {
    assert.deepEqual([...builtinIocStixTypes('all-iocs')!].sort(), ['indicator', 'vulnerability']);
    assert.deepEqual([...builtinIocStixTypes('cves')!], ['vulnerability']);
    assert.deepEqual([...builtinIocStixTypes('ips')!], ['indicator']);
    assert.deepEqual([...builtinIocStixTypes('sector-energy')!].sort(), ['indicator', 'vulnerability']);
    assert.equal(builtinIocStixTypes('team'), undefined);
    assert.equal(builtinCollectionOfStixTypes(new Set(['vulnerability'])), 'cves');
    // No single collection by type holds every indicator, nor both types.
    assert.equal(builtinCollectionOfStixTypes(new Set(['indicator'])), undefined);
    assert.equal(builtinCollectionOfStixTypes(new Set(['indicator', 'vulnerability'])), undefined);
    assert.deepEqual(IOC_TYPES.filter((t) => stixTypeOf(t) === 'vulnerability'), ['cve']);
  });
});
