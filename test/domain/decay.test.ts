import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IOC_TYPES, type IocType } from '../../src/domain/ioc-types.js';
import { decayedScore, LIFETIME_DAYS, NO_EXPIRY, REVOKE_BELOW, validUntil, revokeThreshold, MIN_VALIDITY_MS } from '../../src/domain/scoring.js';

const DAY = 86_400_000;
const LAST_SEEN = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('decayedScore', () => {
  for (const type of IOC_TYPES) {
    it(`${type}: no decay at age 0 or before the last sighting`, () => {
      for (const base of [0, 1, 10, 55, 90, 100]) {
        assert.equal(decayedScore(base, type, LAST_SEEN, LAST_SEEN), base);
        assert.equal(decayedScore(base, type, LAST_SEEN, LAST_SEEN - 1), base);
        assert.equal(decayedScore(base, type, LAST_SEEN, LAST_SEEN - 30 * DAY), base);
      }
    });

    it(`${type}: non-increasing with age, from base to 0 at the lifetime (${LIFETIME_DAYS[type]} days)`, () => {
      const lifetime = LIFETIME_DAYS[type] * DAY;
      for (const base of [100, 90, 37, 10]) {
        let previous = base;
        for (let step = 0; step <= 200; step++) {
          const score = decayedScore(base, type, LAST_SEEN, LAST_SEEN + (lifetime * step) / 200);
          assert.ok(score <= previous, `base ${base}, step ${step}: ${score} > ${previous}`);
          assert.ok(Number.isInteger(score) && score >= 0, `${score}`);
          previous = score;
        }
        assert.ok(decayedScore(base, type, LAST_SEEN, LAST_SEEN + lifetime / 2) > 0, 'still scored at half the lifetime');
        assert.equal(decayedScore(base, type, LAST_SEEN, LAST_SEEN + lifetime), 0);
        assert.equal(decayedScore(base, type, LAST_SEEN, LAST_SEEN + lifetime + 1), 0);
        assert.equal(decayedScore(base, type, LAST_SEEN, LAST_SEEN + 10 * lifetime), 0);
      }
    });

    it(`${type}: noDecay keeps the base at any age`, () => {
      for (const age of [0, DAY, LIFETIME_DAYS[type] * DAY, 100 * LIFETIME_DAYS[type] * DAY]) {
        assert.equal(decayedScore(90, type, LAST_SEEN, LAST_SEEN + age, true), 90);
      }
    });
  }

  it('follows base × (1 − (age/lifetime)²): flat at first, steep at the end', () => {
    const lifetime = LIFETIME_DAYS.ipv4 * DAY;
    assert.equal(decayedScore(100, 'ipv4', LAST_SEEN, LAST_SEEN + lifetime / 2), 75);
    assert.equal(decayedScore(100, 'ipv4', LAST_SEEN, LAST_SEEN + lifetime / 10), 99);
    assert.equal(decayedScore(100, 'ipv4', LAST_SEEN, LAST_SEEN + (lifetime * 9) / 10), 19);
    assert.equal(decayedScore(80, 'domain', LAST_SEEN, LAST_SEEN + (LIFETIME_DAYS.domain * DAY) / 2), 60);
  });

  it('types decay at their own pace', () => {
    const age = 40 * DAY;
    const ip = decayedScore(90, 'ipv4', LAST_SEEN, LAST_SEEN + age);
    const domain = decayedScore(90, 'domain', LAST_SEEN, LAST_SEEN + age);
    const hash = decayedScore(90, 'sha256', LAST_SEEN, LAST_SEEN + age);
    assert.ok(ip < domain && domain <= hash, `${ip} ${domain} ${hash}`);
    assert.equal(decayedScore(90, 'ipv4', LAST_SEEN, LAST_SEEN + 50 * DAY), 0);
    assert.ok(decayedScore(90, 'domain', LAST_SEEN, LAST_SEEN + 50 * DAY) > 80);
  });
});

