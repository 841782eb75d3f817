import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';

const SOCD = resolve(process.cwd(), 'bin/socd.js');
const PAUSING_IMPORT = resolve(process.cwd(), 'dist/test/support/import-until-paused.js');
const PAUSED = 'paused after batch 1';
const BATCH_SIZE = 5000;

describe('socd import killed with SIGKILL', () => {
  it('leaves a consistent database with whole batches only, and the next run completes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'socd-crash-'));
    const db = join(dir, 'socd.db');
    const env = { ...process.env, DATABASE_URL: `sqlite:${db}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn' };
    const file = join(dir, 'big.txt');
    const count = 200_000;
    const lines: string[] = [];
    // 31.x–34.x: public, and clear of every built-in exclusion (resolvers, CDN ranges), so each line is an IOC.
    for (let i = 0; i < count; i++) lines.push(`3${(i >> 16) + 1}.${(i >> 8) & 255}.${i & 255}.${1 + (i % 200)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);

    // The child imports through the real pipeline and stops for good once the first batch is committed, with the
    // second batch's transaction open (test/support/import-until-paused.ts): the kill lands there every time.
    const child = spawn(process.execPath, [PAUSING_IMPORT, file, String(BATCH_SIZE)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    let out = '';
    await new Promise<void>((paused, failed) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes(PAUSED)) paused();
      });
      child.on('exit', (code, signal) => failed(new Error(`the import ended before its pause (${code ?? signal}): ${out}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const check = new Database(db);
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    const iocs = check.prepare('SELECT count(*) FROM iocs').pluck().get() as number;
    assert.equal(iocs, BATCH_SIZE, 'the committed batch, whole, and nothing of the open one');
    // Every IOC has its sighting and its one STIX version, and nothing points nowhere.
    assert.equal(check.prepare('SELECT count(*) FROM sightings').pluck().get(), iocs);
    assert.equal(check.prepare('SELECT count(*) FROM object_versions WHERE latest = 1 AND ioc_id IS NOT NULL').pluck().get(), iocs);
    assert.equal(check.prepare('SELECT count(*) FROM iocs i LEFT JOIN object_versions v ON v.seq = i.version_seq WHERE v.seq IS NULL').pluck().get(), 0);
    assert.deepEqual(check.pragma('foreign_key_check'), []);
    check.close();

    const rerun = spawnSync(process.execPath, [SOCD, 'import', file, '--type', 'ipv4'], { env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.match(rerun.stderr, new RegExp(`${count} records .* ${count - iocs} new, \\d+ updated, \\d+ unchanged, 0 rejected`));
    const after = new Database(db, { readonly: true });
    assert.equal(after.prepare('SELECT count(*) FROM iocs').pluck().get(), count);
    after.close();
  });
});
