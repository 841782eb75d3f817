import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmtSeconds, healthState, perDaySeries } from '../../web/src/lib/dashboard-data.js';

/** Issue 16, Dashboard: the added-per-day grid behind the chart and its table, and one word per source's health. */
describe('dashboard data (web/src/lib/dashboard-data.ts)', () => {
  it('fills the last 30 days by source with zeros, drops rows outside the window, sums per day', () => {
    const s = perDaySeries([
      { day: '2026-03-30', source: 'urlhaus', new: 5 },
      { day: '2026-03-30', source: 'feodo', new: 2 },
      { day: '2026-03-01', source: 'feodo', new: 7 },
      { day: '2026-02-28', source: 'old', new: 9 },
      { day: '2026-03-31', source: 'future', new: 1 },
    ], '2026-03-30', 30);
    assert.equal(s.days.length, 30);
    assert.equal(s.days[0], '2026-03-01');
    assert.equal(s.days[29], '2026-03-30');
    assert.deepEqual(s.sources, ['feodo', 'urlhaus']);
    assert.equal(s.counts[0]![0], 7);
    assert.equal(s.counts[0]![29], 2);
    assert.equal(s.counts[1]![29], 5);
    assert.equal(s.counts[1]![0], 0);
    assert.equal(s.totals[29], 7);
    assert.equal(s.totals.reduce((a, b) => a + b, 0), 14);
  });

  it('an empty window has days and no sources', () => {
    const s = perDaySeries([], '2026-01-10', 30);
    assert.equal(s.days.length, 30);
    assert.equal(s.days[0], '2025-12-12');
    assert.deepEqual(s.sources, []);
  });

  const src = (enabled: boolean, failures: number, stale: boolean, outcome: string | null, success: string | null = '2026-01-01T00:00:00Z') => ({
    enabled,
    health: { last_success_at: success, last_success_age_seconds: success ? 60 : null, consecutive_failures: failures, stale },
    last_run: outcome ? { outcome } : null,
  });

  it('says failing, stale, never run, running, disabled or ok', () => {
    assert.equal(healthState(src(false, 3, true, 'failed')), 'disabled');
    assert.equal(healthState(src(true, 2, true, 'failed')), 'failing');
    assert.equal(healthState(src(true, 0, false, 'failed')), 'failing');
    assert.equal(healthState(src(true, 0, true, null, null)), 'never run');
    assert.equal(healthState(src(true, 0, true, 'running', null)), 'running');
    assert.equal(healthState(src(true, 0, true, 'ok')), 'stale');
    assert.equal(healthState(src(true, 0, false, 'ok')), 'ok');
    assert.equal(healthState(src(true, 0, false, 'not-modified')), 'ok');
  });

  it('formats an age in seconds', () => {
    assert.equal(fmtSeconds(null), 'never');
    assert.equal(fmtSeconds(120), '2 min');
    assert.equal(fmtSeconds(3 * 3600), '3 h');
    assert.equal(fmtSeconds(5 * 86400), '5 d');
  });
});
