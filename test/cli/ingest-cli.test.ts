import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runSocd, SOCD } from '../support/socd-process.js';


/** 45.a.b.c and 91.a.b.c: public addresses, never excluded. */
function publicIps(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`${i % 2 ? 45 : 91}.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) || 1}`);
  return [...new Set(out)];
}

describe('socd ingest and socd sources', () => {
  let server: Server;
  let base = '';
  const bodies = new Map<string, string>();
  /** Served once in place of the body: this head, then nothing more (the connection is held open). */
  const heads = new Map<string, string>();
  before(async () => {
    server = createServer((req, res) => {
      const head = heads.get(req.url ?? '');
      if (head !== undefined) {
        heads.delete(req.url ?? '');
        res.writeHead(200, { 'content-type': 'text/plain' }).write(head);
        return;
      }
      const body = bodies.get(req.url ?? '');
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  function workdir(customSources: unknown[]) {
    const dir = mkdtempSync(join(tmpdir(), 'socd-ingest-'));
    const db = join(dir, 'socd.db');
    const config = join(dir, 'socd.config.json');
    // Every catalog source off: the test must not reach the Internet.
    writeFileSync(config, JSON.stringify({ ingest: { batchSize: 5000 }, customSources, sources: {} }));
    const env = { ...process.env, DATABASE_URL: `sqlite:${db}`, SOCD_CONFIG: config, LOG_LEVEL: 'warn', SOCD_SCHEDULER: 'off' };
    const socd = (...args: string[]) => runSocd(args, { cwd: dir, env });
    return { dir, db, env, socd };
  }

  it('ingests a configured source, reports it, and a second unchanged snapshot appends zero STIX versions', async () => {
    bodies.set('/team.txt', '# our blocklist\n45.133.1.20\n91.92.240.11\n10.0.0.1\nevil-login-example.top\nnot a value\n');
    const { db, socd } = workdir([{ id: 'team-list', generic: 'text', url: `${base}/team.txt`, name: 'Team blocklist' }]);
    const first = await socd('ingest', '--source', 'team-list');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /SOURCE\s+OUTCOME\s+RECORDS\s+NEW/);
    assert.match(first.stdout, /team-list\s+ok\s+5\s+3\s+0\s+0\s+0\s+1\s+1/, first.stdout);
    const started = JSON.parse((await socd('audit', '--json', '--action', 'source.run')).stdout) as Array<{ target: string; actor: { via: string }; details: unknown }>;
    assert.deepEqual(started.map((r) => [r.target, r.actor.via, r.details]), [['team-list', 'cli', { force: false }]], 'the run started by hand is recorded');
    const versions = () => {
      const d = new Database(db, { readonly: true });
      const n = d.prepare('SELECT count(*) FROM object_versions').pluck().get() as number;
      d.close();
      return n;
    };
    const before = versions();
    const second = await socd('ingest', '--source', 'team-list', '--json');
    assert.equal(second.status, 0, second.stderr);
    const report = JSON.parse(second.stdout) as { runs: Array<{ source: string; outcome: string; inserted: number; unchanged: number; updated: number }> };
    assert.equal(report.runs[0]!.outcome, 'ok');
    assert.equal(report.runs[0]!.inserted, 0);
    assert.equal(versions(), before, 'an unchanged snapshot makes no new STIX version');

    const listed = await socd('sources', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const sources = JSON.parse(listed.stdout) as Array<{ id: string; enabled: boolean; status_reason: string | null; last_run: { outcome: string; new: number } | null }>;
    assert.ok(sources.length >= 41, 'the catalog and the custom source');
    const team = sources.find((s) => s.id === 'team-list')!;
    assert.equal(team.last_run?.outcome, 'ok');
    const dshield = sources.find((s) => s.id === 'dshield')!;
    assert.equal(dshield.enabled, false);
    assert.match(dshield.status_reason ?? '', /licen[cs]e|non-?commercial|redistribut/i);
    const text = await socd('sources');
    assert.match(text.stdout, /team-list\s+yes\s+snap\s+1h\s+\d{4}-\d{2}-\d{2} [\d:]+\s+ok/);

    const unknown = await socd('ingest', '--source', 'no-such-source');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown source no-such-source/);
  });

  it('a failing source exits 2 with its error in the table, and the others of the run complete', async () => {
    bodies.set('/good.txt', '45.133.1.21\n');
    const { socd } = workdir([
      { id: 'broken', generic: 'text', url: `${base}/missing.txt` },
      { id: 'good', generic: 'text', url: `${base}/good.txt` },
    ]);
    const r = await socd('ingest', '--source', 'broken', 'good');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /broken\s+failed.*HTTP 404/);
    assert.match(r.stdout, /good\s+ok\s+1\s+1/);
  });

  // The first download sends 12,000 of the addresses and then nothing more: the child commits whole batches of 5,000
  // and waits for the rest, which never comes; the test sees a commit and kills it there. Killed before the end,
  // every time, whatever the speed of either process. The only deadline is the test's timeout (a hang guard), and the
  // child's own stall limit (30 s of silence), far above the few polls that see its first commit.
  it('an ingest killed with SIGKILL leaves a consistent database, and the next run completes', { timeout: 300_000 }, async () => {
    const ips = publicIps(150_000);
    bodies.set('/big.txt', `${ips.join('\n')}\n`);
    heads.set('/big.txt', `${ips.slice(0, 12_000).join('\n')}\n`);
    const { db, env, socd } = workdir([{ id: 'big', generic: 'text', url: `${base}/big.txt`, type: 'ipv4' }]);
    const child = spawn(process.execPath, [SOCD, 'ingest', '--source', 'big'], { env, stdio: 'ignore' });
    let gone: string | undefined;
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (code, signal) => {
      gone = `${code ?? signal}`;
      r(signal);
    }));
    let committed = 0;
    while (committed === 0) {
      assert.equal(gone, undefined, 'the ingest ended before it was killed');
      await new Promise((r) => setTimeout(r, 25));
      try {
        const probe = new Database(db, { readonly: true, fileMustExist: true });
        const ready = probe.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'source_runs'").pluck().get();
        committed = ready ? (probe.prepare("SELECT count(*) FROM sightings WHERE source_id = 'big'").pluck().get() as number) : 0;
        probe.close();
      } catch {
        // not created yet
      }
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.ok(committed > 0, 'batches were committed before the kill');

    const check = new Database(db);
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(check.pragma('foreign_key_check'), []);
    const iocs = check.prepare('SELECT count(*) FROM iocs').pluck().get() as number;
    assert.ok(iocs > 0 && iocs <= 12_000, `killed in the part it was sent (${iocs} of 12,000)`);
    assert.equal(iocs % 5000, 0, 'whole batches only');
    assert.equal(check.prepare('SELECT count(*) FROM iocs i LEFT JOIN object_versions v ON v.seq = i.version_seq WHERE v.seq IS NULL').pluck().get(), 0);
    assert.equal(check.prepare("SELECT outcome FROM source_runs WHERE source_id = 'big'").pluck().get(), 'running');
    check.close();

    const rerun = await socd('ingest', '--source', 'big', '--json');
    assert.equal(rerun.status, 0, rerun.stderr);
    const after = new Database(db, { readonly: true });
    assert.equal(after.prepare('SELECT count(*) FROM iocs').pluck().get(), ips.length);
    const runs = after.prepare("SELECT outcome, error FROM source_runs WHERE source_id = 'big' ORDER BY id").all() as Array<{ outcome: string; error: string | null }>;
    assert.deepEqual(runs.map((r) => r.outcome), ['failed', 'ok']);
    assert.match(runs[0]!.error ?? '', /interrupted/);
    after.close();
  });
});
