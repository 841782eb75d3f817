import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SOCD } from '../support/socd-process.js';

function workdir() {
  const dir = mkdtempSync(join(tmpdir(), 'socd-allow-cli-'));
  // Explicit: CI exports DATABASE_URL for the PostgreSQL suites.
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'socd.db')}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn', SOCD_SCHEDULER: 'off' };
  const socd = (...args: string[]) => spawnSync(process.execPath, [SOCD, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { dir, socd };
}

describe('socd allowlist', () => {
  it('add revokes what it matches, import holds it back and counts it, remove lets it come back at the next import', () => {
    const { dir, socd } = workdir();
    const file = join(dir, 'list.txt');
    writeFileSync(file, '45.133.1.40\nmail.partner-example.net\n45.133.1.41\n');
    assert.match(socd('import', file, '--source', 'my-list').stderr, /3 new/);
    const active = () => (JSON.parse(socd('export', '--format', 'json').stdout) as Array<{ value: string }>).map((i) => i.value).sort();
    assert.deepEqual(active(), ['45.133.1.40', '45.133.1.41', 'mail.partner-example.net']);

    const added = socd('allowlist', 'add', '*.partner-example.net', '--reason', 'our partner');
    assert.equal(added.status, 0, added.stderr);
    const id = added.stdout.trim();
    assert.match(id, /^\d+$/, 'the id alone on stdout');
    assert.match(added.stderr, /allow-listed \*\.partner-example\.net \(suffix\); revoked 1 IOC\n/);
    assert.deepEqual(active(), ['45.133.1.40', '45.133.1.41']);

    const again = socd('import', file, '--source', 'my-list');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /list\.txt:2: mail\.partner-example\.net: excluded by allow-list: \*\.partner-example\.net/);
    assert.match(again.stderr, /0 excluded, 1 excluded by allow-list/);
    assert.deepEqual(active(), ['45.133.1.40', '45.133.1.41'], 'it stays revoked');

    const listed = socd('allowlist', 'list');
    assert.match(listed.stdout, /^ID\s+ENTRY\s+KIND\s+AUTHOR/);
    assert.match(listed.stdout, new RegExp(`^${id}\\s+\\*\\.partner-example\\.net\\s+suffix\\s+cli\\s+`, 'm'));
    const json = JSON.parse(socd('allowlist', 'list', '--json').stdout) as Array<{ id: number; author: number | null; reason: string }>;
    assert.deepEqual(json.map((e) => [e.id, e.author, e.reason]), [[Number(id), null, 'our partner']]);

    const dup = socd('allowlist', 'add', '*.PARTNER-example.net', '--reason', 'again');
    assert.equal(dup.status, 2);
    assert.match(dup.stderr, /on the allow-list already/);
    const bad = socd('allowlist', 'add', '*.com', '--reason', 'x');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /two labels/);

    const removed = socd('allowlist', 'remove', id);
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stderr, /removed allow-list entry/);
    assert.equal(socd('allowlist', 'remove', id).status, 2, 'already gone');
    assert.match(socd('import', file, '--source', 'my-list').stderr, /3 updated, 0 unchanged, 0 rejected, 0 excluded, 0 excluded by allow-list/);
    assert.deepEqual(active(), ['45.133.1.40', '45.133.1.41', 'mail.partner-example.net'], 'back, as a new object');
  });
});
