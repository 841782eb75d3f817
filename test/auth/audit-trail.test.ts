import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUDIT_DETAILS_BYTES, boundDetails, scrubKeys, StoreAuditTrail } from '../../src/auth/audit-trail.js';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { FailedSignIns } from '../../src/auth/failed-sign-ins.js';
import type { Actor, AuditEvent, AuditTrail } from '../../src/domain/audit.js';
import type { AuditLog } from '../../src/store/store.js';
import type { NewAuditRecord } from '../../src/store/types.js';
import { sqliteStore } from '../support/stores.js';

const admin: Actor = { accountId: 1, email: 'admin@example.com', keyPrefix: 'sk_live_AbCd1234', via: 'api', origin: '203.0.113.7' };

describe('StoreAuditTrail', () => {
  it('records into the store with the time stamped, every actor field and the details as given', async () => {
    const store = await sqliteStore();
    try {
      const trail = new StoreAuditTrail(store, () => Date.UTC(2026, 4, 17));
      await trail.record(admin, { action: 'allowlist.add', target: '*.example.net', details: { id: 3, revoked: 2 } });
      const [r] = (await store.listAudit({ limit: 10 })).items;
      assert.deepEqual({ ...r, id: 0 }, {
        id: 0, at: Date.UTC(2026, 4, 17), accountId: 1, email: 'admin@example.com', keyPrefix: 'sk_live_AbCd1234', via: 'api',
        origin: '203.0.113.7', action: 'allowlist.add', target: '*.example.net', details: { id: 3, revoked: 2 },
      });
      assert.equal(trail.failures, 0);
    } finally {
      await store.close();
    }
  });

  it('never throws into the caller: a failed write is counted and told to onFailure', async () => {
    const broken: AuditLog = { appendAudit: async () => { throw new Error('disk full'); }, listAudit: async () => ({ items: [], next: null }) };
    const trail = new StoreAuditTrail(broken);
    const lost: string[] = [];
    trail.onFailure = (err, event) => lost.push(`${event.action}: ${(err as Error).message}`);
    await trail.record(admin, { action: 'key.create', target: null, details: {} });
    assert.equal(trail.failures, 1);
    assert.deepEqual(lost, ['key.create: disk full']);
    trail.onFailure = () => { throw new Error('the logger too'); };
    await trail.record(admin, { action: 'key.create', target: null, details: {} });
    assert.equal(trail.failures, 2);
  });

  it('cuts anything shaped like an API key to its public prefix, in the target, the details and their keys', async () => {
    const { key } = generateApiKey();
    const seen: NewAuditRecord[] = [];
    const log: AuditLog = { appendAudit: async (r) => (seen.push(r), { ...r, id: 1 }), listAudit: async () => ({ items: [], next: null }) };
    await new StoreAuditTrail(log).record(admin, { action: 'x.y', target: `key ${key}`, details: { note: `oops ${key}`, list: [key], [key]: 1 } });
    const text = JSON.stringify(seen);
    assert.ok(!text.includes(key), 'the whole key is nowhere');
    assert.ok(text.includes(`${key.slice(0, 16)}…`));
    assert.equal(scrubKeys('sk_live_AbCd1234'), 'sk_live_AbCd1234', 'a public prefix alone stays');
  });

  it('bounds the details: long strings and lists are cut, and what cannot fit becomes its keys', () => {
    const small = { a: 1, b: 'two', c: [true, null], d: { e: 'f' } };
    assert.deepEqual(boundDetails(small), small);
    const big = boundDetails({ file: 'x'.repeat(20_000), values: Array.from({ length: 5000 }, (_, i) => `v${i}`), n: 3 });
    assert.ok(Buffer.byteLength(JSON.stringify(big)) <= AUDIT_DETAILS_BYTES);
    assert.equal(big.truncated, true);
    assert.equal(big.n, 3);
    assert.match(String(big.file), /^x+…$/);
    const wide = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, 'y'.repeat(300)]));
    const bounded = boundDetails(wide);
    assert.ok(Buffer.byteLength(JSON.stringify(bounded)) <= AUDIT_DETAILS_BYTES);
    assert.equal(bounded.truncated, true);
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 20; i++) at = (at.next = {}) as Record<string, unknown>;
    assert.ok(JSON.stringify(boundDetails(deep)).includes('…'), 'deep nesting is cut');
    assert.deepEqual(boundDetails({ n: Number.NaN, big: 10n, gone: undefined, at: new Date(0) }), { n: 'NaN', big: '10', at: '1970-01-01T00:00:00.000Z' });
  });
});

describe('FailedSignIns', () => {
  const recorder = () => {
    const records: Array<{ actor: Actor; event: AuditEvent }> = [];
    const trail: AuditTrail = { record: async (actor, event) => void records.push({ actor, event }) };
    return { records, trail };
  };

  it('one record when an address reaches the threshold within the window, none after in that window, one again in the next', async () => {
    const { records, trail } = recorder();
    let now = 1_000_000;
    const f = new FailedSignIns(trail, { threshold: 3, windowMs: 60_000, maxAddresses: 100 }, () => now);
    await f.failed('198.51.100.1', 'invalid API key');
    await f.failed('198.51.100.1', 'API key revoked');
    await f.failed('198.51.100.2', 'invalid API key');
    assert.equal(records.length, 0);
    await f.failed('198.51.100.1', 'invalid API key');
    assert.equal(records.length, 1);
    const [{ actor, event }] = records as [{ actor: Actor; event: AuditEvent }];
    assert.deepEqual(actor, { accountId: null, email: null, keyPrefix: null, via: 'api', origin: '198.51.100.1' });
    assert.equal(event.action, 'auth.failed_burst');
    assert.equal(event.target, '198.51.100.1');
    assert.deepEqual(event.details, {
      address: '198.51.100.1', failures: 3, window_seconds: 60, since: new Date(1_000_000).toISOString(),
      reasons: { 'invalid API key': 2, 'API key revoked': 1 },
    });
    for (let i = 0; i < 10; i++) await f.failed('198.51.100.1', 'invalid API key');
    assert.equal(records.length, 1, 'at most one per address per window');
    now += 60_000;
    for (let i = 0; i < 2; i++) await f.failed('198.51.100.1', 'invalid API key');
    assert.equal(records.length, 1, 'a new window counts from zero');
    await f.failed('198.51.100.1', 'invalid API key');
    assert.equal(records.length, 2);
  });

  it('follows a bounded number of addresses: ended windows go first, then the oldest', async () => {
    const { records, trail } = recorder();
    let now = 0;
    const f = new FailedSignIns(trail, { threshold: 2, windowMs: 1000, maxAddresses: 50 }, () => now);
    for (let i = 0; i < 5000; i++) {
      if (i % 100 === 0) now += 10;
      await f.failed(`10.0.${i >> 8}.${i & 255}`, 'invalid API key');
      assert.ok(f.size <= 50);
    }
    assert.equal(records.length, 0, 'one failure each: no burst');
  });
});
