import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countVerdicts, listedValues, verdictWords } from '../../web/src/lib/lookup-verdicts.js';

/** Issue 16, Lookup: verdicts in human words, and "copy the listed ones" as real values. */
describe('lookup verdicts (web/src/lib/lookup-verdicts.ts)', () => {
  const items = [
    { value: 'http://evil.example.com/a', verdict: 'listed-host' as const },
    { value: '198.51.100.7', verdict: 'listed' as const },
    { value: '8.8.8.8', verdict: 'unknown' as const },
    { value: '203.0.113.9', verdict: 'listed-network' as const },
    { value: 'good.example', verdict: 'allowlisted' as const },
    { value: 'old.example', verdict: 'revoked' as const },
  ];

  it('names every verdict in words', () => {
    assert.deepEqual(items.map((i) => verdictWords(i.verdict)), ['Listed host', 'Listed', 'Unknown', 'Listed in a network', 'Allow-listed', 'Revoked']);
    assert.equal(verdictWords('something-new'), 'something-new');
  });

  it('copies the real values of listed, listed-network and listed-host, one per line, in order', () => {
    assert.equal(listedValues(items), 'http://evil.example.com/a\n198.51.100.7\n203.0.113.9');
    assert.equal(listedValues([]), '');
  });

  it('counts verdicts', () => {
    const c = countVerdicts([...items, { value: 'x', verdict: 'listed' as const }]);
    assert.equal(c.get('listed'), 2);
    assert.equal(c.get('unknown'), 1);
    assert.equal(c.get('nope'), undefined);
  });
});
