import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, clip, diffVersions, versionHistory } from '../../web/src/lib/version-diff.js';

/** Issue 16, IOC detail: what changed from one STIX version to the next, computed in the page. */
describe('version diff (web/src/lib/version-diff.ts)', () => {
  const v1 = {
    type: 'indicator', id: 'indicator--1', modified: '2026-01-01T00:00:00.000Z', confidence: 85,
    external_references: [{ source_name: 'feed-a' }], labels: ['x'],
  };
  const v2 = {
    type: 'indicator', id: 'indicator--1', modified: '2026-01-02T00:00:00.000Z', confidence: 90,
    external_references: [{ source_name: 'feed-a' }, { source_name: 'feed-b' }], revoked: true,
  };

  it('lists fields added, removed and changed, each with its values as JSON; modified is not a change', () => {
    const d = diffVersions(v1, v2);
    assert.deepEqual(d.added, [{ field: 'revoked', after: 'true' }]);
    assert.deepEqual(d.removed, [{ field: 'labels', before: '["x"]' }]);
    assert.deepEqual(d.changed, [
      { field: 'confidence', before: '85', after: '90' },
      { field: 'external_references', before: '[{"source_name":"feed-a"}]', after: '[{"source_name":"feed-a"},{"source_name":"feed-b"}]' },
    ]);
  });

  it('the same object with its keys in another order is no change; a list in another order is one', () => {
    assert.deepEqual(diffVersions({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } }), { added: [], removed: [], changed: [] });
    assert.equal(diffVersions({ a: [1, 2] }, { a: [2, 1] }).changed.length, 1);
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
  });

  it('a property set to undefined counts as absent', () => {
    assert.deepEqual(diffVersions({ a: 1, b: undefined }, { a: 1 }), { added: [], removed: [], changed: [] });
  });

  it('a history newest first pairs each version with the one before it; the oldest has no diff', () => {
    const v3 = { ...v2, modified: '2026-01-03T00:00:00.000Z', confidence: 95 };
    const h = versionHistory([{ object: v3 }, { object: v2 }, { object: v1 }]);
    assert.equal(h.length, 3);
    assert.deepEqual(h[0]!.diff?.changed.map((c) => c.field), ['confidence']);
    assert.deepEqual(h[1]!.diff, diffVersions(v1, v2));
    assert.equal(h[2]!.diff, null);
    assert.deepEqual(versionHistory([]), []);
  });

  it('clips long values for display', () => {
    assert.equal(clip('abc', 5), 'abc');
    assert.equal(clip('abcdef', 5), 'abcd…');
    assert.equal(clip(undefined), '');
  });
});
