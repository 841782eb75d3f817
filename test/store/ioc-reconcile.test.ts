import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decayedScore, validUntil } from '../../src/domain/scoring.js';
import { claimCap, decide, type IocFacts, type LiveEvidence } from '../../src/store/ioc-reconcile.js';

/**
 * The reconcile decision alone (store/ioc-reconcile.ts), without a database: what both stores do to an existing IOC
 * when a source lists it, a snapshot delists it, or decay ages it. The contract suite checks the same end to end.
 */
const DAY = 86_400_000;
const T = Date.UTC(2026, 4, 17, 12);
const feed: LiveEvidence = { sourceId: 'feed', name: 'Feed', reliability: 0.8, confidence: null, aggregate: false, redistributable: true, noDecay: false, expiresAt: null };
const UNTIL = validUntil(80, 'domain', T);

/** A domain seen by `feed` at T, stored exactly as the decision would leave it (base 80, score 80). */
const settled = (over: Partial<IocFacts> = {}): IocFacts => ({
  type: 'domain', score: 80, baseScore: 80, firstSeen: T, lastSeen: T, tlp: 'clear', redistributable: true, noDecay: false,
  tags: '[]', malware: '[]', sectors: '[]', validUntil: UNTIL, status: 'active', versionedScore: 80, versionedValidUntil: UNTIL, ...over,
});
const nothingNew = { tags: [], malware: [], sectors: [], tlp: 'clear' as const, firstSeen: T, lastSeen: T };

