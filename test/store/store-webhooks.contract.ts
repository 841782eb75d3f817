import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewWebhook } from '../../src/domain/webhooks.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/** The webhook role (store.ts WebhookStore), against each implementation: webhooks, the delivery queue, run IOCs. */
export function storeWebhooksContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  const now = Date.UTC(2026, 4, 17, 12);
  const hook = (over: Partial<NewWebhook> = {}): NewWebhook => ({
    accountId: null, name: 'soc', url: 'https://hooks.example.com/x', format: 'json', events: ['source.failing'], sectors: [], minConfidence: 70,
    secret: 'whsec_0123456789abcdef0123456789', enabled: true, createdAt: now, createdBy: null, ...over,
  });
  const delivery = (webhookId: number, n: number) => ({ uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, webhookId, event: 'source.failing' as const, body: `{"n":${n}}` });

  describe(`Store webhooks: ${name}`, () => {
    it('creates, reads, changes and removes webhooks; every field round-trips; lists by owner with keyset paging', withStore(async (store) => {
      const acct = await store.createAccount('a@example.com', 'pro', now, ['analyst']);
      const g = await store.createWebhook(hook({ sectors: ['energy', 'dams'], events: ['iocs.sector', 'allowlist.hit'], format: 'teams', minConfidence: 85 }));
      assert.deepEqual(await store.getWebhook(g.id), {
        id: g.id, accountId: null, name: 'soc', url: 'https://hooks.example.com/x', format: 'teams', events: ['iocs.sector', 'allowlist.hit'], sectors: ['energy', 'dams'],
        minConfidence: 85, secret: 'whsec_0123456789abcdef0123456789', enabled: true, createdAt: now, createdBy: null,
        lastAttemptAt: null, lastStatus: null, lastError: null, lastDeliveredAt: null,
      });
      const mine = [];
      for (let i = 0; i < 3; i++) mine.push(await store.createWebhook(hook({ accountId: acct.id, createdBy: acct.id, name: `mine ${i}` })));
      assert.deepEqual((await store.listWebhooks({ limit: 10 })).items.map((w) => w.id), [g.id, ...mine.map((w) => w.id)]);
      assert.deepEqual((await store.listWebhooks({ limit: 10, accountId: null })).items.map((w) => w.id), [g.id]);
      const p1 = await store.listWebhooks({ limit: 2, accountId: acct.id });
      assert.deepEqual(p1.items.map((w) => w.name), ['mine 0', 'mine 1']);
      const p2 = await store.listWebhooks({ limit: 2, accountId: acct.id, after: p1.next! });
      assert.deepEqual(p2, { items: [mine[2]], next: null });
      const changed = await store.updateWebhook(mine[0]!.id, { enabled: false, events: ['source.stale'], url: 'https://other.example/y', secret: 'whsec_newnewnewnewnewnewnewnew' });
      assert.equal(changed?.enabled, false);
      assert.deepEqual(changed?.events, ['source.stale']);
      assert.equal(changed?.secret, 'whsec_newnewnewnewnewnewnewnew');
      assert.equal(changed?.name, 'mine 0', 'what the change leaves out stays');
      assert.deepEqual(await store.updateWebhook(mine[0]!.id, {}), changed, 'an empty change changes nothing');
      assert.equal(await store.updateWebhook(999_999, { enabled: true }), undefined);
      assert.equal(await store.deleteWebhook(g.id), true);
      assert.equal(await store.deleteWebhook(g.id), false);
      assert.equal(await store.getWebhook(g.id), undefined);
    }));

    it('claims due deliveries once, one per webhook, pushed past the lease; a lapsed lease makes it due again', withStore(async (store) => {
      const a = await store.createWebhook(hook());
      const b = await store.createWebhook(hook({ name: 'b' }));
      const ids = await store.enqueueDeliveries([delivery(a.id, 1), delivery(a.id, 2), delivery(b.id, 3)], now);
      assert.equal(ids.length, 3);
      assert.deepEqual(await store.claimDeliveries({ now: now - 1, leaseMs: 60_000, limit: 10 }), [], 'nothing is due before its time');
      const first = await store.claimDeliveries({ now, leaseMs: 60_000, limit: 10 });
      assert.deepEqual(first.map((d) => d.id), [ids[0], ids[2]], 'the oldest of each webhook');
      assert.equal(first[0]!.attempts, 1);
      assert.equal(first[0]!.nextAttemptAt, now + 60_000);
      assert.equal(first[0]!.url, a.url);
      assert.equal(first[0]!.secret, a.secret);
      assert.equal(first[0]!.body, '{"n":1}');
      // The second of webhook a is due too; its webhook is in flight here, so it is left out when excluded.
      assert.deepEqual((await store.claimDeliveries({ now, leaseMs: 60_000, limit: 10, exclude: [a.id, b.id] })).map((d) => d.id), []);
      assert.deepEqual((await store.claimDeliveries({ now, leaseMs: 60_000, limit: 10 })).map((d) => d.id), [ids[1]]);
      assert.deepEqual(await store.claimDeliveries({ now: now + 59_999, leaseMs: 60_000, limit: 10 }), [], 'claimed rows are not due within the lease');
      const again = await store.claimDeliveries({ now: now + 60_000, leaseMs: 60_000, limit: 10 });
      assert.deepEqual(again.map((d) => [d.id, d.attempts]), [[ids[0], 2], [ids[2], 2]], 'a lapsed claim (its worker died) is taken again, counted');
    }));

    it('two claims at once never take the same delivery', withStore(async (store) => {
      const hooks = [];
      for (let i = 0; i < 6; i++) hooks.push(await store.createWebhook(hook({ name: `h${i}` })));
      await store.enqueueDeliveries(hooks.map((h, i) => delivery(h.id, i)), now);
      const [x, y] = await Promise.all([
        store.claimDeliveries({ now, leaseMs: 60_000, limit: 4 }),
        store.claimDeliveries({ now, leaseMs: 60_000, limit: 4 }),
      ]);
      const taken = [...x!, ...y!].map((d) => d.id);
      assert.equal(new Set(taken).size, taken.length, 'no delivery twice');
      const rest = await store.claimDeliveries({ now, leaseMs: 60_000, limit: 10 });
      assert.equal(taken.length + rest.length, 6, 'every one taken exactly once');
    }));

    it('records attempts: pending with its retry time, delivered, failed; the webhook keeps the last outcome', withStore(async (store) => {
      const w = await store.createWebhook(hook());
      const [id] = await store.enqueueDeliveries([delivery(w.id, 1)], now);
      await store.claimDeliveries({ now, leaseMs: 60_000, limit: 1 });
      await store.finishAttempt(id!, { state: 'pending', status: 500, error: 'HTTP 500', at: now + 5, retryAt: now + 30_005 });
      let d = await store.getDelivery(id!);
      assert.deepEqual([d?.state, d?.lastStatus, d?.lastError, d?.nextAttemptAt, d?.deliveredAt], ['pending', 500, 'HTTP 500', now + 30_005, null]);
      let hookNow = await store.getWebhook(w.id);
      assert.deepEqual([hookNow?.lastAttemptAt, hookNow?.lastStatus, hookNow?.lastError, hookNow?.lastDeliveredAt], [now + 5, 500, 'HTTP 500', null]);
      assert.deepEqual(await store.claimDeliveries({ now: now + 30_004, leaseMs: 60_000, limit: 1 }), [], 'not before its retry time');
      const [retry] = await store.claimDeliveries({ now: now + 30_005, leaseMs: 60_000, limit: 1 });
      assert.equal(retry?.attempts, 2);
      await store.finishAttempt(id!, { state: 'delivered', status: 204, at: now + 30_010 });
      d = await store.getDelivery(id!);
      assert.deepEqual([d?.state, d?.lastStatus, d?.lastError, d?.deliveredAt], ['delivered', 204, null, now + 30_010]);
      hookNow = await store.getWebhook(w.id);
      assert.deepEqual([hookNow?.lastStatus, hookNow?.lastError, hookNow?.lastDeliveredAt], [204, null, now + 30_010]);
      assert.deepEqual(await store.claimDeliveries({ now: now + 10_000_000, leaseMs: 60_000, limit: 1 }), [], 'a delivered one is never claimed again');
      assert.deepEqual(await store.claimDeliveries({ now: now + 10_000_000, leaseMs: 60_000, limit: 1, id: id! }), [], 'not even by id');
      const [other] = await store.enqueueDeliveries([delivery(w.id, 2)], now);
      await store.finishAttempt(other!, { state: 'failed', status: null, error: 'ECONNREFUSED', at: now + 7 });
      assert.equal((await store.getDelivery(other!))?.state, 'failed');
      assert.equal((await store.getWebhook(w.id))?.lastDeliveredAt, now + 30_010, 'a failure keeps the last success time');
    }));

    it('a disabled webhook\'s deliveries wait; by id one is claimed before it is due', withStore(async (store) => {
      const w = await store.createWebhook(hook({ enabled: false }));
      const [id] = await store.enqueueDeliveries([delivery(w.id, 1)], now);
      assert.deepEqual(await store.claimDeliveries({ now, leaseMs: 1000, limit: 5 }), []);
      await store.updateWebhook(w.id, { enabled: true });
      const [later] = await store.enqueueDeliveries([delivery(w.id, 2)], now, now + 60_000);
      assert.deepEqual((await store.claimDeliveries({ now, leaseMs: 1000, limit: 5 })).map((d) => d.id), [id]);
      assert.deepEqual((await store.claimDeliveries({ now, leaseMs: 1000, limit: 5, id: later! })).map((d) => d.id), [later]);
    }));

    it('lists a webhook\'s deliveries newest first; prunes old finished ones, never pending ones; removing a webhook removes its deliveries', withStore(async (store) => {
      const w = await store.createWebhook(hook());
      const ids = await store.enqueueDeliveries([1, 2, 3, 4, 5].map((n) => delivery(w.id, n)), now);
      const p1 = await store.listDeliveries(w.id, { limit: 2 });
      assert.deepEqual(p1.items.map((d) => d.id), [ids[4], ids[3]]);
      const p2 = await store.listDeliveries(w.id, { limit: 10, before: p1.next! });
      assert.deepEqual(p2.items.map((d) => d.id), [ids[2], ids[1], ids[0]]);
      assert.equal(p2.next, null);
      await store.finishAttempt(ids[0]!, { state: 'delivered', status: 200, at: now });
      await store.finishAttempt(ids[1]!, { state: 'failed', status: 410, error: 'HTTP 410', at: now });
      const [fresh] = await store.enqueueDeliveries([delivery(w.id, 6)], now + 10);
      await store.finishAttempt(fresh!, { state: 'delivered', status: 200, at: now + 10 });
      assert.equal(await store.pruneDeliveries(now + 1), 2, 'the two finished before the cut');
      assert.deepEqual((await store.listDeliveries(w.id, { limit: 10 })).items.map((d) => d.id), [fresh, ids[4], ids[3], ids[2]]);
      await store.deleteWebhook(w.id);
      assert.equal(await store.getDelivery(ids[4]!), undefined);
    }));

    it('runIocs: the active IOCs a run inserted, at or above a score, in watched sectors (any when none); counted and capped', withStore(async (store) => {
      await store.upsertSource(source({ id: 'feed', reliability: 0.9 }));
      await store.upsertSource(source({ id: 'other', reliability: 0.9 }));
      const old = now - 3_600_000;
      await store.upsertObservations('feed', [observation({ type: 'domain', value: 'old.example', sectors: ['energy'], confidence: 95 })], old);
      const batch = [
        observation({ type: 'domain', value: 'a.example', sectors: ['energy'], confidence: 95 }),
        observation({ type: 'domain', value: 'b.example', sectors: ['energy', 'dams'], confidence: 95 }),
        observation({ type: 'domain', value: 'c.example', sectors: ['dams'], confidence: 10 }),
        observation({ type: 'ipv4', value: '198.51.100.7', sectors: [], confidence: 95 }),
        observation({ type: 'domain', value: 'old.example', sectors: ['energy'], confidence: 95 }),
      ];
      await store.upsertObservations('feed', batch, now);
      await store.upsertObservations('other', [observation({ type: 'domain', value: 'z.example', sectors: ['energy'], confidence: 95 })], now);
      const scores = new Map((await store.queryIocs({ status: 'active', limit: 100 })).items.map((i) => [i.value, i.score]));
      const min = Math.min(scores.get('a.example')!, scores.get('b.example')!);
      assert.ok(scores.get('c.example')! < min, 'the low-confidence value scores lower (the test needs it)');
      const energy = await store.runIocs({ source: 'feed', since: now, sectors: ['energy'], minScore: min, limit: 10, countCap: 100 });
      assert.deepEqual(energy.items.map((i) => i.value), ['a.example', 'b.example'], 'not the IOC added before the run, nor another source\'s');
      assert.equal(energy.count, 2);
      assert.deepEqual({ ...energy.items[1], sectors: [...energy.items[1]!.sectors].sort() }, { type: 'domain', value: 'b.example', score: scores.get('b.example'), sectors: ['dams', 'energy'] });
      const both = await store.runIocs({ source: 'feed', since: now, sectors: ['energy', 'dams'], minScore: 0, limit: 10, countCap: 100 });
      assert.deepEqual(both.items.map((i) => i.value).sort(), ['a.example', 'b.example', 'c.example'], 'an IOC of two watched sectors once');
      assert.equal(both.count, 3);
      const any = await store.runIocs({ source: 'feed', since: now, sectors: [], minScore: min, limit: 10, countCap: 100 });
      assert.deepEqual(any.items.map((i) => i.value).sort(), ['198.51.100.7', 'a.example', 'b.example'].filter((v) => scores.get(v)! >= min).sort());
      const capped = await store.runIocs({ source: 'feed', since: now, sectors: [], minScore: 0, limit: 1, countCap: 2 });
      assert.equal(capped.count, 2, 'counted up to the cap');
      assert.equal(capped.items.length, 1);
      assert.deepEqual(await store.runIocs({ source: 'feed', since: now + 1, sectors: ['energy'], minScore: 0, limit: 10, countCap: 100 }), { count: 0, items: [] });
    }));
  });
}
