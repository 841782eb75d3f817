import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { SOCD } from '../support/socd-process.js';
import { sqliteStore } from '../support/stores.js';

/** Records as `socd audit --json` prints them. */
type Json = Record<string, any>;

function workdir() {
  const dir = mkdtempSync(join(tmpdir(), 'socd-audit-cli-'));
  // Explicit: CI exports DATABASE_URL for the PostgreSQL suites.
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'socd.db')}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn', SOCD_SCHEDULER: 'off' };
  const socd = (...args: string[]) => {
    const r = spawnSync(process.execPath, [SOCD, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    return r;
  };
  return { dir, socd };
}

describe('socd audit', () => {
  it('keys, plans, the allow-list, imports, revocations and TAXII loads from the CLI are recorded, as the OS user at the host', async () => {
    const { dir, socd } = workdir();
    const ok = (...args: string[]) => {
      const r = socd(...args);
      assert.equal(r.status, 0, `socd ${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    const key = ok('keys', 'create', '--email', 'ops@example.com', '--plan', 'pro', '--name', 'siem').stdout.trim();
    ok('accounts', 'set-plan', 'ops@example.com', 'admin');
    const file = join(dir, 'list.txt');
    writeFileSync(file, '45.133.1.40\nmail.partner-example.net\n45.133.1.41\nnot a value\n');
    assert.equal(socd('import', file, '--source', 'my-list').status, 2, 'one rejected line');
    // The import is a run of its source (its health, its runs, the dashboard's added per day).
    const db = await sqliteStore(join(dir, 'socd.db'));
    const run = await db.lastRun('my-list', ['ok']);
    await db.close();
    assert.deepEqual([run?.outcome, run?.records, run?.inserted, run?.rejected], ['ok', 4, 3, 1]);
    const entry = ok('allowlist', 'add', '*.partner-example.net', '--reason', 'our partner').stdout.trim();
    ok('allowlist', 'remove', entry);
    ok('revoke', '45.133.1.40');
    ok('keys', 'revoke', key);
    const loaded = socd('taxii', 'load', resolve('test/fixtures/taxii/medallion-data.json'));
    assert.equal(loaded.status, 2, 'the fixture has two parts that cannot be loaded; the rest is loaded');
    assert.equal(socd('keys', 'revoke', key).status, 1, 'a refused change…');

    const records = JSON.parse(ok('audit', '--json').stdout) as Json[];
    assert.deepEqual(records.map((r) => r.action), [
      'taxii.load', 'key.revoke', 'ioc.revoke', 'allowlist.remove', 'allowlist.add', 'ioc.import', 'account.update', 'key.create', 'account.create',
    ], '…is not recorded; newest first');
    const origin = `${userInfo().username}@${hostname()}`;
    for (const r of records) assert.deepEqual(r.actor, { via: 'cli', account_id: null, email: null, key_prefix: null, origin });
    const by = (action: string) => records.find((r) => r.action === action)!;
    const prefix = key.slice(0, 16);
    const account = by('account.create').target as string;
    assert.match(account, /^account:\d+$/);
    assert.deepEqual(by('account.create').details, { email: 'ops@example.com', plan: 'pro', roles: [] });
    assert.equal(by('key.create').target, account);
    assert.deepEqual(by('key.create').details, { prefix, name: 'siem' });
    // set-plan admin: the former admin plan, now pro with the admin role.
    assert.deepEqual([by('account.update').details.before.roles, by('account.update').details.after.roles], [[], ['admin']]);
    assert.equal(by('account.update').target, account);
    assert.deepEqual(
      { ...by('ioc.import').details, path: undefined },
      { file: 'list.txt', path: undefined, format: 'text', source: 'my-list', source_created: true, read: 4, inserted: 3, updated: 0, unchanged: 0, rejected: 1, excluded: 0, allowlisted: 0 },
    );
    assert.equal(by('ioc.import').details.path, file);
    assert.equal(by('allowlist.add').target, '*.partner-example.net');
    assert.equal(by('allowlist.add').details.revoked, 1);
    assert.equal(by('allowlist.remove').details.id, Number(entry));
    assert.match(by('ioc.revoke').target, /^indicator--/);
    assert.deepEqual(by('ioc.revoke').details, { type: 'ipv4', value: '45.133.1.40' });
    assert.equal(by('key.revoke').target, account);
    assert.deepEqual(by('key.revoke').details, { prefix });
    assert.equal(by('taxii.load').target, 'medallion-data.json');
    assert.deepEqual({ ...by('taxii.load').details, file: undefined }, { file: undefined, roots: 2, collections: 3, versions: 4, duplicates: 0, statuses: 1, problems: 2 });
    assert.ok(!JSON.stringify(records).includes(key), 'never the key');

    const keysOnly = JSON.parse(ok('audit', '--json', '--action', 'key.*').stdout) as Json[];
    assert.deepEqual(keysOnly.map((r) => r.action), ['key.revoke', 'key.create']);
    assert.deepEqual((JSON.parse(ok('audit', '--json', '--limit', '2').stdout) as Json[]).map((r) => r.action), ['taxii.load', 'key.revoke']);
    assert.deepEqual(JSON.parse(ok('audit', '--json', '--since', '2999-01-01T00:00:00Z').stdout), []);
    assert.deepEqual(JSON.parse(ok('audit', '--json', '--email', 'nobody@example.com').stdout), []);

    const shown = ok('audit', '--limit', '3');
    assert.match(shown.stdout, /^TIME\s+ACTION\s+TARGET\s+WHO\s+VIA\s+ORIGIN\s+DETAILS\n/);
    assert.match(shown.stdout, /\staxii\.load\s+medallion-data\.json\s+-\s+cli\s/);
    assert.equal(shown.stdout.trim().split('\n').length, 4);
    assert.match(shown.stderr, /more records are older/);

    const bad = socd('audit', '--since', 'yesterday');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /socd audit: --since: not an ISO 8601 date-time/);
    assert.equal(socd('audit', '--action', 'Key').status, 2);
  });
});
