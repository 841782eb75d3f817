import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decayedScore, NO_EXPIRY, validUntil } from '../../src/domain/scoring.js';
import type { Ioc, Observation, RunResult } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import type { WithStore } from './store.contract.js';

/** The store contract, ingestion: runs, snapshot delisting, relisting, decay and revocation. */
export function ingestionContract(withStore: WithStore): void {
  describe('ingestion: runs, delisting, decay', () => {
    const HOUR = 3_600_000;
    const DAY = 86_400_000;
    const T0 = Date.UTC(2026, 4, 17, 12);
    const byValue = async (store: TestStore, value: string) => {
      const ioc = (await store.queryIocs({ status: 'all', value, limit: 1 })).items[0];
      assert.ok(ioc, `${value} is stored`);
      return ioc;
    };
    const sightingBy = async (store: TestStore, id: string, src: string) => {
      const s = (await store.getIoc(id))?.sightings.find((x) => x.source === src);
      assert.ok(s, `${id} has a sighting by ${src}`);
      return s;
    };
    const ip = (value: string, lastSeen = T0, over: Partial<Observation> = {}) =>
      observation({ type: 'ipv4', value, firstSeen: lastSeen, lastSeen, ...over });
    const zero = { records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 0, error: null, etag: null, lastModified: null };

    it('records runs: the fields round-trip, the latest of each source, the last with given outcomes', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      await store.upsertSource(source({ id: 'b' }));
      const r1 = await store.startRun('a', T0);
      assert.deepEqual(await store.lastRun('a', ['running']), { id: r1, sourceId: 'a', startedAt: T0, finishedAt: null, outcome: 'running', ...zero });
      const ok: RunResult = {
        outcome: 'ok', records: 12, inserted: 7, updated: 3, unchanged: 1, delisted: 2, rejected: 1, excluded: 5, allowlisted: 4, bytes: 4096, error: null,
        etag: '"v1"', lastModified: 'Sun, 17 May 2026 11:00:00 GMT', finishedAt: T0 + 1500,
      };
      await store.finishRun(r1, ok);
      assert.deepEqual(await store.lastRun('a', ['ok']), { id: r1, sourceId: 'a', startedAt: T0, ...ok });
      assert.equal(await store.lastRun('a', ['running']), undefined, 'a finished run is no longer running');

      const r2 = await store.startRun('a', T0 + HOUR);
      const failed: RunResult = { ...zero, outcome: 'failed', records: 3, rejected: 3, excluded: 2, error: 'http: HTTP 500 after 2 attempts', finishedAt: T0 + HOUR + 20 };
      await store.finishRun(r2, failed);
      const r3 = await store.startRun('b', T0 + 2 * HOUR);
      const unchanged: RunResult = { ...zero, outcome: 'not-modified', etag: '"b7"', finishedAt: T0 + 2 * HOUR + 5 };
      await store.finishRun(r3, unchanged);
      assert.equal(new Set([r1, r2, r3]).size, 3, 'every run has its own id');

      const latest = (await store.latestRuns()).sort((x, y) => x.sourceId.localeCompare(y.sourceId));
      assert.deepEqual(latest, [
        { id: r2, sourceId: 'a', startedAt: T0 + HOUR, ...failed },
        { id: r3, sourceId: 'b', startedAt: T0 + 2 * HOUR, ...unchanged },
      ]);
      assert.equal((await store.lastRun('a', ['ok']))?.id, r1, 'the failure after it does not hide the last success');
      assert.equal((await store.lastRun('a', ['failed']))?.id, r2);
      assert.equal((await store.lastRun('a', ['ok', 'not-modified']))?.id, r1);
      assert.equal((await store.lastRun('a', ['ok', 'failed']))?.id, r2, 'the latest of several outcomes');
      assert.equal(await store.lastRun('a', ['skipped']), undefined);
      assert.equal(await store.lastRun('a', ['not-modified']), undefined, 'outcomes of another source do not count');
      assert.equal((await store.lastRun('b', ['not-modified']))?.etag, '"b7"');
      assert.equal(await store.lastRun('c', ['ok', 'failed', 'running']), undefined, 'a source without runs');
    }));

    it('startRun fails the interrupted running run of the same source, and only that one', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      await store.upsertSource(source({ id: 'b' }));
      const a0 = await store.startRun('a', T0 - HOUR);
      await store.finishRun(a0, { ...zero, outcome: 'ok', inserted: 4, finishedAt: T0 - HOUR + 10 });
      const a1 = await store.startRun('a', T0);
      const b1 = await store.startRun('b', T0);
      const a2 = await store.startRun('a', T0 + HOUR);

      const interrupted = await store.lastRun('a', ['failed']);
      assert.equal(interrupted?.id, a1);
      assert.equal(interrupted.startedAt, T0);
      assert.match(interrupted.error ?? '', /interrupted/);
      assert.equal((await store.lastRun('a', ['running']))?.id, a2, 'the new run is the running one');
      const done = await store.lastRun('a', ['ok']);
      assert.equal(done?.id, a0, 'a finished run is left alone');
      assert.equal(done.error, null);
      assert.equal(done.inserted, 4);
      assert.equal((await store.lastRun('b', ['running']))?.id, b1, "another source's running run is left alone");
      assert.equal(await store.lastRun('b', ['failed']), undefined);
      const latest = (await store.latestRuns()).sort((x, y) => x.sourceId.localeCompare(y.sourceId));
      assert.deepEqual(latest.map((r) => [r.sourceId, r.id, r.outcome]), [['a', a2, 'running'], ['b', b1, 'running']]);
    }));

    it('endUnseenSightings ends what a complete snapshot no longer lists and revokes what nothing else lists', withStore(async (store) => {
      await store.upsertSource(source({ id: 'snap', reliability: 0.8 }));
      const [A, B, C] = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];
      const r1 = await store.startRun('snap', T0);
      assert.deepEqual(await store.upsertObservations('snap', [ip(A), ip(B), ip(C)], T0, { run: r1 }), { inserted: 3, updated: 0, unchanged: 0, ignored: 0 });
      assert.equal(await store.endUnseenSightings('snap', r1, T0), 0, 'a run that saw everything delists nothing');
      const before = new Map<string, { ioc: Ioc; versions: number }>();
      for (const v of [A, B, C]) {
        const ioc = await byValue(store, v);
        before.set(v, { ioc, versions: (await store.listVersions(ioc.id)).length });
      }

      const t1 = T0 + HOUR;
      const r2 = await store.startRun('snap', t1);
      assert.deepEqual(await store.upsertObservations('snap', [ip(A), ip(B)], t1, { run: r2 }), { inserted: 0, updated: 0, unchanged: 2, ignored: 0 });
      assert.equal(await store.endUnseenSightings('snap', r2, t1), 1);

      const cId = before.get(C)!.ioc.id;
      const c = await store.getIoc(cId);
      assert.equal(c?.status, 'revoked');
      assert.equal(c.sightings.length, 1);
      assert.equal(c.sightings[0]!.endedAt, t1, "C's sighting ends at the delisting");
      assert.deepEqual((await store.queryIocs({ status: 'revoked', limit: 10 })).items.map((i) => i.value), [C]);
      assert.deepEqual((await store.queryIocs({ status: 'active', limit: 10 })).items.map((i) => i.value), [A, B]);
      const versions = await store.listVersions(cId);
      assert.equal(versions.length, before.get(C)!.versions + 1, 'one final version');
      const last = versions.at(-1)!;
      assert.equal(last.revoked, true);
      assert.equal(last.latest, true);
      const json = JSON.parse(last.json);
      assert.equal(json.id, cId);
      assert.equal(json.revoked, true);

      for (const v of [A, B]) {
        const { ioc, versions: n } = before.get(v)!;
        assert.deepEqual(await byValue(store, v), ioc, `${v} unchanged`);
        assert.equal((await sightingBy(store, ioc.id, 'snap')).endedAt, null, `${v}: sighting live`);
        assert.equal((await store.listVersions(ioc.id)).length, n, `${v}: no new version`);
      }
      assert.equal(await store.endUnseenSightings('snap', r2, t1 + 1), 0, 'an ended sighting is not ended twice');
    }));

    it('endUnseenSightings ends exactly the unseen sightings among many that share their instants, wherever they lie', withStore(async (store) => {
      // SQLite reads a source's sightings in windows (64 entries first, then 4× each, position-seek.ts past each window's
      // end): 600 sightings written 50 to an instant put window ends inside instants.
      await store.upsertSource(source({ id: 'snap', reliability: 0.8 }));
      await store.upsertSource(source({ id: 'other', reliability: 0.8 }));
      const values = Array.from({ length: 600 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
      const r1 = await store.startRun('snap', T0);
      for (let i = 0; i < values.length; i += 50) await store.upsertObservations('snap', values.slice(i, i + 50).map((v) => ip(v)), T0 + i, { run: r1 });
      // Some also listed by another source: their sighting ends, the IOC stays active.
      await store.upsertObservations('other', values.filter((_, i) => i % 5 === 0).map((v) => ip(v)), T0 + HOUR);
      const unseen = new Set(values.filter((_, i) => i % 37 === 0 || i % 50 === 49 || (i >= 60 && i < 70) || i === 599));
      const t1 = T0 + 2 * HOUR;
      const r2 = await store.startRun('snap', t1);
      await store.upsertObservations('snap', values.filter((v) => !unseen.has(v)).map((v) => ip(v, t1)), t1, { run: r2 });
      assert.equal(await store.endUnseenSightings('snap', r2, t1), unseen.size);
      const revoked = (await store.queryIocs({ status: 'revoked', limit: 10_000 })).items.map((i) => i.value).sort();
      assert.deepEqual(revoked, values.filter((v, i) => unseen.has(v) && i % 5 !== 0).sort());
      const active = await store.queryIocs({ status: 'active', limit: 10_000 });
      assert.equal(active.items.length, values.length - revoked.length);
      for (const v of [values[0]!, values[60]!, values[65]!]) {
        const ioc = await byValue(store, v);
        assert.equal((await sightingBy(store, ioc.id, 'snap')).endedAt, t1, `${v}: its snap sighting ended`);
        assert.equal(ioc.status, 'active', `${v}: still listed by other`);
      }
      assert.equal((await sightingBy(store, (await byValue(store, values[1]!)).id, 'snap')).endedAt, null);
      assert.equal(await store.endUnseenSightings('snap', r2, t1 + 1), 0, 'nothing ended twice');
    }));

    it('a value delisted by one source stays active on the evidence of the others', withStore(async (store) => {
      await store.upsertSource(source({ id: 's', reliability: 0.8 }));
      await store.upsertSource(source({ id: 't', name: 'Team list', reliability: 0.5 }));
      const [K, C2] = ['198.51.100.20', '198.51.100.22'];
      const r1 = await store.startRun('s', T0);
      await store.upsertObservations('s', [ip(K), ip(C2)], T0, { run: r1 });
      await store.upsertObservations('t', [ip(C2)], T0);
      const c2 = await byValue(store, C2);
      assert.equal(c2.score, 90); // 1 − 0.2 × 0.5

      const t1 = T0 + HOUR;
      const r2 = await store.startRun('s', t1);
      await store.upsertObservations('s', [ip(K)], t1, { run: r2 });
      assert.equal(await store.endUnseenSightings('s', r2, t1), 1);

      const after = await store.getIoc(c2.id);
      assert.equal(after?.status, 'active');
      assert.equal(after.id, c2.id, 'same STIX object');
      assert.equal(after.score, 50, "T's evidence alone");
      assert.equal(after.sightings.find((x) => x.source === 's')?.endedAt, t1);
      assert.equal(after.sightings.find((x) => x.source === 't')?.endedAt, null, "T's sighting is kept");
      assert.deepEqual((await store.queryIocs({ status: 'active', source: 't', limit: 10 })).items.map((i) => i.value), [C2]);
      const latest = (await store.listVersions(c2.id)).at(-1)!;
      assert.equal(latest.revoked, false);
      const json = JSON.parse(latest.json);
      assert.equal(json.confidence, 50, 'high → medium: a new version with the new score');
      assert.deepEqual(json.external_references.map((r: { source_name: string }) => r.source_name), ['t'], 'names only the live source');
    }));

    it('a delisted value listed again comes back active as a new STIX object (revoked is final)', withStore(async (store) => {
      await store.upsertSource(source({ id: 'snap' }));
      const [K, C] = ['203.0.113.30', '203.0.113.31'];
      const r1 = await store.startRun('snap', T0);
      await store.upsertObservations('snap', [ip(K), ip(C)], T0, { run: r1 });
      const old = await byValue(store, C);
      const r2 = await store.startRun('snap', T0 + HOUR);
      await store.upsertObservations('snap', [ip(K)], T0 + HOUR, { run: r2 });
      assert.equal(await store.endUnseenSightings('snap', r2, T0 + HOUR), 1);
      assert.equal((await byValue(store, C)).status, 'revoked');
      const oldVersions = await store.listVersions(old.id);

      const t3 = T0 + 2 * DAY;
      const r3 = await store.startRun('snap', t3);
      assert.deepEqual(await store.upsertObservations('snap', [ip(K, t3), ip(C, t3)], t3, { run: r3 }), { inserted: 0, updated: 2, unchanged: 0, ignored: 0 });
      assert.equal(await store.endUnseenSightings('snap', r3, t3), 0);
      const back = await byValue(store, C);
      assert.equal(back.status, 'active');
      assert.notEqual(back.id, old.id, 'a new STIX id');
      assert.match(back.id, /^indicator--/);
      assert.equal(back.lastSeen, t3);
      assert.equal((await sightingBy(store, back.id, 'snap')).endedAt, null, 'the sighting is live again');
      const fresh = await store.listVersions(back.id);
      assert.equal(fresh.length, 1);
      assert.equal(fresh[0]!.revoked, false);
      assert.deepEqual(await store.listVersions(old.id), oldVersions, 'the revoked object keeps its history, revoked last');
      assert.equal(oldVersions.at(-1)!.revoked, true);
      assert.equal(await store.countIocs(), 2, 'still one IOC per value');
      assert.deepEqual((await store.queryIocs({ status: 'revoked', limit: 10 })).items, []);
    }));

    it('relistSource sees the live sightings again now and marks them with the run; ended ones stay ended', withStore(async (store) => {
      await store.upsertSource(source({ id: 'snap', reliability: 0.8 }));
      await store.upsertSource(source({ id: 'other' }));
      const [A, B, C, D] = ['192.0.2.40', '192.0.2.41', '192.0.2.42', '192.0.2.43'];
      const r1 = await store.startRun('snap', T0);
      await store.upsertObservations('snap', [ip(A), ip(B), ip(C)], T0, { run: r1 });
      await store.upsertObservations('other', [ip(D)], T0);
      const ended = T0 + HOUR;
      const r2 = await store.startRun('snap', ended);
      await store.upsertObservations('snap', [ip(A), ip(B)], ended, { run: r2 });
      assert.equal(await store.endUnseenSightings('snap', r2, ended), 1);
      const validBefore = (await byValue(store, A)).validUntil;

      const t2 = T0 + 10 * DAY;
      const r3 = await store.startRun('snap', t2);
      assert.deepEqual(await store.relistSource('snap', r3, t2), { inserted: 0, updated: 2, unchanged: 0, ignored: 0 });
      for (const v of [A, B]) {
        const ioc = await byValue(store, v);
        assert.equal(ioc.status, 'active', v);
        assert.equal(ioc.lastSeen, t2, `${v}: lastSeen is now`);
        assert.equal(ioc.score, 80, `${v}: seen now, no decay`);
        assert.equal(ioc.validUntil, validUntil(80, 'ipv4', t2), `${v}: validity refreshed from now`);
        assert.ok(ioc.validUntil > validBefore);
        const s = await sightingBy(store, ioc.id, 'snap');
        assert.equal(s.lastSeen, t2);
        assert.equal(s.endedAt, null);
      }
      const c = await byValue(store, C);
      assert.equal(c.status, 'revoked', 'an ended sighting is not revived');
      assert.equal(c.lastSeen, T0);
      const cs = await sightingBy(store, c.id, 'snap');
      assert.equal(cs.endedAt, ended);
      assert.equal(cs.lastSeen, T0);
      assert.equal((await byValue(store, D)).lastSeen, T0, "another source's sightings are not touched");
      assert.equal(await store.endUnseenSightings('snap', r3, t2), 0, 'the relisting marked the run: nothing to delist after it');
    }));

    it('relistSource sees every live sighting of a large source once, across its windows and the instants they share', withStore(async (store) => {
      // Read 2,000 sightings at a time (RELIST_WINDOW): 4,500 written 750 to an instant put window ends inside instants.
      await store.upsertSource(source({ id: 'snap', reliability: 0.8 }));
      const values = Array.from({ length: 4_500 }, (_, i) => `198.19.${i >> 8}.${i & 255}`);
      const r1 = await store.startRun('snap', T0);
      for (let i = 0; i < values.length; i += 750) await store.upsertObservations('snap', values.slice(i, i + 750).map((v) => ip(v)), T0 + i, { run: r1 });
      // A snapshot without some of them, around the window ends too: their sightings end.
      const gone = new Set(values.filter((_, i) => i % 97 === 0 || (i >= 1_995 && i < 2_010)));
      const r2 = await store.startRun('snap', T0 + HOUR);
      await store.upsertObservations('snap', values.filter((v) => !gone.has(v)).map((v) => ip(v, T0 + HOUR)), T0 + HOUR, { run: r2 });
      assert.equal(await store.endUnseenSightings('snap', r2, T0 + HOUR), gone.size);

      const t2 = T0 + 10 * DAY;
      const r3 = await store.startRun('snap', t2);
      const skipped = new Set(values.filter((_, i) => i % 10 === 3));
      const result = await store.relistSource('snap', r3, t2, { skip: (type, value) => type === 'ipv4' && skipped.has(value) });
      const relisted = values.filter((v) => !gone.has(v) && !skipped.has(v));
      assert.deepEqual(result, { inserted: 0, updated: relisted.length, unchanged: 0, ignored: 0 });
      const active = (await store.queryIocs({ status: 'active', limit: 10_000 })).items;
      assert.deepEqual(active.filter((i) => i.lastSeen === t2).map((i) => i.value).sort(), [...relisted].sort());
      assert.deepEqual(active.filter((i) => i.lastSeen !== t2).map((i) => i.value).sort(), values.filter((v) => !gone.has(v) && skipped.has(v)).sort());
      // The skipped ones were not seen by the run: the next delisting would end exactly them.
      assert.equal(await store.endUnseenSightings('snap', r3, t2), values.filter((v) => !gone.has(v) && skipped.has(v)).length);
    }));

    it('relistSource keeps the TLP the listing gave (a 304 brings nothing new)', withStore(async (store) => {
      await store.upsertSource(source({ id: 'snap', tlp: 'clear' }));
      const r1 = await store.startRun('snap', T0);
      await store.upsertObservations('snap', [ip('192.0.2.60', T0, { tlp: 'amber' })], T0, { run: r1 });
      const before = await byValue(store, '192.0.2.60');
      assert.equal(before.tlp, 'amber');
      const r2 = await store.startRun('snap', T0 + HOUR);
      await store.relistSource('snap', r2, T0 + HOUR);
      const after = await byValue(store, '192.0.2.60');
      assert.equal(after.lastSeen, T0 + HOUR);
      assert.equal(after.tlp, 'amber', 'not relaxed to the source default by a relisting');
      assert.equal((await store.listVersions(after.id)).length, 1, 'a lastSeen within the week is no version');
    }));

    it('decayIocs ages scores, revokes the expired, versions only band changes and revocations, and is idempotent', withStore(async (store) => {
      await store.upsertSource(source({ id: 'feed', reliability: 0.8 }));
      await store.upsertSource(source({ id: 'kev', reliability: 0.8, noDecay: true }));
      const cases = [
        { name: 'fresh ip, high → medium', source: 'feed', type: 'ipv4', value: '198.51.100.1', lastSeen: T0 },
        { name: 'older ip, high → medium', source: 'feed', type: 'ipv4', value: '198.51.100.2', lastSeen: T0 - 5 * DAY },
        { name: 'fresh domain, not moved', source: 'feed', type: 'domain', value: 'fresh.example', lastSeen: T0 },
        { name: 'old domain, moved within high', source: 'feed', type: 'domain', value: 'aging.example', lastSeen: T0 - 60 * DAY },
        { name: 'ip past valid_until', source: 'feed', type: 'ipv4', value: '198.51.100.5', lastSeen: T0 - 25 * DAY },
        { name: 'noDecay cve', source: 'kev', type: 'cve', value: 'CVE-2024-3094', lastSeen: T0 - 30 * DAY },
      ] as const;
      for (const c of cases) {
        await store.upsertObservations(c.source, [observation({ type: c.type, value: c.value, firstSeen: c.lastSeen, lastSeen: c.lastSeen })], T0);
      }
      const noDecay = (c: (typeof cases)[number]) => c.source === 'kev';
      const ids = new Map<string, string>();
      for (const c of cases) {
        const ioc = await byValue(store, c.value);
        ids.set(c.value, ioc.id);
        assert.equal(ioc.score, decayedScore(80, c.type, c.lastSeen, T0, noDecay(c)), `${c.name}: aged on write`);
        assert.equal(ioc.validUntil, validUntil(80, c.type, c.lastSeen, noDecay(c)), c.name);
        assert.equal((await store.listVersions(ioc.id)).length, 1);
      }
      const before = new Map((await store.queryIocs({ status: 'all', limit: 100 })).items.map((i) => [i.value, i]));
      assert.equal(before.get('CVE-2024-3094')!.validUntil, NO_EXPIRY);

      const T = T0 + 20 * DAY;
      assert.deepEqual(await store.decayIocs(T), { rescored: 3, revoked: 1, versions: 3 });
      const versionsOf = async (value: string) => store.listVersions(ids.get(value)!);
      for (const c of cases) {
        const ioc = await byValue(store, c.value);
        const expired = T >= validUntil(80, c.type, c.lastSeen, noDecay(c));
        assert.equal(ioc.status, expired ? 'revoked' : 'active', c.name);
        if (!expired) assert.equal(ioc.score, decayedScore(80, c.type, c.lastSeen, T, noDecay(c)), c.name);
      }
      // Each case's expectation, stated plainly (the formula above could hide a wrong premise).
      assert.deepEqual(cases.map((c) => before.get(c.value)!.score), [80, 79, 80, 77, 57, 80]);
      const after = new Map((await store.queryIocs({ status: 'all', limit: 100 })).items.map((i) => [i.value, i]));
      assert.deepEqual(cases.map((c) => after.get(c.value)!.score).slice(0, 4), [66, 57, 80, 74]);
      assert.deepEqual(cases.map((c) => after.get(c.value)!.status), ['active', 'active', 'active', 'active', 'revoked', 'active']);

      const v1 = await versionsOf('198.51.100.1');
      assert.equal(v1.length, 2, 'crossing high → medium appends one version');
      assert.equal(JSON.parse(v1[1]!.json).confidence, 66);
      assert.equal((await versionsOf('198.51.100.2')).length, 2);
      assert.equal((await versionsOf('fresh.example')).length, 1);
      assert.equal((await versionsOf('aging.example')).length, 1, 'decay within the high band: no version, though the stored score moved 77 → 74');
      const expired = await versionsOf('198.51.100.5');
      assert.equal(expired.length, 2);
      assert.equal(expired[1]!.revoked, true);
      assert.equal(JSON.parse(expired[1]!.json).revoked, true);
      const kev = after.get('CVE-2024-3094')!;
      assert.equal(kev.score, 80, 'noDecay keeps the base score');
      assert.equal(kev.validUntil, NO_EXPIRY);
      assert.equal((await versionsOf('CVE-2024-3094')).length, 1);

      assert.deepEqual(await store.decayIocs(T), { rescored: 0, revoked: 0, versions: 0 }, 'a second pass at the same clock changes nothing');
      assert.deepEqual((await store.queryIocs({ status: 'all', limit: 100 })).items, [...after.values()]);

      // Years later: everything that decays is past its validity; the noDecay CVE is not.
      assert.deepEqual(await store.decayIocs(T + 2000 * DAY), { rescored: 0, revoked: 4, versions: 4 });
      const late = await byValue(store, 'CVE-2024-3094');
      assert.equal(late.status, 'active');
      assert.equal(late.score, 80);
      assert.equal(late.validUntil, NO_EXPIRY);
      assert.deepEqual((await store.queryIocs({ status: 'active', limit: 100 })).items.map((i) => i.value), ['CVE-2024-3094']);
    }));

    it('decay versions an IOC once when it leaves its band, never while it moves inside it', withStore(async (store) => {
      await store.upsertSource(source({ id: 'feed', reliability: 0.8 }));
      await store.upsertObservations('feed', [observation({ type: 'domain', value: 'slow.example', firstSeen: T0, lastSeen: T0 })], T0);
      const id = (await byValue(store, 'slow.example')).id;
      // domain: 300 days; 80 × (1 − (age/300)²) stays ≥ 70 (high) up to ~108 days.
      // [age in days, score, versions appended by the pass, versions in all]
      const steps: Array<[number, number, number, number]> = [[30, 79, 0, 1], [60, 77, 0, 1], [90, 73, 0, 1], [100, 71, 0, 1], [120, 67, 1, 2], [130, 65, 0, 2]];
      for (const [days, score, appended, versions] of steps) {
        const now = T0 + days * DAY;
        assert.equal(decayedScore(80, 'domain', T0, now), score);
        assert.deepEqual(await store.decayIocs(now), { rescored: 1, revoked: 0, versions: appended }, `day ${days}`);
        const ioc = await byValue(store, 'slow.example');
        assert.equal(ioc.score, score, `day ${days}: the stored score moves`);
        assert.equal((await store.listVersions(id)).length, versions, `day ${days}`);
      }
      assert.equal(JSON.parse((await store.listVersions(id)).at(-1)!.json).confidence, 67, 'the version carries the score at the crossing');
    }));

    it('enrichOnly adds evidence to existing IOCs and creates none', withStore(async (store) => {
      const t = Date.UTC(2026, 4, 17);
      await store.upsertSource(source({ id: 'kev', reliability: 0.8 }));
      await store.upsertSource(source({ id: 'epss', reliability: 0.5 }));
      await store.upsertObservations('kev', [observation({ type: 'cve', value: 'CVE-2024-3094' })], t);
      const before = await byValue(store, 'CVE-2024-3094');
      assert.equal(before.score, 80);
      const r = await store.upsertObservations('epss', [
        observation({ type: 'cve', value: 'CVE-2024-3094' }),
        observation({ type: 'cve', value: 'CVE-2023-4966' }),
        observation({ type: 'ipv4', value: '198.51.100.77' }),
      ], t + 1000, { enrichOnly: true });
      assert.deepEqual(r, { inserted: 0, updated: 1, unchanged: 0, ignored: 2 });
      assert.equal(await store.countIocs(), 1);
      assert.deepEqual((await store.queryIocs({ status: 'all', value: 'CVE-2023-4966', limit: 1 })).items, []);
      assert.deepEqual((await store.queryIocs({ status: 'all', source: 'epss', limit: 10 })).items.map((i) => i.value), ['CVE-2024-3094']);
      const after = await store.getIoc(before.id);
      assert.deepEqual(after?.sightings.map((s) => s.source), ['epss', 'kev']);
      assert.equal(after.score, 90, 'the score rises: 1 − 0.2 × 0.5');

      async function* chunks() {
        yield [observation({ type: 'cve', value: 'CVE-2021-44228' }), observation({ type: 'cve', value: 'CVE-2024-3094' })];
        yield [observation({ type: 'domain', value: 'nothing.example' }), observation({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' })];
      }
      const streamed = await store.upsertObservationStream('epss', chunks(), { batchSize: 3, enrichOnly: true, clock: () => t + 2000 });
      assert.deepEqual(streamed, { inserted: 0, updated: 0, unchanged: 1, ignored: 3 });
      assert.equal(await store.countIocs(), 1);
    }));

    it('onOutcome tells what each observation did, in stream order, across batches (submissions report per item with it)', withStore(async (store) => {
      await store.upsertSource(source({ id: 'sub' }));
      const t = Date.UTC(2026, 4, 17);
      const told: string[] = [];
      const onOutcome = (o: string) => told.push(o);
      async function* chunks() {
        yield [ip('45.133.7.1', t), ip('45.133.7.2', t)];
        // Within the stream: the same value again (nothing new), then with a tag (a new version).
        yield [ip('45.133.7.1', t), ip('45.133.7.1', t, { tags: ['c2'] }), ip('45.133.7.3', t)];
      }
      const r = await store.upsertObservationStream('sub', chunks(), { batchSize: 2, clock: () => t, onOutcome });
      assert.deepEqual(told, ['inserted', 'inserted', 'unchanged', 'updated', 'inserted']);
      assert.deepEqual(r, { inserted: 3, updated: 1, unchanged: 1, ignored: 0 }, 'the totals agree with what was told');
      told.length = 0;
      await store.upsertObservations('sub', [ip('45.133.7.2', t), ip('45.133.7.9', t)], t, { enrichOnly: true, onOutcome });
      assert.deepEqual(told, ['unchanged', 'ignored']);
    }));

    it('enrichOnly does not bring a revoked IOC back', withStore(async (store) => {
      await store.upsertSource(source({ id: 'kev', reliability: 0.8 }));
      await store.upsertSource(source({ id: 'epss', reliability: 0.5 }));
      const t = Date.UTC(2026, 4, 17);
      await store.upsertObservations('kev', [observation({ type: 'cve', value: 'CVE-2024-3094' })], t);
      const ioc = await byValue(store, 'CVE-2024-3094');
      assert.equal(await store.revokeIocs([ioc.id], t + 1000), 1);
      const r = await store.upsertObservations('epss', [observation({ type: 'cve', value: 'CVE-2024-3094' })], t + 2000, { enrichOnly: true });
      const after = await byValue(store, 'CVE-2024-3094');
      assert.equal(after.status, 'revoked', 'withdrawn stays withdrawn');
      assert.equal(after.id, ioc.id, 'no new STIX object');
      assert.equal(r.inserted, 0);
      assert.equal((await store.listVersions(ioc.id)).at(-1)!.revoked, true);
    }));

    it('the same snapshot written twice appends no version the second time', withStore(async (store) => {
      await store.upsertSource(source({ id: 'daily', reliability: 0.8 }));
      const seen = { firstSeen: T0 - 3 * DAY, lastSeen: T0 };
      const snapshot = [
        observation({ type: 'ipv4', value: '203.0.113.50', tags: ['scanner'], ...seen }),
        observation({ type: 'ipv4', value: '203.0.113.51', ...seen }),
        observation({ type: 'domain', value: 'daily.example', malware: ['asyncrat'], sectors: ['energy'], ...seen }),
        observation({ type: 'sha256', value: 'b'.repeat(64), confidence: 70, ...seen }),
      ];
      const log = async () => {
        let n = 0;
        let after: { dateAdded: number; seq: number } | undefined;
        for (;;) {
          const page = await store.pageLog({ collection: 'all-iocs', limit: 100, versions: { last: false, first: false, all: true, modified: [] }, after });
          n += page.items.length;
          if (!page.more) return n;
          const last = page.items.at(-1)!;
          after = { dateAdded: last.dateAdded, seq: last.seq };
        }
      };
      const versionCount = async () => {
        let n = 0;
        for (const i of (await store.queryIocs({ status: 'all', limit: 100 })).items) n += (await store.listVersions(i.id)).length;
        return n;
      };
      const r1 = await store.startRun('daily', T0 + HOUR);
      assert.deepEqual(await store.upsertObservations('daily', snapshot, T0 + HOUR, { run: r1 }), { inserted: 4, updated: 0, unchanged: 0, ignored: 0 });
      const iocs = (await store.queryIocs({ status: 'all', limit: 100 })).items;
      const logged = await log();
      assert.equal(await versionCount(), 4);

      const r2 = await store.startRun('daily', T0 + 2 * DAY);
      assert.deepEqual(await store.upsertObservations('daily', snapshot, T0 + 2 * DAY, { run: r2 }), { inserted: 0, updated: 0, unchanged: 4, ignored: 0 });
      assert.equal(await store.endUnseenSightings('daily', r2, T0 + 2 * DAY), 0);
      assert.equal(await versionCount(), 4, 'no version per IOC');
      assert.equal(await log(), logged, 'nothing appended to the log');
      assert.deepEqual((await store.queryIocs({ status: 'all', limit: 100 })).items, iocs);
    }));

    it('three independent sources outscore one; an aggregate adds nothing next to its components, counts alone', withStore(async (store) => {
      for (const id of ['s1', 's2', 's3']) await store.upsertSource(source({ id, reliability: 0.5 }));
      await store.upsertSource(source({ id: 'agg', reliability: 0.9, aggregate: true }));
      const score = async (value: string) => (await byValue(store, value)).score;
      await store.upsertObservations('s1', [ip('192.0.2.1'), ip('192.0.2.5')], T0);
      for (const s of ['s1', 's2', 's3']) await store.upsertObservations(s, [ip('192.0.2.3')], T0);
      assert.equal(await score('192.0.2.1'), 50);
      assert.equal(await score('192.0.2.3'), 88); // 1 − 0.5³
      assert.ok((await score('192.0.2.3')) > (await score('192.0.2.1')));

      await store.upsertObservations('agg', [ip('192.0.2.3'), ip('192.0.2.5'), ip('192.0.2.9')], T0);
      assert.equal(await score('192.0.2.3'), 88, 'next to three components');
      assert.equal(await score('192.0.2.5'), 50, 'next to one component');
      assert.equal(await score('192.0.2.9'), 90, 'alone, the aggregate counts');
      assert.equal((await store.getIoc((await byValue(store, '192.0.2.3')).id))?.sightings.length, 4, 'its sighting is still recorded');

      // The component delists 192.0.2.5: the aggregate is now its only evidence.
      const run = await store.startRun('s1', T0 + HOUR);
      await store.upsertObservations('s1', [ip('192.0.2.1'), ip('192.0.2.3')], T0 + HOUR, { run });
      assert.equal(await store.endUnseenSightings('s1', run, T0 + HOUR), 1);
      const five = await byValue(store, '192.0.2.5');
      assert.equal(five.status, 'active');
      assert.equal(five.score, 90);
    }));
  });
}
