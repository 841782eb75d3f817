import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import type { Actor, AuditEvent, AuditTrail } from '../../src/domain/audit.js';
import { FeedServer } from '../support/feed-server.js';
import { startServer, type TestServer } from '../support/server.js';

/** No test here is about a limit: generous ones. */
const TRANSPORT = { retries: 1, backoffMs: 1, idleTimeoutMs: 60_000, timeoutMs: 60_000, maxRetryAfterMs: 50 };
const url = (id: string) => `https://feeds.example.invalid/${id}.txt`;
const API_KEY = 'api-key-Zq7-never-shown';
const ENV_KEY = 'env-key-Wx3-never-shown';

class RecordingAudit implements AuditTrail {
  readonly events: Array<{ actor: Actor; event: AuditEvent }> = [];
  async record(actor: Actor, event: AuditEvent): Promise<void> {
    this.events.push({ actor, event });
  }
}

/** Every answer body the tests saw: the keys must be in none. */
const seen: string[] = [];

async function call(base: string, method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  seen.push(text);
  return { status: res.status, location: res.headers.get('location'), text, body: text ? JSON.parse(text) : undefined };
}

/** Asks until `done` holds (the test's own timeout bounds it: no deadline here). */
async function until<T>(ask: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await ask();
    if (done(v)) return v;
    await sleep(10);
  }
}

