import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { LookupService } from '../../src/rest/lookup-service.js';
import type { AllowListStore, IocLookup } from '../../src/store/store.js';
import type { IocMatch } from '../../src/store/types.js';

/**
 * The look-up service over a scripted store: chunks are asked of the store ahead of the one being judged, so their
 * answers may come back in any order; the verdicts must not depend on it.
 */
function scriptedStore(delays: number[]): IocLookup & AllowListStore & { scans: number } {
  const network: IocMatch = {
    id: 'indicator--00000000-0000-4000-8000-000000000001', type: 'ipv4', value: '10.1.2.0/24', status: 'active', score: 80,
    tags: [], malware: [], sectors: [], tlp: 'clear', sightings: [{ source: 'feed', firstSeen: 0, lastSeen: 0, endedAt: null }],
  };
  const store = {
    scans: 0,
    async networkPrefixLengths(type: 'ipv4' | 'ipv6') {
      return type === 'ipv4' ? [24] : [];
    },
    async networksInRanges(type: 'ipv4' | 'ipv6', ranges: ReadonlyArray<readonly [string, string]>) {
      // The first scan is the slowest: the chunks after it are judged before it answers unless they wait for it.
      await sleep(delays[store.scans++] ?? 0);
      return type === 'ipv4' && ranges.some(([lo, hi]) => lo <= network.value && network.value < hi) ? [network.value] : [];
    },
    async lookupValues(keys: ReadonlyArray<{ type: string; value: string }>) {
      return keys.some((k) => k.type === 'ipv4' && k.value === network.value) ? [network] : [];
    },
    async listAllowEntries() {
      return { items: [], next: null };
    },
  };
  return store as unknown as IocLookup & AllowListStore & { scans: number };
}

describe('LookupService', () => {
  it('judges every chunk with the networks of its buckets, also when the scan of a bucket that an earlier chunk started answers last', async () => {
    const plans = loadConfig({}, '/nonexistent').plans;
    const store = scriptedStore([60, 0, 0, 0]);
    const service = new LookupService(store, plans);
    // 1,500 addresses of one /16 bucket in three chunks of 500: only the first chunk scans the bucket.
    const values = Array.from({ length: 1500 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const { data } = await service.lookupMany({ json: values }, 'admin');
    assert.equal(data.length, 1500);
    assert.equal(store.scans, 1, 'one scan for the bucket, shared by the chunks');
    assert.equal(data.filter((r) => r.verdict === 'listed-network').length, 256);
    for (const r of data) {
      const inside = r.value.startsWith('10.1.2.');
      assert.equal(r.verdict, inside ? 'listed-network' : 'unknown', r.value);
      if (inside) assert.deepEqual(r.matched, { type: 'ipv4', value: '10.1.2.0/24' });
    }
  });
});
