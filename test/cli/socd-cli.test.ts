import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { schemaErrors, strictWarnings } from '../support/stix-validator.js';
import { sqliteStore } from '../support/stores.js';

const SOCD = resolve(process.cwd(), 'bin/socd.js');
const KEY = /^sk_live_[0-9A-Za-z]{40}$/;

function workdir() {
  const dir = mkdtempSync(join(tmpdir(), 'socd-cli-'));
  // Explicit: CI exports DATABASE_URL for the PostgreSQL suites.
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'socd.db')}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn', SOCD_SCHEDULER: 'off' };
  const socd = (...args: string[]) => spawnSync(process.execPath, [SOCD, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { dir, env, socd };
}

describe('socd CLI', () => {
  it('keys create prints the key alone on stdout; list shows the prefix; revoke ends it', () => {
    const { socd } = workdir();
    const created = socd('keys', 'create', '--email', 'analyst@example.com', '--plan', 'pro', '--name', 'sentinel');
    assert.equal(created.status, 0, created.stderr);
    const lines = created.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, KEY);
    const prefix = lines[0]!.slice(0, 16);
    const listed = socd('keys', 'list', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as Array<{ prefix: string; email: string; plan: string; revoked_at: string | null }>;
    assert.equal(keys.length, 1);
    assert.deepEqual([keys[0]!.prefix, keys[0]!.email, keys[0]!.plan, keys[0]!.revoked_at], [prefix, 'analyst@example.com', 'pro', null]);
    assert.ok(!listed.stdout.includes(lines[0]!), 'the secret is never listed');
    assert.equal(socd('keys', 'revoke', prefix).status, 0);
    assert.equal(typeof JSON.parse(socd('keys', 'list', '--json').stdout)[0].revoked_at, 'string');
    assert.equal(socd('keys', 'revoke', 'sk_live_nothere').status, 1);
    const bad = socd('keys', 'create', '--email', 'a@b.c', '--plan', 'gold');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /gold/);
    const accounts = JSON.parse(socd('accounts', 'list', '--json').stdout);
    assert.deepEqual(accounts.map((a: { email: string; plan: string }) => [a.email, a.plan]), [['analyst@example.com', 'pro']]);
  });

  it('keys create never changes the plan of an existing account: a different --plan is an error naming set-plan', () => {
    const { socd } = workdir();
    const first = socd('keys', 'create', '--email', 'siem@example.com', '--plan', 'pro', '--name', 'siem');
    assert.equal(first.status, 0, first.stderr);
    const downgrade = socd('keys', 'create', '--email', 'siem@example.com', '--plan', 'free', '--name', 'script');
    assert.notEqual(downgrade.status, 0, 'a plan mismatch is an error');
    assert.equal(downgrade.stdout, '', 'no key was made');
    assert.match(downgrade.stderr, /siem@example\.com is on the pro plan/);
    assert.match(downgrade.stderr, /socd accounts set-plan siem@example\.com free/);
    const accounts = () => JSON.parse(socd('accounts', 'list', '--json').stdout) as Array<{ email: string; plan: string; active_keys: number }>;
    assert.deepEqual(accounts().map((a) => [a.email, a.plan, a.active_keys]), [['siem@example.com', 'pro', 1]]);
    // The same plan, or none at all, adds a key to the existing account.
    const same = socd('keys', 'create', '--email', 'siem@example.com', '--plan', 'pro');
    assert.equal(same.status, 0, same.stderr);
    const unsaid = socd('keys', 'create', '--email', 'siem@example.com');
    assert.equal(unsaid.status, 0, unsaid.stderr);
    assert.match(unsaid.stdout.trim(), KEY);
    assert.deepEqual(accounts().map((a) => [a.email, a.plan, a.active_keys]), [['siem@example.com', 'pro', 3]]);
    // A new account needs its plan.
    const planless = socd('keys', 'create', '--email', 'new@example.com');
    assert.notEqual(planless.status, 0);
    assert.match(planless.stderr, /--plan/);
    assert.equal(accounts().length, 1);
  });

  it('keys list --json gives null for missing dates; revoke takes the full key or the prefix and never echoes the key', () => {
    const { socd } = workdir();
    const key = socd('keys', 'create', '--email', 'a@example.com', '--plan', 'pro').stdout.trim();
    const other = socd('keys', 'create', '--email', 'a@example.com', '--plan', 'pro').stdout.trim();
    const list = () => JSON.parse(socd('keys', 'list', '--json').stdout) as Array<{ prefix: string; last_used_at: string | null; revoked_at: string | null; created_at: string }>;
    const fresh = list();
    assert.equal(fresh[0]!.last_used_at, null);
    assert.equal(fresh[0]!.revoked_at, null);
    assert.match(fresh[0]!.created_at, /^\d{4}-\d\d-\d\dT/);
    assert.match(socd('keys', 'list').stdout, /\s-\s/, 'the table keeps - for no date');

    const byKey = socd('keys', 'revoke', key);
    assert.equal(byKey.status, 0, byKey.stderr);
    assert.ok(!byKey.stderr.includes(key) && !byKey.stdout.includes(key), 'the full key is not echoed');
    assert.match(byKey.stderr, new RegExp(`revoked ${key.slice(0, 16)}`));
    const again = socd('keys', 'revoke', key);
    assert.equal(again.status, 1);
    assert.ok(!again.stderr.includes(key), again.stderr);
    assert.match(again.stderr, /already revoked/);
    const unknown = `sk_live_${'Z'.repeat(40)}`;
    const notMine = socd('keys', 'revoke', unknown);
    assert.equal(notMine.status, 1);
    assert.ok(!notMine.stderr.includes(unknown), notMine.stderr);
    // The prefix as `keys create` shows it (with its ellipsis) works too.
    assert.equal(socd('keys', 'revoke', `${other.slice(0, 16)}…`).status, 0);
    const after = list();
    assert.ok(after.every((k) => typeof k.revoked_at === 'string'));
  });

  it('import reports bad lines with their numbers and still loads the good ones', () => {
    const { dir, socd } = workdir();
    const file = join(dir, 'iocs.txt');
    writeFileSync(file, '# a list\n45.133.1.5\nnot a value at all!\n999.1.1.1\nhxxps://evil[.]example/x\n\nCVE-2024-3094\n');
    const r = socd('import', file, '--source', 'my-list', '--confidence', '80');
    assert.equal(r.status, 2, 'non-zero when lines were rejected');
    assert.match(r.stderr, /iocs\.txt:3: /);
    assert.match(r.stderr, /iocs\.txt:4: 999\.1\.1\.1: octet out of range/);
    assert.match(r.stderr, /5 records .* 3 new, 0 updated, 0 unchanged, 2 rejected/);
    // A list without dates is a fresh sighting now: last_seen moves, nothing new.
    const again = socd('import', file, '--source', 'my-list', '--confidence', '80');
    assert.match(again.stderr, /0 new, 3 updated, 0 unchanged, 2 rejected/);
    const dated = join(dir, 'dated.csv');
    writeFileSync(dated, 'value,last_seen\n45.133.1.5,2026-05-01T00:00:00Z\n');
    assert.match(socd('import', dated, '--source', 'my-list').stderr, /1 updated/);
    assert.match(socd('import', dated, '--source', 'my-list').stderr, /0 new, 0 updated, 1 unchanged, 0 rejected/);
    const wrongType = socd('import', file, '--type', 'sha256');
    assert.match(wrongType.stderr, /0 new/);
  });

  it('import applies the exclusions: private, documentation, resolver and top-domain values are reported, never stored', async () => {
    const { dir, socd } = workdir();
    const file = join(dir, 'list.txt');
    writeFileSync(file, '10.0.0.5\n8.8.8.8\n203.0.113.7\n2001:db8::1\ngoogle.com\n45.133.1.20\n');
    const r = socd('import', file, '--source', 'my-list', '--confidence', '90');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /list\.txt:1: excluded: 10\.0\.0\.5: private, reserved or bogon address space/);
    assert.match(r.stderr, /list\.txt:2: excluded: 8\.8\.8\.8: a public resolver/);
    assert.match(r.stderr, /list\.txt:3: excluded: 203\.0\.113\.7: /);
    assert.match(r.stderr, /list\.txt:4: excluded: 2001:db8::1: /);
    assert.match(r.stderr, /list\.txt:5: excluded: google\.com: a top domain/);
    assert.match(r.stderr, /6 records .* 1 new, 0 updated, 0 unchanged, 0 rejected, 5 excluded/);
    // The import's run counts them as excluded, not as rejected (what /metrics and the sources page show).
    const db = await sqliteStore(join(dir, 'socd.db'));
    const run = await db.lastRun('my-list', ['ok']);
    await db.close();
    assert.deepEqual([run?.records, run?.inserted, run?.rejected, run?.excluded], [6, 1, 0, 5]);
    const bundle = JSON.parse(socd('export', '--format', 'stix').stdout) as { objects: Array<{ pattern?: string }> };
    assert.deepEqual(bundle.objects.flatMap((o) => (o.pattern ? [o.pattern] : [])), ["[ipv4-addr:value = '45.133.1.20']"]);
  });

  it('import: an address with a port is that address; --confidence takes a band as a CSV cell does', () => {
    const { dir, socd } = workdir();
    const file = join(dir, 'ports.txt');
    writeFileSync(file, '45.133.1.30:443\n[2a01:4f8:c0c::7]:8443\nc2-host.example:8080\n');
    const r = socd('import', file, '--source', 'ports', '--confidence', 'high');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /3 records .* 3 new, 0 updated, 0 unchanged, 0 rejected/);
    const iocs = JSON.parse(socd('export', '--format', 'json').stdout) as Array<{ type: string; value: string; score: number; confidence: string; tlp: string }>;
    assert.deepEqual(iocs.map((i) => [i.type, i.value]).sort(), [['domain', 'c2-host.example'], ['ipv4', '45.133.1.30'], ['ipv6', '2a01:4f8:c0c::7']]);
    // The numbers of the CSV path: high = 85, medium = 50, low = 15 (the score, reliability 1 for a file). Without
    // --tlp or a tlp of their own, values get their source's TLP, which a new import source gets as CLEAR (README).
    for (const i of iocs) assert.deepEqual([i.score, i.confidence, i.tlp], [85, 'high', 'clear'], i.value);
    const low = join(dir, 'low.txt');
    writeFileSync(low, '45.133.1.31\n');
    assert.equal(socd('import', low, '--source', 'ports', '--confidence', 'LOW').status, 0);
    const lowIoc = (JSON.parse(socd('export', '--format', 'json').stdout) as Array<{ value: string; score: number }>).find((i) => i.value === '45.133.1.31');
    assert.equal(lowIoc?.score, 15);
    const bad = socd('import', low, '--confidence', 'certain');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /an integer from 0 to 100, or low, medium, high/);
  });

  it('export writes the bundle, JSON and CSV; JSON and CSV import back into another database unchanged', () => {
    const mine = workdir();
    const { dir, socd } = mine;
    const list = join(dir, 'list.csv');
    // Recent sightings: scores have not aged yet, so the round trip is exact (ageing is tested in the store).
    const day = (n: number) => new Date(Math.floor(Date.now() / 86_400_000 - n) * 86_400_000).toISOString();
    writeFileSync(list, [
      'value,tags,sectors,first_seen,last_seen',
      `45.133.1.5,c2;botnet,energy,${day(3)},${day(2)}`,
      `http://evil.example/a?x=1,phishing,,${day(3)},${day(1)}`,
      `CVE-2024-3094,,,${day(3)},${day(3)}`,
      `44d88612fea8a8f36de82e1278abb02f,,,${day(3)},${day(3)}`,
    ].join('\n'));
    assert.equal(socd('import', list, '--source', 'team-list', '--confidence', '80').status, 0);
    const stix = join(dir, 'out.stix.json');
    const r = socd('export', '--format', 'stix', '--out', stix, '--type', 'ipv4,url,cve');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /exported 3 IOCs as stix/);
    const bundle = JSON.parse(readFileSync(stix, 'utf8'));
    assert.equal(bundle.type, 'bundle');
    assert.deepEqual(bundle.objects.map((o: { type: string }) => o.type), ['identity', 'marking-definition', 'indicator', 'indicator', 'vulnerability']);
    for (const o of bundle.objects) assert.deepEqual([...schemaErrors(o), ...strictWarnings(o)], [], o.id);
    // The identity is made once and kept: a second export names the same producer.
    const again = JSON.parse(socd('export', '--limit', '1').stdout);
    assert.equal(again.objects[0].id, bundle.objects[0].id);
    assert.deepEqual(again.objects[0], bundle.objects[0]);
    assert.notEqual(again.id, bundle.id);
    // Renamed in the config file: the same identity, a new version with a later modified.
    const config = join(dir, 'renamed.json');
    writeFileSync(config, JSON.stringify({ stix: { identity: { name: 'Blue Team CTI' } } }));
    const renamed = spawnSync(process.execPath, [SOCD, 'export', '--limit', '1'], { cwd: dir, env: { ...mine.env, SOCD_CONFIG: config }, encoding: 'utf8' });
    const identity = JSON.parse(renamed.stdout).objects[0];
    assert.deepEqual([identity.id, identity.name, identity.created], [bundle.objects[0].id, 'Blue Team CTI', bundle.objects[0].created]);
    assert.ok(identity.modified > bundle.objects[0].modified);

    for (const format of ['json', 'csv']) {
      const file = join(dir, `out.${format}`);
      assert.equal(socd('export', '--format', format, '--out', file).status, 0);
      const other = workdir();
      const back = other.socd('import', file, '--source', 'team-list');
      assert.equal(back.status, 0, back.stderr);
      assert.match(back.stderr, /4 records .* 4 new, 0 updated, 0 unchanged, 0 rejected/, format);
      const view = (w: ReturnType<typeof workdir>) =>
        (JSON.parse(w.socd('export', '--format', 'json').stdout) as Array<Record<string, unknown>>)
          .map(({ value, type, tags, sectors, first_seen, last_seen, score }) => ({ value, type, tags, sectors, first_seen, last_seen, score }));
      assert.deepEqual(view(other), view(mine), format);
    }
    // Withdrawn: the bundle of revoked IOCs holds the final version, revoked: true; REST lists it as revoked.
    const revoke = socd('revoke', '45.133.1[.]5', 'not-there.example', '999.1.1.1');
    assert.equal(revoke.status, 2);
    assert.match(revoke.stderr, /not-there\.example: no active IOC/);
    assert.match(revoke.stderr, /999\.1\.1\.1: octet out of range/);
    assert.match(revoke.stderr, /revoked 1 IOC\b/);
    const revoked = JSON.parse(socd('export', '--status', 'revoked').stdout).objects.slice(2);
    assert.deepEqual(revoked.map((o: { pattern: string; revoked: boolean }) => [o.pattern, o.revoked]), [["[ipv4-addr:value = '45.133.1.5']", true]]);
    assert.equal(JSON.parse(socd('export').stdout).objects.length, 2 + 3);
    const bad = socd('export', '--since', 'yesterday');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /since: "yesterday" is not an ISO 8601 date-time/);
  });

  it('serve on an empty database creates an admin and prints its key once, then serves with it', async () => {
    const { env, socd } = workdir();
    const run = (): Promise<{ child: ChildProcess; key: string | undefined; base: string; output: () => string }> =>
      new Promise((resolveRun, reject) => {
        // The most verbose level: whatever the server logs, a key must not be in it.
        const child = spawn(process.execPath, [SOCD, 'serve'], { env: { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'trace' } });
        let out = '';
        let started = false;
        const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && !started) {
            started = true;
            clearTimeout(timer);
            resolveRun({ child, key: /^(sk_live_\S+)$/m.exec(out)?.[1], base: m[1]!, output: () => out });
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
      });
    const stop = (child: ChildProcess) => new Promise((r) => { child.on('exit', r); child.kill('SIGTERM'); });

    const first = await run();
    try {
      assert.match(first.key ?? '', KEY);
      const res = await fetch(`${first.base}/api/v1/iocs`, { headers: { authorization: `Bearer ${first.key}` } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { data: [], pagination: { limit: 100, next_cursor: null, has_more: false } });
      const basic = `Basic ${Buffer.from(`admin@localhost:${first.key}`).toString('base64')}`;
      assert.equal((await fetch(`${first.base}/api/v1/iocs?limit=bad`, { headers: { authorization: basic } })).status, 400);
    } finally {
      await stop(first.child);
    }
    const logged = first.output();
    assert.ok(logged.includes('"reqId"'), 'requests were logged');
    assert.equal(logged.split(first.key!).length - 1, 1, 'the key is printed once, at creation, and never logged');
    assert.ok(!logged.includes(Buffer.from(`admin@localhost:${first.key}`).toString('base64')), 'nor its Basic form');
    const second = await run();
    try {
      assert.equal(second.key, undefined, 'the admin key is printed only on an empty database');
    } finally {
      await stop(second.child);
    }
    const list = JSON.parse(socd('keys', 'list', '--json').stdout);
    assert.deepEqual([list[0].plan, list[0].roles], ['pro', ['admin']], 'the first admin: Pro with the admin role');
    assert.equal(typeof list[0].last_used_at, 'string', 'last use is written at shutdown');
    const created = JSON.parse(socd('audit', '--json').stdout) as Array<{ action: string; target: string; actor: { via: string } }>;
    assert.deepEqual(created.map((r) => [r.action, r.target, r.actor.via]), [['key.create', first.key!.slice(0, 16), 'system']], 'the bootstrap key is on record');
    assert.ok(!JSON.stringify(created).includes(first.key!));
  });

  it('a closed stdout (socd … | head) ends the command quietly with exit status 0', async () => {
    const { dir, env, socd } = workdir();
    const list = join(dir, 'many.txt');
    writeFileSync(list, Array.from({ length: 3000 }, (_, i) => `31.${i >> 8}.${i & 255}.1`).join('\n'));
    const imported = socd('import', list);
    assert.equal(imported.status, 0);
    assert.match(imported.stdout + imported.stderr, /3000 new/, 'public addresses, none excluded: the export has something to write');
    assert.equal(socd('keys', 'create', '--email', 'a@example.com', '--plan', 'pro').status, 0);
    /** Runs socd with its stdout closed by the reader: at once, or after the first chunk (like `head -c 1`). */
    const closedPipe = (args: string[], when: 'at-once' | 'after-first-chunk') =>
      new Promise<{ status: number | null; signal: string | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, [SOCD, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        if (when === 'at-once') child.stdout!.destroy();
        else child.stdout!.once('data', () => child.stdout!.destroy());
        child.on('close', (status, signal) => done({ status, signal, stderr }));
      });
    const cases: Array<[string[], 'at-once' | 'after-first-chunk']> = [
      [['export'], 'after-first-chunk'], [['export', '--format', 'json'], 'after-first-chunk'], [['export', '--format', 'csv'], 'after-first-chunk'],
      [['export', '--format', 'json'], 'at-once'], [['keys', 'list'], 'at-once'], [['keys', 'list', '--json'], 'at-once'],
      [['accounts', 'list'], 'at-once'], [['sources'], 'at-once'], [['sources', '--json'], 'at-once'], [['--version'], 'at-once'],
    ];
    for (const [args, when] of cases) {
      const r = await closedPipe(args, when);
      assert.deepEqual(r, { status: 0, signal: null, stderr: '' }, `socd ${args.join(' ')} (${when})`);
    }
  });

  it('taxii load says what is wrong with the file: missing, a directory, unreadable, not JSON', () => {
    const { dir, socd } = workdir();
    const missing = socd('taxii', 'load', 'missing.json');
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'socd: missing.json: the file does not exist\n');
    const folder = socd('taxii', 'load', dir);
    assert.equal(folder.status, 1);
    assert.equal(folder.stderr, `socd: ${dir}: is a directory, not a file\n`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"roots": [');
    const notJson = socd('taxii', 'load', broken);
    assert.equal(notJson.status, 1);
    assert.match(notJson.stderr, /^socd: .*broken\.json: not JSON: /);
    if (process.getuid?.() !== 0) {
      // root reads whatever the mode says.
      const locked = join(dir, 'locked.json');
      writeFileSync(locked, '{}', { mode: 0o000 });
      const unreadable = socd('taxii', 'load', locked);
      assert.equal(unreadable.status, 1);
      assert.match(unreadable.stderr, /locked\.json: cannot be read: permission denied/);
    }
  });

  it('sources: ENABLED says why an enabled source will not run; NOTE is shortened on a word boundary', () => {
    const { env, dir } = workdir();
    const sources = (extra: NodeJS.ProcessEnv, ...args: string[]) =>
      spawnSync(process.execPath, [SOCD, 'sources', ...args], { cwd: dir, env: { ...env, SOCD_OTX_KEY: '', SOCD_PHISHTANK_KEY: '', ...extra }, encoding: 'utf8' });
    const r = sources({});
    assert.equal(r.status, 0, r.stderr);
    const [header, ...lines] = r.stdout.trimEnd().split('\n');
    const columns = header!.split(/\s{2,}/);
    const rows = new Map(lines.map((l) => {
      const cells = l.split(/\s{2,}/);
      return [cells[0]!, Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']))];
    }));
    assert.equal(rows.get('otx')!.ENABLED, 'no key (SOCD_OTX_KEY)');
    assert.equal(rows.get('phishtank')!.ENABLED, 'no key (SOCD_PHISHTANK_KEY)');
    assert.equal(rows.get('urlhaus')!.ENABLED, 'yes');
    assert.equal(rows.get('dshield')!.ENABLED, 'no');
    const full = new Map((JSON.parse(sources({}, '--json').stdout) as Array<{ id: string; status_reason: string | null }>).map((s) => [s.id, s.status_reason ?? '']));
    let shortened = 0;
    for (const [id, row] of rows) {
      const note = row.NOTE!;
      const reason = full.get(id)!;
      if (note === reason) continue;
      shortened++;
      assert.match(note, /\S…$/, `${id}: ${note}`);
      const kept = note.slice(0, -1);
      assert.ok(reason.startsWith(kept), `${id}: ${note} is not the start of ${reason}`);
      assert.match(reason.slice(kept.length), /^[\s,;:.]/, `${id}: cut mid-word: ${note}`);
    }
    assert.ok(shortened > 0, 'some licence notes are long');
    const keyed = sources({ SOCD_OTX_KEY: 'k' });
    assert.match(keyed.stdout, /^otx\s+yes\s/m);
  });

  it('--version and -V print the package version', () => {
    const { socd } = workdir();
    const { version } = JSON.parse(readFileSync(resolve(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = socd(flag);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${version}\n`, flag);
      assert.equal(r.stderr, '');
    }
  });

  it('npm start: SIGTERM to npm (npm → sh → node) reaches the server, which closes cleanly and exits 0', async () => {
    const { env } = workdir();
    const root = process.cwd();
    const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const serverEnv = { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SOCD_SCHEDULER: 'off', npm_config_update_notifier: 'false', npm_config_fund: 'false' };
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    /** Starts `command args`, waits for the server to listen, SIGTERMs the started process, and reports. */
    const startAndTerminate = (command: string, args: string[]) =>
      new Promise<{ code: number | null; signal: string | null; serverPid: number; serverGone: boolean; output: string }>((done, fail) => {
        const child = spawn(command, args, { cwd: root, env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        let serverPid = 0;
        const timer = setTimeout(() => fail(new Error(`${command} did not start:\n${output}`)), 30_000);
        const onData = (d: Buffer) => {
          output += d.toString();
          const listening = /"pid":(\d+)[^\n]*Server listening at http:\/\/127\.0\.0\.1:\d+/.exec(output);
          if (listening && !serverPid) {
            serverPid = Number(listening[1]);
            clearTimeout(timer);
            child.kill('SIGTERM');
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.on('error', fail);
        child.on('exit', async (code, signal) => {
          // The server may outlive its parent by the time its clean close takes.
          for (let i = 0; i < 100 && serverPid && alive(serverPid); i++) await new Promise((r) => setTimeout(r, 100));
          const serverGone = !serverPid || !alive(serverPid);
          if (!serverGone) process.kill(serverPid, 'SIGKILL');
          done({ code, signal, serverPid, serverGone, output });
        });
      });

    // The script line as npm runs it: sh -c '<scripts.start>'. The signal goes to sh; the server must get it.
    const viaSh = await startAndTerminate('sh', ['-c', script]);
    assert.ok(viaSh.serverGone, `the server (pid ${viaSh.serverPid}) outlived sh:\n${viaSh.output}`);
    assert.equal(viaSh.code, 0, `sh -c '${script}' (the server) exits 0 on SIGTERM:\n${viaSh.output}`);
    assert.match(viaSh.output, /"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
    assert.match(viaSh.output, /"msg":"stopped"/, 'the close ran to its end');

    // And npm itself, when it is there (no network: npm start runs a script and nothing else).
    const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
    if (npm.status === 0) {
      const viaNpm = await startAndTerminate('npm', ['start']);
      assert.ok(viaNpm.serverGone, `the server (pid ${viaNpm.serverPid}) outlived npm:\n${viaNpm.output}`);
      assert.match(viaNpm.output, /"msg":"stopped"/, `the server closed cleanly:\n${viaNpm.output}`);
    }
  });

  it('explains a bad DATABASE_URL instead of crashing', () => {
    const { dir, env } = workdir();
    const r = spawnSync(process.execPath, [SOCD, 'migrate'], { cwd: dir, env: { ...env, DATABASE_URL: 'mysql://x' }, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /DATABASE_URL must be sqlite:PATH .* or postgres:\/\/user@host:port\/database, got "mysql:\/\/x"/);
  });
});