describe('Sources administration and run now, through a real server whose scheduler runs against a loopback feed', () => {
  const feed = new FeedServer();
  const audit = new RecordingAudit();
  let srv: TestServer;
  let admin: string;
  let pro: string;
  let free: string;
  let release: () => void = () => {};
  let arrived: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const requested = new Promise<void>((r) => (arrived = r));

  const { sources, ingest } = resolveSources([], {
    customSources: [
      { id: 'list-a', generic: 'text', url: url('list-a'), schedule: '1h' },
      { id: 'list-b', generic: 'text', url: url('list-b'), schedule: '1h' },
      { id: 'list-off', generic: 'text', url: url('list-off'), schedule: '1h' },
      { id: 'keyed', name: 'Keyed list', fetch: { url: url('keyed') }, shape: { kind: 'line' }, apiKey: { env: 'SOCD_KEYED_KEY', header: 'X-Key' }, schedule: '1h' },
      { id: 'keyed-env', name: 'Keyed by env', fetch: { url: url('keyed-env') }, shape: { kind: 'line' }, apiKey: { env: 'SOCD_KEYED_ENV_KEY', header: 'X-Key' }, schedule: '1h' },
    ],
    sources: { 'list-off': { enabled: false } },
  }, { SOCD_KEYED_ENV_KEY: ENV_KEY });

  before(async () => {
    await feed.start();
    // list-a answers only when the test lets it: the run is seen `running` without any timing. Two of its values are
    // excluded (a private address, a public resolver): the run counts them.
    feed.handlers.set(url('list-a'), (_req, res) => {
      arrived();
      void gate.then(() => { res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.20.1\n10.0.0.5\n45.133.20.2\n8.8.8.8\nrun-now-test.top\n'); });
    });
    feed.handlers.set(url('list-b'), (_req, res) => res.writeHead(200).end('45.133.20.3\n'));
    feed.handlers.set(url('keyed'), (_req, res) => res.writeHead(200).end('45.133.20.4\n'));
    feed.handlers.set(url('keyed-env'), (_req, res) => res.writeHead(200).end('45.133.20.5\n'));
    srv = await startServer(() => {}, async (store) => {
      // Every source ran a moment ago: the scheduler's first pass runs none, only run now does.
      for (const s of sources) await store.finishRun(await store.startRun(s.def.id, Date.now()), {
        outcome: 'ok', finishedAt: Date.now(), records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 0,
        error: null, etag: null, lastModified: null,
      });
    }, { sources, audit, scheduler: { settings: ingest, rewriteUrl: feed.rewrite, transport: TRANSPORT } });
    admin = await srv.keyFor('admin@example.com', 'admin');
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
  });
  after(async () => {
    release();
    await srv.close();
    await feed.stop();
  });

  it('run now: 202 queued with Location; the run is seen running, then ok with its counts; the IOCs are served', async () => {
    const posted = await call(srv.base, 'POST', '/api/v1/sources/list-a/runs', admin);
    assert.equal(posted.status, 202, posted.text);
    const { run } = posted.body;
    assert.equal(run.source, 'list-a');
    assert.ok(['queued', 'running'].includes(run.status), run.status);
    assert.equal(posted.location, `/api/v1/sources/list-a/runs/${run.id}`);

    await requested;
    const running = await call(srv.base, 'GET', posted.location!, free);
    assert.equal(running.status, 200);
    assert.equal(running.body.run.status, 'running', 'the feed is being read');
    assert.equal(running.body.run.id, run.id);

    const again = await call(srv.base, 'POST', '/api/v1/sources/list-a/runs', admin);
    assert.equal(again.status, 409, 'one run of a source at a time');
    assert.equal(again.body.code, 'run_in_progress');
    assert.equal(again.body.run_id, run.id, 'names the run in progress');

    release();
    const done = await until(() => call(srv.base, 'GET', posted.location!, free), (r) => !['queued', 'running'].includes(r.body.run.status));
    assert.equal(done.body.run.status, 'ok', done.text);
    assert.equal(done.body.run.outcome, 'ok');
    assert.equal(done.body.run.new, 3);
    assert.equal(done.body.run.records, 5);
    assert.deepEqual([done.body.run.rejected, done.body.run.excluded, done.body.run.allowlisted], [0, 2, 0], 'exclusions are counted apart from rejections');
    assert.ok(done.body.run.finished_at);

    const iocs = await call(srv.base, 'GET', '/api/v1/iocs?source=list-a&limit=10', free);
    assert.deepEqual(iocs.body.data.map((d: { value: string }) => d.value).sort(), ['45.133.20.1', '45.133.20.2', 'run-now-test.top']);

    const listed = await call(srv.base, 'GET', '/api/v1/sources/list-a/runs?limit=1', free);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.map((r: { id: number }) => r.id), [run.id], 'newest first');
    assert.equal(listed.body.data[0].excluded, 2, 'the runs page shows the count too');
    assert.equal(listed.body.pagination.has_more, true);
    const older = await call(srv.base, 'GET', `/api/v1/sources/list-a/runs?limit=1&cursor=${listed.body.pagination.next_cursor}`, free);
    assert.equal(older.body.data.length, 1);
    assert.ok(older.body.data[0].id < run.id);
    assert.equal(older.body.pagination.has_more, false);

    const source = await call(srv.base, 'GET', '/api/v1/sources/list-a', free);
    assert.equal(source.body.last_run.outcome, 'ok');
    assert.equal(source.body.last_run.excluded, 2);
    assert.equal(source.body.health.consecutive_failures, 0);
    assert.equal(source.body.health.stale, false);
    assert.equal(typeof source.body.health.last_success_age_seconds, 'number');

    const ran = audit.events.find((e) => e.event.action === 'source.run');
    assert.deepEqual(ran?.event, { action: 'source.run', target: 'list-a', details: { run_id: run.id } });
    assert.equal(ran?.actor.email, 'admin@example.com');
    assert.equal(ran?.actor.via, 'api');
  });

  it('a disabled source, or one missing its key, is refused with 409 and the reason; an unknown one is 404', async () => {
    const off = await call(srv.base, 'POST', '/api/v1/sources/list-off/runs', admin);
    assert.equal(off.status, 409);
    assert.equal(off.body.code, 'source_not_runnable');
    assert.equal(off.body.reason, 'disabled in the configuration');
    const keyless = await call(srv.base, 'POST', '/api/v1/sources/keyed/runs', admin);
    assert.equal(keyless.status, 409);
    assert.match(keyless.body.reason, /^needs-key: set SOCD_KEYED_KEY/);
    for (const [method, path] of [['POST', '/api/v1/sources/nope/runs'], ['GET', '/api/v1/sources/nope'], ['PATCH', '/api/v1/sources/nope'],
      ['GET', '/api/v1/sources/nope/runs'], ['GET', '/api/v1/sources/list-a/runs/999999'], ['GET', '/api/v1/sources/list-a/runs/abc']] as const) {
      const r = await call(srv.base, method, path, admin, method === 'PATCH' ? { enabled: true } : undefined);
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.code, 'not_found');
    }
    // A run of another source is not found under this one.
    const b = await call(srv.base, 'GET', '/api/v1/sources/list-b/runs?limit=1', free);
    const other = await call(srv.base, 'GET', `/api/v1/sources/list-a/runs/${b.body.data[0].id}`, free);
    assert.equal(other.status, 404);
  });

  it('PATCH enables, disables, schedules and keys a source; the key is used, never shown; null goes back to the configuration', async () => {
    const keyed = await call(srv.base, 'PATCH', '/api/v1/sources/keyed', admin, { api_key: API_KEY, schedule: '6h' });
    assert.equal(keyed.status, 200, keyed.text);
    assert.equal(keyed.body.api_key_set, true);
    assert.equal(keyed.body.api_key_from, 'api');
    assert.equal(keyed.body.schedule, '6h');
    assert.equal(keyed.body.status_reason, null, 'it may run now');
    assert.deepEqual(keyed.body.set_by_api, ['schedule', 'api_key']);

    const posted = await call(srv.base, 'POST', '/api/v1/sources/keyed/runs', admin);
    assert.equal(posted.status, 202);
    const done = await until(() => call(srv.base, 'GET', posted.location!, admin), (r) => !['queued', 'running'].includes(r.body.run.status));
    assert.equal(done.body.run.status, 'ok', done.text);
    const sent = feed.requests.filter((r) => r.url === url('keyed'));
    assert.equal(sent.at(-1)?.headers['x-key'], API_KEY, 'the run used the key set over the API');

    // The environment is the operator's last word: an API key does not replace it.
    const envKeyed = await call(srv.base, 'PATCH', '/api/v1/sources/keyed-env', admin, { api_key: API_KEY });
    assert.equal(envKeyed.body.api_key_from, 'env');
    const envRun = await call(srv.base, 'POST', '/api/v1/sources/keyed-env/runs', admin);
    await until(() => call(srv.base, 'GET', envRun.location!, admin), (r) => !['queued', 'running'].includes(r.body.run.status));
    assert.equal(feed.requests.filter((r) => r.url === url('keyed-env')).at(-1)?.headers['x-key'], ENV_KEY);

    const off = await call(srv.base, 'PATCH', '/api/v1/sources/list-b', admin, { enabled: false });
    assert.equal(off.body.enabled, false);
    assert.match(off.body.status_reason, /disabled by an administrator/);
    assert.equal((await call(srv.base, 'POST', '/api/v1/sources/list-b/runs', admin)).status, 409);
    const on = await call(srv.base, 'PATCH', '/api/v1/sources/list-off', admin, { enabled: true });
    assert.equal(on.body.enabled, true, 'enabled over the configuration file');
    assert.equal(on.body.status_reason, null);
    const back = await call(srv.base, 'PATCH', '/api/v1/sources/list-off', admin, { enabled: null });
    assert.equal(back.body.enabled, false, 'null: the configuration file again');
    assert.deepEqual(back.body.set_by_api, []);
    const cleared = await call(srv.base, 'PATCH', '/api/v1/sources/keyed', admin, { api_key: null });
    assert.equal(cleared.body.api_key_set, false);
    assert.match(cleared.body.status_reason, /^needs-key/);

    const list = await call(srv.base, 'GET', '/api/v1/sources', free);
    const item = list.body.data.find((s: { id: string }) => s.id === 'list-b');
    assert.equal(item.enabled, false, 'the list shows the setting to every plan');

    const updates = audit.events.filter((e) => e.event.action === 'source.update').map((e) => e.event);
    assert.deepEqual(updates[0], { action: 'source.update', target: 'keyed', details: { schedule: '6h', api_key: 'set' } });
    assert.ok(updates.some((u) => u.target === 'keyed' && u.details.api_key === 'cleared'));
    assert.ok(!JSON.stringify(audit.events).includes(API_KEY), 'the key is never in the audit trail');
  });

  it('PATCH refuses bad values with a 400 naming the field, and never repeats a key', async () => {
    const bad: Array<[unknown, string]> = [
      [{ schedule: '30s' }, 'schedule'], [{ schedule: 'often' }, 'schedule'], [{ schedule: '' }, 'schedule'],
      [{ api_key: '' }, 'api_key'], [{ api_key: 'k'.repeat(1025) }, 'api_key'], [{ api_key: `${API_KEY}\n` }, 'api_key'], [{ api_key: ` ${API_KEY}` }, 'api_key'],
      [{ enabled: 'maybe' }, 'enabled'], [{ colour: 'red' }, 'colour'], [{}, 'body'], [[1], 'body'],
      // Not coerced: "" is not null (which would clear a setting), 1 is not true, a number is not a key.
      [{ enabled: '' }, 'enabled'], [{ enabled: 1 }, 'enabled'], [{ enabled: 'true' }, 'enabled'], [{ api_key: 12345 }, 'api_key'], [{ schedule: 6 }, 'schedule'],
    ];
    for (const [body, field] of bad) {
      const r = await call(srv.base, 'PATCH', '/api/v1/sources/list-a', admin, body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 60)}: ${r.text}`);
      assert.equal(r.body.code, 'invalid_parameter', r.text);
      assert.ok(r.text.includes(field), `${field} named: ${r.text}`);
    }
  });

  it('changes need the admin role: 403 role_required naming it; every plan reads the list, a source and its runs', async () => {
    for (const key of [pro, free]) {
      for (const [method, path, body] of [['PATCH', '/api/v1/sources/list-a', { enabled: false }], ['POST', '/api/v1/sources/list-a/runs', undefined]] as const) {
        const r = await call(srv.base, method, path, key, body);
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.equal(r.body.code, 'role_required');
        assert.equal(r.body.required_role, 'admin');
      }
      for (const path of ['/api/v1/sources', '/api/v1/sources/list-a', '/api/v1/sources/list-a/runs']) {
        assert.equal((await call(srv.base, 'GET', path, key)).status, 200, path);
      }
    }
    assert.equal((await call(srv.base, 'PATCH', '/api/v1/sources/list-a', null, { enabled: false })).status, 401);
  });

  it('the keys are in no answer of any test here', () => {
    for (const text of seen) {
      assert.ok(!text.includes(API_KEY) && !text.includes(ENV_KEY), text.slice(0, 200));
    }
  });

  it('every route is in the OpenAPI document', async () => {
    const { body } = await call(srv.base, 'GET', '/api/v1/openapi.json', free);
    for (const [path, method] of [['/api/v1/sources/{id}', 'get'], ['/api/v1/sources/{id}', 'patch'], ['/api/v1/sources/{id}/runs', 'post'],
      ['/api/v1/sources/{id}/runs', 'get'], ['/api/v1/sources/{id}/runs/{runId}', 'get']] as const) {
      const op = body.paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      assert.ok(op.summary && op.description, `${method} ${path} is described`);
    }
  });
});

describe('Run now without a scheduler: the run waits queued', () => {
  let srv: TestServer;
  let admin: string;
  const { sources } = resolveSources([], { customSources: [{ id: 'list-q', generic: 'text', url: url('list-q'), schedule: '1h' }] }, {});
  before(async () => {
    srv = await startServer(() => {}, async () => {}, { sources });
    admin = await srv.keyFor('admin@example.com', 'admin');
  });
  after(() => srv.close());

  it('202 queued; a second request is 409 with the queued run; the run stays queued', async () => {
    const posted = await call(srv.base, 'POST', '/api/v1/sources/list-q/runs', admin);
    assert.equal(posted.status, 202);
    assert.equal(posted.body.run.status, 'queued');
    assert.equal(posted.body.run.duration_ms, null);
    const again = await call(srv.base, 'POST', '/api/v1/sources/list-q/runs', admin);
    assert.equal(again.status, 409);
    assert.equal(again.body.run_id, posted.body.run.id);
    assert.match(again.body.detail, /queued/);
    assert.equal((await call(srv.base, 'GET', posted.location!, admin)).body.run.status, 'queued');
    const listed = await call(srv.base, 'GET', '/api/v1/sources', admin);
    assert.equal(listed.body.data[0].last_run.outcome, 'queued');
  });
});
