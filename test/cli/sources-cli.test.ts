import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SOCD } from '../support/socd-process.js';

const KEY = 'cli-key-Pq9-never-printed';

describe('socd sources enable|disable|set|run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'socd-sources-cli-'));
  // Explicit: CI exports DATABASE_URL for the PostgreSQL suites; no key in the environment for otx.
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'socd.db')}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn', SOCD_SCHEDULER: 'off', SOCD_OTX_KEY: '' };
  const socd = (args: string[], input?: string) => spawnSync(process.execPath, [SOCD, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000, ...(input !== undefined ? { input } : {}) });
  const listed = (id: string) => (JSON.parse(socd(['sources', '--json']).stdout) as Array<Record<string, unknown>>).find((s) => s.id === id)!;

  it('disables and enables a source, sets a schedule and a key (from stdin, never printed), and refuses bad values', () => {
    const off = socd(['sources', 'disable', 'feodo']);
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stderr, /feodo: disabled/);
    assert.equal(listed('feodo').enabled, false);
    assert.match(socd(['sources']).stdout, /\nfeodo +no /, 'the table says it');
    assert.equal(socd(['sources', 'enable', 'feodo']).status, 0);
    assert.equal(listed('feodo').enabled, true);

    const set = socd(['sources', 'set', 'otx', '--schedule', '6h', '--api-key-stdin'], `${KEY}\n`);
    assert.equal(set.status, 0, set.stderr);
    assert.ok(!set.stderr.includes(KEY) && !set.stdout.includes(KEY));
    const otx = listed('otx');
    assert.deepEqual([otx.schedule, otx.api_key_set, otx.api_key_from, otx.status_reason], ['6h', true, 'api', null]);
    const all = socd(['sources', '--json']).stdout + socd(['sources']).stdout;
    assert.ok(!all.includes(KEY), 'never listed');

    const bad = socd(['sources', 'set', 'otx', '--schedule', '10s']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /schedule: must be a duration of at least 1m/);
    assert.equal(socd(['sources', 'disable', 'nope']).status, 2);
    assert.equal(socd(['sources', 'set', 'otx']).status, 2, 'nothing to change');
    assert.equal(socd(['sources', 'set', 'otx', '--clear-api-key', '--reset-schedule']).status, 0);
    assert.equal(listed('otx').api_key_set, false);
  });

  it('run queues a run for the server and prints its id; a second one is refused while the first waits', () => {
    const first = socd(['sources', 'run', 'feodo']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^\d+\n$/);
    const second = socd(['sources', 'run', 'feodo']);
    assert.equal(second.status, 2);
    assert.match(second.stderr, new RegExp(`queued already \\(run ${first.stdout.trim()}\\)`));
    assert.equal((listed('feodo').last_run as { outcome: string }).outcome, 'queued');
  });
});