describe('validUntil', () => {
  const CASES: ReadonlyArray<readonly [number, IocType]> = [
    [90, 'ipv4'], [90, 'domain'], [10, 'ipv4'], [10, 'domain'], [100, 'sha256'], [15, 'url'], [41, 'cve'],
  ];

  it('a listing with score 0 stays valid one day after its last sighting, not less', () => {
    for (const base of [0]) assert.equal(validUntil(base, 'ipv6', LAST_SEEN), LAST_SEEN + MIN_VALIDITY_MS, `base ${base}`);
    assert.ok(validUntil(1, 'ipv4', LAST_SEEN) > LAST_SEEN + MIN_VALIDITY_MS, 'score 1 rounds to 1 for a while');
  });

  for (const [base, type] of CASES) {
    const threshold = revokeThreshold(base);
    it(`${type} base ${base}: the score is ≥ ${threshold} up to validUntil, inside the lifetime`, () => {
      const until = validUntil(base, type, LAST_SEEN);
      assert.ok(until > LAST_SEEN, 'a live sighting gives some validity');
      assert.ok(until < LAST_SEEN + LIFETIME_DAYS[type] * DAY, 'before the end of the lifetime');
      assert.ok(decayedScore(base, type, LAST_SEEN, until) >= threshold, `at validUntil: ${decayedScore(base, type, LAST_SEEN, until)}`);
      assert.ok(decayedScore(base, type, LAST_SEEN, until - 1) >= threshold);
      assert.ok(decayedScore(base, type, LAST_SEEN, until - DAY) >= threshold);
    });

    it(`${type} base ${base}: the exact decay curve crosses ${threshold} − 0.5 at validUntil`, () => {
      // Unrounded base × (1 − f²): the rounded score is below the threshold once the curve is below threshold − 0.5.
      const exact = (t: number) => base * (1 - ((t - LAST_SEEN) / (LIFETIME_DAYS[type] * DAY)) ** 2);
      const until = validUntil(base, type, LAST_SEEN);
      assert.ok(exact(until) >= threshold - 0.5 - 1e-9, `${exact(until)}`);
      assert.ok(exact(until + 1000) < threshold - 0.5, `${exact(until + 1000)}`);
    });
  }

  // The published score is an integer (floored): it must be below the threshold right after validUntil.
  for (const [base, type] of [[90, 'ipv4'], [90, 'domain'], [10, 'ipv4'], [10, 'domain']] as const) {
    const threshold = revokeThreshold(base);
    it(
      `${type} base ${base}: decayedScore drops below ${threshold} right after validUntil`,
      () => {
        const until = validUntil(base, type, LAST_SEEN);
        assert.ok(decayedScore(base, type, LAST_SEEN, until) >= threshold);
        assert.ok(decayedScore(base, type, LAST_SEEN, until + 1000) < threshold, `one second after validUntil: ${decayedScore(base, type, LAST_SEEN, until + 1000)}`);
      },
    );
  }

  it('odd bases (half rounded up) do cross the threshold right after validUntil', () => {
    for (const [base, type] of [[15, 'ipv4'], [15, 'domain'], [33, 'url']] as const) {
      const threshold = Math.ceil(base / 2);
      const until = validUntil(base, type, LAST_SEEN);
      assert.ok(decayedScore(base, type, LAST_SEEN, until) >= threshold);
      assert.ok(decayedScore(base, type, LAST_SEEN, until + 60_000) < threshold, `${base} ${type}`);
    }
  });

  it('the threshold is REVOKE_BELOW for strong bases, half the base for weak ones', () => {
    // base 90 → 20: sqrt(1 − 20/90); base 10 → 5: sqrt(1 − 1/2); base 15 → 8.
    const L = LIFETIME_DAYS.ipv4 * DAY;
    assert.equal(validUntil(90, 'ipv4', LAST_SEEN), LAST_SEEN + Math.floor(L * Math.sqrt(1 - 19.5 / 90)));
    assert.equal(validUntil(10, 'ipv4', LAST_SEEN), LAST_SEEN + Math.floor(L * Math.sqrt(1 - 4.5 / 10)));
    assert.equal(validUntil(40, 'ipv4', LAST_SEEN), LAST_SEEN + Math.floor(L * Math.sqrt(1 - 19.5 / 40)), 'base 40: 20 is also half');
    assert.ok(validUntil(90, 'ipv4', LAST_SEEN) > validUntil(40, 'ipv4', LAST_SEEN), 'a stronger listing lives longer');
    assert.ok(validUntil(90, 'domain', LAST_SEEN) > validUntil(90, 'ipv4', LAST_SEEN), 'domains live longer than addresses');
  });

  it('base 0 (a listing with no confidence) stays valid the minimum, decaying or not', () => {
    for (const type of IOC_TYPES) {
      assert.equal(validUntil(0, type, LAST_SEEN), LAST_SEEN + MIN_VALIDITY_MS);
      assert.equal(validUntil(0, type, LAST_SEEN, true), LAST_SEEN + MIN_VALIDITY_MS, 'even when not decaying');
      assert.equal(validUntil(-5, type, LAST_SEEN), LAST_SEEN + MIN_VALIDITY_MS);
    }
  });

  it('noDecay never expires', () => {
    for (const type of IOC_TYPES) {
      assert.equal(validUntil(90, type, LAST_SEEN, true), NO_EXPIRY);
      assert.equal(validUntil(1, type, LAST_SEEN, true), NO_EXPIRY);
    }
    assert.equal(new Date(NO_EXPIRY).toISOString(), '9999-12-31T23:59:59.000Z');
  });
});