describe('reconcile decision', () => {
  it('leaves an IOC in line with its evidence unchanged, seen again or not', () => {
    assert.deepEqual(decide(settled(), [feed], T, undefined, false), { kind: 'unchanged' });
    assert.deepEqual(decide(settled(), [feed], T, nothingNew, true), { kind: 'unchanged' });
  });

  it('revokes an IOC left without live evidence, or past its valid_until, unless a source lists it now', () => {
    assert.deepEqual(decide(settled(), [], T, undefined, false), { kind: 'revoke', sources: [] });
    assert.deepEqual(decide(settled(), [feed], UNTIL, undefined, false), { kind: 'revoke', sources: [{ id: 'feed', name: 'Feed' }] });
    assert.equal(decide(settled(), [feed], UNTIL, { ...nothingNew, lastSeen: UNTIL }, true).kind, 'update');
  });

  it('leaves a revoked IOC alone, and brings it back as a new object when a source lists it again', () => {
    assert.deepEqual(decide(settled({ status: 'revoked' }), [feed], T + DAY, undefined, false), { kind: 'unchanged' });
    const d = decide(settled({ status: 'revoked' }), [feed], T + DAY, { ...nothingNew, lastSeen: T + DAY }, true);
    assert.equal(d.kind, 'update');
    if (d.kind !== 'update') return;
    assert.equal(d.reactivated, true);
    assert.equal(d.newVersion, true);
    assert.equal(d.lastSeen, T + DAY);
  });

  it('merges new labels (sorted, without repeats) and versions them; new sectors are listed for their index', () => {
    const d = decide(settled({ tags: '["phishing"]', sectors: '["energy"]' }), [feed], T,
      { ...nothingNew, tags: ['c2', 'phishing'], sectors: ['finance', 'energy'], malware: ['emotet'] }, true);
    assert.equal(d.kind, 'update');
    if (d.kind !== 'update') return;
    assert.deepEqual([d.tags, d.malware, d.sectors, d.addedSectors], [['c2', 'phishing'], ['emotet'], ['energy', 'finance'], ['finance']]);
    assert.equal(d.newVersion, true);
    assert.equal(d.reactivated, false);
  });

  it('keeps the least restrictive TLP: a looser marking is a new version, a stricter one changes nothing', () => {
    const looser = decide(settled({ tlp: 'amber' }), [feed], T, nothingNew, true);
    assert.ok(looser.kind === 'update' && looser.tlp === 'clear' && looser.newVersion);
    assert.deepEqual(decide(settled(), [feed], T, { ...nothingNew, tlp: 'red' }, true), { kind: 'unchanged' });
  });

  it('ageing moves the stored score, but versions only on a band change', () => {
    const inBand = decide(settled(), [feed], T + 60 * DAY, undefined, false);
    assert.equal(inBand.kind, 'update');
    if (inBand.kind !== 'update') return;
    assert.equal(inBand.score, decayedScore(80, 'domain', T, T + 60 * DAY));
    assert.ok(inBand.score < 80 && inBand.score >= 70);
    assert.equal(inBand.newVersion, false);
    assert.deepEqual([inBand.versionedScore, inBand.versionedValidUntil], [80, UNTIL], 'the latest version still says what it said');
    const crossed = decide(settled(), [feed], T + 120 * DAY, undefined, false);
    assert.ok(crossed.kind === 'update' && crossed.score < 70 && crossed.newVersion && crossed.versionedScore === crossed.score);
  });

  it('a new sighting versions a score move of 5 points or more within a band; a smaller one only when valid_until passes a week', () => {
    const strong = { ...feed, sourceId: 'strong', name: 'Strong', reliability: 0.5 };
    const big = decide(settled(), [feed, strong], T, nothingNew, true);
    assert.ok(big.kind === 'update' && big.score === 90 && big.base === 90 && big.newVersion);
    const weak = { ...feed, sourceId: 'weak', name: 'Weak', reliability: 0.1 };
    const small = decide(settled(), [feed, weak], T, nothingNew, true);
    assert.equal(small.kind, 'update');
    if (small.kind !== 'update') return;
    assert.equal(small.score, 82);
    const WEEK = 7 * DAY;
    assert.equal(small.newVersion, Math.floor(small.validUntil / WEEK) > Math.floor(UNTIL / WEEK));
    assert.deepEqual(small.sources, [{ id: 'feed', name: 'Feed' }, { id: 'weak', name: 'Weak' }]);
  });

  it('is redistributable while one live source is, and keeps what it was when none is live', () => {
    const closed = { ...feed, redistributable: false };
    const d = decide(settled(), [closed], T, nothingNew, true);
    assert.ok(d.kind === 'update' && d.redistributable === false);
    const none = decide(settled(), [], T, nothingNew, true);
    assert.ok(none.kind === 'update' && none.redistributable === true && none.base === 0);
  });

  it('caps valid_until by the latest claim when every live sighting makes one; a sighting without one lifts the cap', () => {
    assert.equal(claimCap([]), undefined, 'no live sighting: no cap (the IOC is revoked for want of evidence)');
    assert.equal(claimCap([T + DAY, null]), undefined);
    assert.equal(claimCap([T + DAY, T + 3 * DAY]), T + 3 * DAY);
    const claimed = { ...feed, sourceId: 'submit-1', name: 'Submissions', expiresAt: T + 10 * DAY };
    const capped = decide(settled(), [claimed], T, nothingNew, true);
    assert.ok(capped.kind === 'update');
    if (capped.kind !== 'update') return;
    assert.equal(capped.validUntil, T + 10 * DAY);
    assert.equal(capped.newVersion, true, 'an earlier valid_until from a claim is a new version: consumers must learn it');
    assert.equal(capped.versionedValidUntil, T + 10 * DAY);
    const both = decide(settled(), [claimed, feed], T, nothingNew, true);
    assert.ok(both.kind === 'update');
    if (both.kind !== 'update') return;
    assert.equal(both.validUntil, validUntil(both.base, 'domain', T), 'a feed lists it too: no cap, the model decides');
    const later = decide(settled(), [{ ...claimed, expiresAt: UNTIL + 400 * DAY }], T, nothingNew, true);
    assert.deepEqual(later, { kind: 'unchanged' }, 'a claim later than the model changes nothing: the model caps it');
  });

  it('revokes at the cap when no source lists it then', () => {
    const claimed = { ...feed, sourceId: 'submit-1', name: 'Submissions', expiresAt: T + 10 * DAY };
    const row = settled({ validUntil: T + 10 * DAY, versionedValidUntil: T + 10 * DAY });
    assert.notEqual(decide(row, [claimed], T + 10 * DAY - 1, undefined, false).kind, 'revoke', 'valid until the cap');
    assert.deepEqual(decide(row, [claimed], T + 10 * DAY, undefined, false), { kind: 'revoke', sources: [{ id: 'submit-1', name: 'Submissions' }] });
  });
});
