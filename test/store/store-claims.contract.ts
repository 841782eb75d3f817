import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreOf, validUntil } from '../../src/domain/scoring.js';
import type { Ioc, Observation } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';

/**
 * A submitted valid_until (store/ioc-reconcile.ts claimCap), against each implementation: the claim is kept on the
 * submitting source's sighting, caps the IOC's valid_until while every live sighting claims one, is replaced by the
 * source's next submission, and the expiry pass revokes the IOC at the cap. Time is the stores' clock parameters.
 */
export function storeClaimsContract(name: string, makeStore: () => Promise<TestStore>): void {
  const DAY = 86_400_000;
  const T0 = Date.UTC(2026, 4, 17, 12);
  const withStore = (fn: (s: TestStore) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await store.upsertSource(source({ id: 'submit-1', reliability: 0.6, tlp: 'amber' }));
      await store.upsertSource(source({ id: 'submit-2', reliability: 0.6, tlp: 'amber' }));
      await store.upsertSource(source({ id: 'feed', reliability: 0.8 }));
      await fn(store);
    } finally {
      await store.close();
    }
  };
  /** A domain (300 days of life: the model's valid_until is far beyond the claims here) seen at `seen`. */
  const domain = (value: string, seen: number, expiresAt?: number | null): Observation =>
    observation({ type: 'domain', value, firstSeen: seen, lastSeen: seen, ...(expiresAt !== undefined ? { expiresAt } : {}) });
  const byValue = async (store: TestStore, value: string): Promise<Ioc> => {
    const ioc = (await store.queryIocs({ status: 'all', value, limit: 1 })).items[0];
    assert.ok(ioc, `${value} is stored`);
    return ioc;
  };
  const claimOf = async (store: TestStore, id: string, src: string) => (await store.getIoc(id))?.sightings.find((s) => s.source === src)?.expiresAt;
  /** valid_until and revoked of the latest STIX version, and how many versions the object has. */
  const stix = async (store: TestStore, id: string) => {
    const versions = await store.listVersions(id);
    const last = JSON.parse(versions.at(-1)!.json) as { valid_until: string; revoked?: boolean };
    return { validUntil: Date.parse(last.valid_until), revoked: last.revoked === true, versions: versions.length };
  };

  describe(`Store claims of validity (a submitted valid_until): ${name}`, () => {
    it('a claim caps valid_until, in the row and the STIX object; a claim later than the model leaves the model\'s', withStore(async (store) => {
      await store.upsertObservations('submit-1', [domain('claimed.example', T0, T0 + 10 * DAY), domain('later.example', T0, T0 + 1000 * DAY)], T0);
      const claimed = await byValue(store, 'claimed.example');
      assert.equal(claimed.validUntil, T0 + 10 * DAY);
      assert.equal(await claimOf(store, claimed.id, 'submit-1'), T0 + 10 * DAY, 'kept on the submitting source\'s sighting');
      assert.deepEqual(await stix(store, claimed.id), { validUntil: T0 + 10 * DAY, revoked: false, versions: 1 });
      const later = await byValue(store, 'later.example');
      const model = validUntil(60, 'domain', T0);
      assert.ok(model < T0 + 1000 * DAY);
      assert.equal(later.validUntil, model, 'the cap never extends the model');
      assert.equal((await stix(store, later.id)).validUntil, model);
    }));

    it('no cap while a feed lists it too (its sighting claims nothing); the cap comes back, as a new version, when the feed delists it', withStore(async (store) => {
      await store.upsertObservations('submit-1', [domain('both.example', T0, T0 + 10 * DAY)], T0);
      const id = (await byValue(store, 'both.example')).id;
      const run = await store.startRun('feed', T0 + DAY);
      await store.upsertObservations('feed', [domain('both.example', T0 + DAY)], T0 + DAY, { run });
      const listed = await byValue(store, 'both.example');
      assert.equal(await claimOf(store, id, 'feed'), null, 'a feed sighting claims nothing');
      assert.equal(listed.validUntil, validUntil(scoreOf([{ prior: 0.6, confidence: null }, { prior: 0.8, confidence: null }]), 'domain', T0 + DAY));
      assert.deepEqual(await stix(store, id), { validUntil: listed.validUntil, revoked: false, versions: 2 });
      assert.deepEqual(await store.decayIocs(T0 + 10 * DAY), { rescored: 0, revoked: 0, versions: 0 }, 'the claim has passed, the feed still lists it');
      assert.equal((await byValue(store, 'both.example')).status, 'active');

      // The feed's next snapshot no longer lists it: the submission's claim has passed, so no live evidence is left.
      const next = await store.startRun('feed', T0 + 11 * DAY);
      assert.equal(await store.endUnseenSightings('feed', next, T0 + 11 * DAY), 1);
      assert.equal((await byValue(store, 'both.example')).status, 'revoked');
      assert.deepEqual(await stix(store, id), { validUntil: listed.validUntil, revoked: true, versions: 3 });
    }));

    it('a feed delisting before the claim brings the cap back as a new version; the expiry pass revokes at the cap', withStore(async (store) => {
      await store.upsertObservations('submit-1', [domain('delisted.example', T0, T0 + 10 * DAY)], T0);
      const id = (await byValue(store, 'delisted.example')).id;
      await store.upsertObservations('feed', [domain('delisted.example', T0 + DAY)], T0 + DAY, { run: await store.startRun('feed', T0 + DAY) });
      assert.ok((await byValue(store, 'delisted.example')).validUntil > T0 + 100 * DAY);
      await store.endUnseenSightings('feed', await store.startRun('feed', T0 + 2 * DAY), T0 + 2 * DAY);
      const capped = await byValue(store, 'delisted.example');
      assert.equal(capped.status, 'active', 'the submission is still live evidence');
      assert.equal(capped.validUntil, T0 + 10 * DAY);
      assert.deepEqual(await stix(store, id), { validUntil: T0 + 10 * DAY, revoked: false, versions: 3 }, 'an earlier valid_until from a claim is a new version');
      assert.deepEqual(await store.decayIocs(T0 + 10 * DAY - 1), { rescored: 0, revoked: 0, versions: 0 });
      assert.deepEqual(await store.decayIocs(T0 + 10 * DAY), { rescored: 0, revoked: 1, versions: 1 });
      assert.equal((await byValue(store, 'delisted.example')).status, 'revoked');
      assert.deepEqual(await stix(store, id), { validUntil: T0 + 10 * DAY, revoked: true, versions: 4 });
    }));

    it('a later submission by the same source replaces its claim: an earlier date (a new version), or none (no expiry)', withStore(async (store) => {
      await store.upsertObservations('submit-1', [domain('again.example', T0, T0 + 10 * DAY)], T0);
      const id = (await byValue(store, 'again.example')).id;
      await store.upsertObservations('submit-1', [domain('again.example', T0 + DAY, T0 + 5 * DAY)], T0 + DAY);
      assert.equal(await claimOf(store, id, 'submit-1'), T0 + 5 * DAY);
      assert.equal((await byValue(store, 'again.example')).validUntil, T0 + 5 * DAY);
      assert.deepEqual(await stix(store, id), { validUntil: T0 + 5 * DAY, revoked: false, versions: 2 });

      await store.upsertObservations('submit-1', [domain('again.example', T0 + 2 * DAY, null)], T0 + 2 * DAY);
      assert.equal(await claimOf(store, id, 'submit-1'), null);
      const open = await byValue(store, 'again.example');
      assert.equal(open.validUntil, validUntil(60, 'domain', T0 + 2 * DAY), 'no claim: the model alone');
      assert.deepEqual(await stix(store, id), { validUntil: open.validUntil, revoked: false, versions: 3 }, 'a later week: a new version');
      assert.deepEqual(await store.decayIocs(T0 + 5 * DAY), { rescored: 0, revoked: 0, versions: 0 });
      assert.equal((await byValue(store, 'again.example')).status, 'active');

      // An observation that says nothing of validity (a feed's, a relisting) keeps the source's claim.
      await store.upsertObservations('submit-1', [domain('again.example', T0 + 6 * DAY, T0 + 30 * DAY)], T0 + 6 * DAY);
      await store.upsertObservations('submit-1', [domain('again.example', T0 + 7 * DAY)], T0 + 7 * DAY);
      assert.equal(await claimOf(store, id, 'submit-1'), T0 + 30 * DAY);
      assert.equal((await byValue(store, 'again.example')).validUntil, T0 + 30 * DAY);
    }));

    it('two sources claim: valid until the later claim; the earlier one passing is not evidence; revoked at the later', withStore(async (store) => {
      await store.upsertObservations('submit-1', [domain('two.example', T0, T0 + 10 * DAY)], T0);
      await store.upsertObservations('submit-2', [domain('two.example', T0, T0 + 20 * DAY)], T0);
      const two = await byValue(store, 'two.example');
      assert.equal(two.validUntil, T0 + 20 * DAY);
      assert.deepEqual(await store.decayIocs(T0 + 15 * DAY), { rescored: 0, revoked: 0, versions: 0 });
      assert.equal((await byValue(store, 'two.example')).status, 'active');
      // Past the first claim, a new observation rescores it on the one live sighting left (submit-2's).
      await store.upsertObservations('submit-2', [domain('two.example', T0 + 16 * DAY, T0 + 20 * DAY)], T0 + 16 * DAY);
      const rescored = await byValue(store, 'two.example');
      assert.equal(rescored.score, 60, 'submit-1\'s passed claim counts no more');
      assert.equal(rescored.validUntil, T0 + 20 * DAY);
      assert.deepEqual(await store.decayIocs(T0 + 20 * DAY), { rescored: 0, revoked: 1, versions: 1 });
      assert.equal((await byValue(store, 'two.example')).status, 'revoked');
      assert.equal((await stix(store, two.id)).revoked, true);
    }));
  });
}
