import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stixObjectRecords } from '../../src/connectors/formats/stix-objects.js';
import { TLP2_MARKING_IDS, tlpOfMarkings } from '../../src/stix/tlp-markings.js';

const indicator = (extra: Record<string, unknown>) => ({
  type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
  created: '2026-05-01T00:00:00.000Z', modified: '2026-05-02T00:00:00.000Z', valid_from: '2026-05-01T00:00:00.000Z',
  pattern_type: 'stix', pattern: "[ipv4-addr:value = '203.0.113.5']", ...extra,
});

describe('STIX objects to records', () => {
  it('keeps the TLP of object_marking_refs, the most restrictive one, TLP 1.0 ids included', () => {
    assert.equal(tlpOfMarkings([TLP2_MARKING_IDS.green]), 'green');
    assert.equal(tlpOfMarkings([TLP2_MARKING_IDS.clear, TLP2_MARKING_IDS['amber+strict'], TLP2_MARKING_IDS.amber]), 'amber+strict');
    assert.equal(tlpOfMarkings(['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9']), 'clear');
    assert.equal(tlpOfMarkings(['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed']), 'red');
    assert.equal(tlpOfMarkings(['marking-definition--00000000-0000-4000-8000-000000000000']), undefined);
    assert.equal(tlpOfMarkings('nope'), undefined);
    const [item] = [...stixObjectRecords(indicator({ object_marking_refs: [TLP2_MARKING_IDS.green] }), 3)];
    assert.ok(item && 'record' in item);
    assert.equal(item.record.tlp, 'green');
    assert.equal(item.record.line, 3);
  });

  it('reads labels as tags and sector:<slug> labels as sectors; skips revoked objects', () => {
    const [item] = [...stixObjectRecords(indicator({ labels: ['c2', 'sector:energy'] }), 1)];
    assert.ok(item && 'record' in item);
    assert.deepEqual(item.record.tags, ['c2']);
    assert.deepEqual(item.record.sectors, ['energy']);
    assert.deepEqual([...stixObjectRecords(indicator({ revoked: true }), 1)], [{ skipped: 'indicator (revoked)' }]);
  });
});
