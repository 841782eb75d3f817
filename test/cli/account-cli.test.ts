import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { cliActor } from '../../src/cli/context.js';
import { parseRoles } from '../../src/cli/account-commands.js';

const SOCD = resolve(process.cwd(), 'bin/socd.js');

function workdir() {
  const dir = mkdtempSync(join(tmpdir(), 'socd-accounts-'));
  // Explicit: CI exports DATABASE_URL for the PostgreSQL suites.
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'socd.db')}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn', SOCD_SCHEDULER: 'off' };
  const socd = (...args: string[]) => spawnSync(process.execPath, [SOCD, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { socd };
}

type Row = { email: string; plan: string; roles: string[]; disabled_at: string | null; disabled_reason: string | null; active_keys: number };

describe('socd accounts: roles and disabling', () => {
  it('create, set-roles, set-plan (admin: pro plus the admin role), disable and enable; list shows roles and status', () => {
    const { socd } = workdir();
    const list = () => JSON.parse(socd('accounts', 'list', '--json').stdout) as Row[];
    const made = socd('accounts', 'create', 'analyst@example.com', '--plan', 'pro', '--roles', 'analyst,submitter');
    assert.equal(made.status, 0, made.stderr);
    assert.deepEqual(list().map((a) => [a.email, a.plan, a.roles, a.active_keys, a.disabled_at]), [['analyst@example.com', 'pro', ['submitter', 'analyst'], 0, null]]);
    assert.equal(socd('accounts', 'create', 'analyst@example.com', '--plan', 'free').status, 1, 'it exists');
    assert.notEqual(socd('accounts', 'create', 'x@example.com').status, 0, '--plan is required');
    assert.notEqual(socd('accounts', 'create', 'x@example.com', '--plan', 'free', '--roles', 'root').status, 0);
    assert.notEqual(socd('accounts', 'create', 'not-an-email', '--plan', 'free').status, 0);

    assert.equal(socd('accounts', 'set-roles', 'analyst@example.com', 'admin').status, 0);
    assert.deepEqual(list()[0]!.roles, ['admin']);
    assert.equal(socd('accounts', 'set-roles', 'analyst@example.com', 'none').status, 0);
    assert.deepEqual(list()[0]!.roles, []);
    const bad = socd('accounts', 'set-roles', 'analyst@example.com', 'analyst,boss');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /boss/);
    assert.equal(socd('accounts', 'set-roles', 'nobody@example.com', 'analyst').status, 1);

    const key = socd('keys', 'create', '--email', 'old@example.com', '--plan', 'admin').stdout.trim();
    assert.match(key, /^sk_live_/);
    const old = list().find((a) => a.email === 'old@example.com')!;
    assert.deepEqual([old.plan, old.roles], ['pro', ['admin']], '--plan admin is the alias of pro plus the admin role');
    assert.equal(socd('keys', 'create', '--email', 'old@example.com', '--plan', 'admin').status, 0, 'the same plan, given as the alias');
    assert.equal(socd('accounts', 'set-plan', 'analyst@example.com', 'admin').status, 0);
    assert.deepEqual([list()[0]!.plan, list()[0]!.roles], ['pro', ['admin']]);

    const off = socd('accounts', 'disable', 'old@example.com', '--reason', 'left');
    assert.equal(off.status, 0, off.stderr);
    const disabled = list().find((a) => a.email === 'old@example.com')!;
    assert.equal(typeof disabled.disabled_at, 'string');
    assert.equal(disabled.disabled_reason, 'left');
    assert.match(socd('accounts', 'list').stdout, /disabled .*\(left\)/);
    assert.match(socd('keys', 'list').stdout, /account disabled/);
    assert.equal(socd('accounts', 'enable', 'old@example.com').status, 0);
    assert.equal(list().find((a) => a.email === 'old@example.com')!.disabled_at, null);
    const table = socd('accounts', 'list').stdout;
    assert.match(table, /ROLES/);
    assert.match(table, /STATUS/);
  });

  it('warns when no enabled account holds the admin role any more', () => {
    const { socd } = workdir();
    socd('keys', 'create', '--email', 'root@example.com', '--plan', 'admin');
    const r = socd('accounts', 'set-roles', 'root@example.com', 'analyst');
    assert.equal(r.status, 0);
    assert.match(r.stderr, /no enabled account holds the admin role/);
  });

  it('parses role lists and names the CLI actor user@host', () => {
    assert.deepEqual(parseRoles('admin,analyst'), ['analyst', 'admin']);
    assert.deepEqual(parseRoles('none'), []);
    assert.throws(() => parseRoles('admin,root'), /unknown role root/);
    const actor = cliActor();
    assert.equal(actor.via, 'cli');
    assert.match(actor.origin ?? '', /^.+@.+$/);
    assert.equal(actor.accountId, null);
  });
});
