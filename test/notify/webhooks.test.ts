import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { webhookNotifier } from '../../src/cli/webhooks.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import { runSource, type RunnerDeps, sourceRecordOf } from '../../src/connectors/pipeline/runner.js';
import { parseAllowValue } from '../../src/domain/allowlist.js';
import { parseAddressRange } from '../../src/domain/network.js';
import type { EventData } from '../../src/notify/payloads.js';
import { postDelivery } from '../../src/notify/send.js';
import { PUBLIC_ONLY } from '../../src/notify/target.js';
import { FeedServer } from '../support/feed-server.js';
import { callJson, startServer, type TestServer } from '../support/server.js';

const TRANSPORT = { retries: 1, backoffMs: 1, idleTimeoutMs: 60_000, timeoutMs: 60_000, maxRetryAfterMs: 50 };
const feedUrl = (id: string) => `https://feeds.example.invalid/${id}.csv`;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback receiver: records every POST; each path answers as the test says (default 204). */
class Receiver {
  readonly got: Received[] = [];
  readonly answer = new Map<string, (req: IncomingMessage, res: ServerResponse, n: number) => void>();
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.got.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const n = this.got.filter((g) => g.path === path).length;
        const a = this.answer.get(path);
        if (a) a(req, res, n);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.got.filter((g) => g.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

/** Asks until `done` holds (the test's own timeout bounds it). */
async function until<T>(ask: () => T | Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await ask();
    if (done(v)) return v;
    await sleep(10);
  }
}

/** What a receiver does: recompute the signature over timestamp + "." + body. */
function verified(r: Received, secret: string): boolean {
  const ts = String(r.headers['x-socd-timestamp']);
  const want = `sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
  return r.headers['x-socd-signature'] === want;
}

const SECRET = 'whsec_receiver_knows_this_0123456789';

describe('webhooks end to end: a real server, the scheduler and the runner, a loopback receiver', () => {
  const feed = new FeedServer();
  const rx = new Receiver();
  let srv: TestServer;
  let analyst: string;
  let other: string;
  let admin: string;
  let hookedOnStart: number;
  const { sources: all, ingest } = resolveSources([], {
    customSources: [
      { id: 'energy-feed', name: 'Energy feed', generic: 'csv', url: feedUrl('energy-feed'), reliability: 0.95, schedule: '1h' },
      { id: 'broken-feed', generic: 'text', url: feedUrl('broken-feed'), schedule: '1h' },
      { id: 'partner-feed', generic: 'text', url: feedUrl('partner-feed'), schedule: '1h' },
      { id: 'busy-feed', generic: 'csv', url: feedUrl('busy-feed'), reliability: 0.95, schedule: '1h' },
      { id: 'quiet-feed', name: 'Quiet feed', generic: 'text', url: feedUrl('quiet-feed'), schedule: '1h' },
    ],
  }, {});
  const src = (id: string) => all.find((s) => s.def.id === id) as ResolvedSource;
  let deps: RunnerDeps;
  let brokenAnswers = 500;
  let busyRows = 1;

  before(async () => {
    await feed.start();
    await rx.start();
    feed.handlers.set(feedUrl('energy-feed'), (_q, res) => res.writeHead(200).end(
      'value,sectors,confidence\n45.133.30.1,energy,95\n45.133.30.2,energy,95\nc2-energy-grid.top,energy,95\n45.133.30.3,dams,95\n45.133.30.4,energy,5\n',
    ));
    feed.handlers.set(feedUrl('broken-feed'), (_q, res) => (brokenAnswers === 200 ? res.writeHead(200).end('45.133.31.1\n') : res.writeHead(brokenAnswers).end('down')));
    feed.handlers.set(feedUrl('partner-feed'), (_q, res) => res.writeHead(200).end('cdn.partner-example.net\n45.133.32.1\nmail.partner-example.net\n'));
    feed.handlers.set(feedUrl('busy-feed'), (_q, res) => res.writeHead(200).end(
      `value,sectors,confidence\n${Array.from({ length: busyRows }, (_, i) => `45.133.33.${i + 1},water-wastewater,95`).join('\n')}\n`,
    ));
    srv = await startServer((c) => {
      c.webhooks.allowPrivate = true;
      c.publicUrl = 'https://intel.example';
    }, async (store) => {
      // Made before the scheduler's first pass, which runs energy-feed: its new IOCs are told to this webhook.
      hookedOnStart = (await store.createWebhook({
        accountId: null, name: 'on start', url: `${rx.base}/start`, format: 'json', events: ['iocs.sector'], sectors: ['energy'], minConfidence: 70,
        secret: SECRET, enabled: true, createdAt: Date.now(), createdBy: null,
      })).id;
    }, {
      sources: [src('energy-feed')],
      scheduler: { settings: ingest, rewriteUrl: feed.rewrite, transport: TRANSPORT },
      // Retries a moment apart, attempts cut after 300 ms: no test sleeps for a real backoff.
      webhooks: { pollMs: 10, timeoutMs: 300, leaseMs: 5_000, backoff: (n) => (n < 8 ? 20 : undefined) },
    });
    analyst = await srv.keyFor('analyst@example.com', 'pro');
    await srv.store.updateAccount((await srv.store.findAccountByEmail('analyst@example.com'))!.id, { roles: ['analyst'] });
    other = await srv.keyFor('other@example.com', 'pro');
    await srv.store.updateAccount((await srv.store.findAccountByEmail('other@example.com'))!.id, { roles: ['analyst'] });
    admin = await srv.keyFor('admin@example.com', 'admin');
    deps = { store: srv.store, settings: ingest, rewriteUrl: feed.rewrite, transport: TRANSPORT, observer: webhookNotifier(srv.store, srv.config, quiet) };
  });
  after(async () => {
    await srv.close();
    await rx.stop();
    await feed.stop();
  });

  const create = async (key: string, body: Record<string, unknown>) => {
    const r = await callJson(srv.base, 'POST', '/api/v1/webhooks', key, { secret: SECRET, ...body });
    assert.equal(r.status, 201, r.text);
    return r.body.webhook as { id: number };
  };

  it('iocs.sector: the scheduler\'s run queues one signed notification with the count and the values of the watched sector', async () => {
    const [got] = await until(() => rx.at('/start'), (g) => g.length > 0);
    assert.ok(verified(got!, SECRET), 'the receiver verifies the signature');
    assert.equal(got!.headers['content-type'], 'application/json');
    assert.equal(got!.headers['x-socd-event'], 'iocs.sector');
    const body = JSON.parse(got!.body) as { id: string; event: string; server: string; data: EventData['iocs.sector'] };
    assert.equal(body.id, got!.headers['x-socd-delivery']);
    assert.equal(body.server, 'https://intel.example');
    // What the store holds: the source's active energy IOCs at or above 70.
    const energy = (await srv.store.queryIocs({ status: 'active', source: 'energy-feed', sector: 'energy', limit: 100 })).items.filter((i) => i.score >= 70);
    assert.ok(energy.length >= 3, 'the fixture has high-confidence energy values');
    assert.deepEqual(body.data.iocs.map((i) => i.value).sort(), energy.map((i) => i.value).sort());
    assert.equal(body.data.count, energy.length);
    assert.ok(!body.data.iocs.some((i) => i.value === '45.133.30.3'), 'another sector is not told');
    assert.deepEqual(body.data.sectors, ['energy']);
    assert.equal(body.data.source.id, 'energy-feed');
    await sleep(50);
    assert.equal(rx.at('/start').length, 1, 'one notification per run, not one per IOC');
    const d = await until(() => srv.store.listDeliveries(hookedOnStart, { limit: 5 }), (p) => p.items[0]?.state === 'delivered');
    assert.equal(d.items[0]!.attempts, 1);
  });

  it('the API: the secret once, never again; another account\'s webhook is a 404; global ones need the admin role; changes are audited without secrets', async () => {
    const made = await callJson(srv.base, 'POST', '/api/v1/webhooks', analyst, { name: 'mine', url: `${rx.base}/mine`, events: ['source.stale'] });
    assert.equal(made.status, 201, made.text);
    assert.match(made.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.equal(made.headers.get('location'), `/api/v1/webhooks/${made.body.webhook.id}`);
    assert.equal(made.body.webhook.min_confidence, 70, 'default: the high band');
    const path = `/api/v1/webhooks/${made.body.webhook.id}`;
    const shown = await callJson(srv.base, 'GET', path, analyst);
    assert.equal(shown.status, 200);
    assert.ok(!shown.text.includes(made.body.secret), 'the secret is never shown again');
    assert.equal((await callJson(srv.base, 'GET', path, other)).status, 404, 'another account: not found');
    assert.equal((await callJson(srv.base, 'GET', path, admin)).status, 200, 'an administrator sees it');
    const others = await callJson(srv.base, 'GET', '/api/v1/webhooks', other);
    assert.ok(!others.body.data.some((w: { id: number }) => w.id === made.body.webhook.id));
    const global = await callJson(srv.base, 'POST', '/api/v1/webhooks', analyst, { name: 'g', url: `${rx.base}/g`, events: ['source.stale'], scope: 'global' });
    assert.equal(global.status, 403);
    assert.equal(global.body.required_role, 'admin');
    const patched = await callJson(srv.base, 'PATCH', path, analyst, { enabled: false, sectors: ['energy'] });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.enabled, false);
    const rotated = await callJson(srv.base, 'POST', `${path}/rotate-secret`, analyst, {});
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, made.body.secret);
    for (const [body, field] of [
      [{ name: 'x', url: `${rx.base}/x`, events: ['no.such'] }, 'events'],
      [{ name: 'x', url: `${rx.base}/x`, events: ['source.stale'], format: 'xml' }, 'format'],
      [{ name: 'x', url: `${rx.base}/x`, events: ['source.stale'], secret: 'short' }, 'secret'],
      [{ name: 'x', url: `${rx.base}/x`, events: ['source.stale'], sectors: ['mars'] }, 'sectors'],
      [{ name: 'x', url: 'ftp://example.com/', events: ['source.stale'] }, 'url'],
      [{ name: 'x', url: 'https://user:pw@example.com/', events: ['source.stale'] }, 'url'],
      [{ name: 'x', url: `${rx.base}/x`, events: ['source.stale'], surprise: 1 }, 'surprise'],
    ] as const) {
      const r = await callJson(srv.base, 'POST', '/api/v1/webhooks', analyst, body);
      assert.equal(r.status, 400, `${field}: ${r.text}`);
      assert.equal(r.type.split(';')[0], 'application/problem+json');
      assert.match(String(r.body.parameter), new RegExp(`^${field}`), r.text);
    }
    assert.equal((await callJson(srv.base, 'DELETE', path, other)).status, 404);
    assert.equal((await callJson(srv.base, 'DELETE', path, analyst)).status, 204);
    assert.equal((await callJson(srv.base, 'GET', path, analyst)).status, 404);
    const actions = srv.audits.filter((a) => a.event.action.startsWith('webhook.')).map((a) => a.event.action);
    assert.deepEqual(actions.slice(-4), ['webhook.create', 'webhook.update', 'webhook.rotate_secret', 'webhook.delete']);
    const recorded = JSON.stringify(srv.audits);
    assert.ok(!recorded.includes(made.body.secret) && !recorded.includes(rotated.body.secret) && !recorded.includes(SECRET), 'no secret in the audit trail');
    assert.ok(!recorded.includes('/mine'), 'the URL\'s origin only');
  });

  it('source.failing once after N failed runs in a row, source.recovered when it works again; both signed', async () => {
    const w = await create(analyst, { name: 'health', url: `${rx.base}/health`, events: ['source.failing', 'source.recovered'] });
    brokenAnswers = 500;
    for (let i = 0; i < 5; i++) assert.equal((await runSource(src('broken-feed'), deps, { force: true })).outcome, 'failed');
    await until(() => rx.at('/health'), (g) => g.length >= 1);
    brokenAnswers = 200;
    assert.equal((await runSource(src('broken-feed'), deps, { force: true })).outcome, 'ok');
    const got = await until(() => rx.at('/health'), (g) => g.length >= 2);
    await sleep(50);
    assert.deepEqual(rx.at('/health').map((g) => g.headers['x-socd-event']), ['source.failing', 'source.recovered'], 'once per episode');
    const failing = JSON.parse(got[0]!.body) as { data: EventData['source.failing'] };
    assert.equal(failing.data.consecutive_failures, srv.config.webhooks.failingRuns);
    assert.match(failing.data.last_error ?? '', /500/);
    assert.equal((JSON.parse(got[1]!.body) as { data: EventData['source.recovered'] }).data.failed_runs, 5);
    assert.ok(got.every((g) => verified(g, SECRET)));
    await callJson(srv.base, 'DELETE', `/api/v1/webhooks/${w.id}`, analyst);
  });

  it('allowlist.hit: the run\'s allow-listed values with the entries that matched', async () => {
    const p = parseAllowValue('*.partner-example.net');
    assert.ok(p.ok);
    await srv.store.addAllowEntry({ ...p.target, reason: 'partner', author: null, createdAt: Date.now(), expiresAt: null });
    const w = await create(admin, { name: 'allow', url: `${rx.base}/allow`, events: ['allowlist.hit'], format: 'json', scope: 'global' });
    const report = await runSource(src('partner-feed'), deps, { force: true });
    assert.equal(report.allowlisted, 2);
    const [got] = await until(() => rx.at('/allow'), (g) => g.length > 0);
    const body = JSON.parse(got!.body) as { data: EventData['allowlist.hit'] };
    assert.equal(body.data.count, 2);
    assert.deepEqual(body.data.values.map((v) => [v.value, v.entry]).sort(), [['cdn.partner-example.net', '*.partner-example.net'], ['mail.partner-example.net', '*.partner-example.net']]);
    assert.deepEqual(body.data.entries, ['*.partner-example.net']);
    await callJson(srv.base, 'DELETE', `/api/v1/webhooks/${w.id}`, admin);
  });

  it('a receiver answering 500 is retried with backoff and delivered; POST …/test answers the first attempt\'s outcome', async () => {
    rx.answer.set('/flaky', (_q, res, n) => (n === 1 ? res.writeHead(500).end('try later') : res.writeHead(200).end('ok')));
    const w = await create(analyst, { name: 'flaky', url: `${rx.base}/flaky`, events: ['source.stale'] });
    const tested = await callJson(srv.base, 'POST', `/api/v1/webhooks/${w.id}/test`, analyst);
    assert.equal(tested.status, 200, tested.text);
    assert.equal(tested.body.delivered, false);
    assert.equal(tested.body.delivery.state, 'pending');
    assert.equal(tested.body.delivery.last_status, 500);
    assert.match(tested.body.delivery.last_error, /HTTP 500: try later/);
    const list = await until(() => callJson(srv.base, 'GET', `/api/v1/webhooks/${w.id}/deliveries`, analyst), (r) => r.body.data[0]?.state === 'delivered');
    assert.equal(list.body.data[0].attempts, 2);
    assert.equal(list.body.data[0].last_status, 200);
    assert.equal(list.body.data[0].event, 'ping');
    const both = rx.at('/flaky');
    assert.equal(both.length, 2);
    assert.equal(both[0]!.headers['x-socd-delivery'], both[1]!.headers['x-socd-delivery'], 'a retry is the same delivery: receivers dedupe on it');
    assert.ok(both.every((g) => verified(g, SECRET)));
    const shown = await callJson(srv.base, 'GET', `/api/v1/webhooks/${w.id}`, analyst);
    assert.equal(shown.body.last_status, 200);
    assert.ok(shown.body.last_delivered_at);
  });

  it('a receiver that hangs stalls neither ingestion nor another receiver; its attempt times out and is retried', async () => {
    const held: ServerResponse[] = [];
    rx.answer.set('/hang', (_q, res) => void held.push(res));
    const hang = await create(admin, { name: 'hang', url: `${rx.base}/hang`, events: ['iocs.sector'], sectors: ['water-wastewater'], scope: 'global' });
    const ok = await create(admin, { name: 'ok', url: `${rx.base}/ok`, events: ['iocs.sector'], sectors: ['water-wastewater'], scope: 'global' });
    busyRows = 3;
    const first = await runSource(src('busy-feed'), deps, { force: true });
    assert.equal(first.outcome, 'ok');
    await until(() => held.length, (n) => n >= 1);
    // The hanging receiver holds its request; the other one is served meanwhile.
    await until(() => srv.store.listDeliveries(ok.id, { limit: 1 }), (p) => p.items[0]?.state === 'delivered');
    assert.equal(rx.at('/ok').length, 1);
    // Ingestion goes on while a delivery hangs: the next run finishes and records its counts.
    busyRows = 6;
    const second = await runSource(src('busy-feed'), deps, { force: true });
    assert.equal(second.outcome, 'ok');
    assert.equal(second.inserted, 3);
    assert.equal((await srv.store.getRun(second.runId!))?.inserted, 3);
    const timedOut = await until(() => srv.store.listDeliveries(hang.id, { limit: 5 }), (p) => p.items.some((d) => d.lastError?.startsWith('timeout') ?? false));
    assert.ok(timedOut.items.every((d) => d.state === 'pending'), 'a timeout is retried, not given up');
    for (const r of held) r.destroy();
    rx.answer.delete('/hang');
    await callJson(srv.base, 'DELETE', `/api/v1/webhooks/${hang.id}`, admin);
    await callJson(srv.base, 'DELETE', `/api/v1/webhooks/${ok.id}`, admin);
  });

  it('source.stale: once per episode, after the scheduler pass sees no success for staleFactor × the schedule', async () => {
    const w = await create(analyst, { name: 'stale', url: `${rx.base}/stale`, events: ['source.stale'], format: 'slack' });
    const notifier = webhookNotifier(srv.store, srv.config, quiet);
    const quietFeed = src('quiet-feed');
    const zero = { records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, allowlisted: 0, excluded: 0, bytes: 0, error: null, etag: null, lastModified: null };
    // Its last success started a little over 3 schedules ago (the default SOCD_WEBHOOK_STALE_FACTOR).
    const lastOk = Date.now() - 3 * quietFeed.scheduleMs - 60_000;
    await srv.store.upsertSource(sourceRecordOf(quietFeed.def));
    await srv.store.finishRun(await srv.store.startRun('quiet-feed', lastOk), { ...zero, outcome: 'ok', finishedAt: lastOk + 1000 });
    await notifier.afterPass([quietFeed, src('energy-feed')], Date.now());
    await notifier.afterPass([quietFeed, src('energy-feed')], Date.now());
    const [got] = await until(() => rx.at('/stale'), (g) => g.length > 0);
    await sleep(50);
    assert.equal(rx.at('/stale').length, 1, 'told once for the episode');
    const slack = JSON.parse(got!.body) as { text: string; blocks: unknown[] };
    assert.match(slack.text, /Quiet feed \(quiet-feed\) is stale/);
    assert.ok(!rx.at('/stale').some((g) => g.body.includes('energy-feed')), 'a source that ran lately is not stale');
    await callJson(srv.base, 'DELETE', `/api/v1/webhooks/${w.id}`, analyst);
  });
});

describe('webhook targets: no private or special address unless allowed (SSRF)', () => {
  let srv: TestServer;
  let key: string;
  const rx = new Receiver();
  before(async () => {
    await rx.start();
    srv = await startServer();
    key = await srv.keyFor('admin@example.com', 'admin');
  });
  after(async () => {
    await srv.close();
    await rx.stop();
  });

  it('refuses metadata, private, loopback and plain-http URLs at creation with a 400 naming the url', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/', 'https://10.1.2.3/hook', 'https://192.168.1.10/hook', `${rx.base}/x`,
      'https://[::1]/hook', 'https://[fd00::1]/hook', 'https://[::ffff:10.0.0.1]/hook', 'http://8.8.8.8/hook', 'https://0.0.0.0/',
    ]) {
      const r = await callJson(srv.base, 'POST', '/api/v1/webhooks', key, { name: 'x', url, events: ['source.stale'] });
      assert.equal(r.status, 400, `${url}: ${r.text}`);
      assert.equal(r.body.parameter, 'url');
      assert.match(r.body.detail, /refused/);
    }
  });

  it('refuses at delivery time too, on the address connected to, without reaching the receiver', async () => {
    const direct = await postDelivery(`${rx.base}/x`, '{}', {}, { policy: PUBLIC_ONLY });
    assert.equal(direct.status, null);
    assert.match(direct.error ?? '', /refused: 127\.0\.0\.1 is a loopback address/);
    // A name resolving to loopback: refused where it connects (what a DNS rebinding would exploit).
    const named = await postDelivery(`${rx.base.replace('127.0.0.1', 'localhost')}/x`, '{}', {}, { policy: PUBLIC_ONLY });
    assert.equal(named.status, null);
    assert.match(named.error ?? '', /refused/);
    assert.equal(rx.got.length, 0, 'nothing reached the receiver');
    // Listed in SOCD_WEBHOOK_ALLOW_PRIVATE: that address only.
    const allowed = await postDelivery(`${rx.base}/x`, '{}', {}, { policy: { allowPrivate: false, allow: [parseAddressRange('127.0.0.1/32')!] } });
    assert.deepEqual(allowed, { status: 204, error: null });
    assert.equal(rx.got.length, 1);
  });
});
