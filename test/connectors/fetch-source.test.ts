import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FetchError, fetchSource, retryAfterMs } from '../../src/connectors/transport/fetch-source.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The deadline, stall watch and rate floor run on timers; the tests that exercise them mock setTimeout and
 * setInterval (node:test mock timers) and move time on themselves, once the server has done its part, so no verdict
 * depends on how fast the machine is. setImmediate stays real: the stall verdict waits one turn for pending I/O.
 */
const TIMERS = { apis: ['setTimeout', 'setInterval'] as Array<'setTimeout' | 'setInterval'> };
/** Lets pending I/O and callbacks run until `ready()` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setImmediate(r));
}

describe('fetchSource against a local server', () => {
  let server: Server;
  let base: string;
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const seenHeaders = new Map<string, IncomingMessage['headers']>();

  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      seenHeaders.set(path, req.headers);
      (routes.get(path) ?? ((_q, r) => r.writeHead(404).end()))(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const text = async (body: NodeJS.ReadableStream) => {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const sleeps: number[] = [];
  const opts = (path: string, extra: Partial<Parameters<typeof fetchSource>[0]> = {}) => ({
    url: base + path, userAgent: 'SOC-Defenders-test/1.0 (+https://example.invalid)', retries: 2, backoffMs: 10,
    sleep: async (ms: number) => void sleeps.push(ms), ...extra,
  });
  const failure = async (p: Promise<unknown>) => {
    try {
      const r = await p;
      if (r && typeof r === 'object' && 'body' in r) await text((r as { body: NodeJS.ReadableStream }).body);
    } catch (e) {
      assert.ok(e instanceof FetchError, String(e));
      return e;
    }
    assert.fail('expected a FetchError');
  };

  it('downloads with a descriptive User-Agent, keeps the validators, and answers 304 with not-modified', async () => {
    routes.set('/list', (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304).end();
      res.writeHead(200, { etag: '"v1"', 'last-modified': 'Sat, 28 Nov 2026 10:00:00 GMT', 'content-type': 'text/plain' }).end('203.0.113.1\n203.0.113.2\n');
    });
    const r = await fetchSource(opts('/list'));
    assert.equal(r.status, 'ok');
    if (r.status !== 'ok') return;
    assert.equal(await text(r.body), '203.0.113.1\n203.0.113.2\n');
    assert.equal(r.etag, '"v1"');
    assert.equal(r.lastModified, 'Sat, 28 Nov 2026 10:00:00 GMT');
    assert.match(String(seenHeaders.get('/list')!['user-agent']), /^SOC-Defenders-test/);
    assert.deepEqual(await fetchSource(opts('/list', { etag: '"v1"' })), { status: 'not-modified', attempts: 1 });
  });

  it('gunzips a gzip file by its magic bytes, and reports a truncated one', async () => {
    const gz = gzipSync(Buffer.from('evil.example\n'.repeat(1000)));
    routes.set('/list.gz', (_q, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(gz));
    routes.set('/broken.gz', (_q, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(gz.subarray(0, gz.length - 20)));
    const r = await fetchSource(opts('/list.gz'));
    assert.ok(r.status === 'ok');
    assert.equal((await text(r.body)).split('\n').length, 1001);
    const e = await failure(fetchSource(opts('/broken.gz')));
    assert.equal(e.kind, 'bad-gzip');
  });

  it('retries 5xx and resets with backoff, honours Retry-After on 429, and gives up with the count', async () => {
    sleeps.length = 0;
    routes.set('/500', (_q, res) => res.writeHead(500).end('oops'));
    const e500 = await failure(fetchSource(opts('/500')));
    assert.deepEqual([e500.kind, e500.httpStatus, e500.attempts, hits.get('/500')], ['http', 500, 3, 3]);
    assert.deepEqual(sleeps, [10, 20]);

    sleeps.length = 0;
    let n = 0;
    routes.set('/429', (_q, res) => (n++ === 0 ? res.writeHead(429, { 'retry-after': '7' }).end() : res.writeHead(200).end('ok')));
    const r = await fetchSource(opts('/429'));
    assert.equal(r.status, 'ok');
    assert.deepEqual(sleeps, [7000]);

    routes.set('/reset', (req) => req.socket.destroy());
    const reset = await failure(fetchSource(opts('/reset')));
    assert.deepEqual([reset.kind, reset.attempts], ['network', 3]);
    routes.set('/404', (_q, res) => res.writeHead(404).end());
    const e404 = await failure(fetchSource(opts('/404')));
    assert.deepEqual([e404.kind, e404.httpStatus, e404.attempts], ['http', 404, 1], 'a 4xx is not retried');
  });

  it('stops a silent server at the deadline, a trickling one as stalled, and a huge one at the byte cap', async (t) => {
    t.mock.timers.enable(TIMERS);
    let asked = false;
    routes.set('/silent', () => void (asked = true));
    let settled = false;
    const silent = failure(fetchSource(opts('/silent', { timeoutMs: 150 }))).finally(() => (settled = true));
    await until(() => asked);
    t.mock.timers.tick(149);
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'no verdict before the deadline');
    t.mock.timers.tick(1);
    const timeout = await silent;
    assert.equal(timeout.kind, 'timeout');

    // One byte, then silence (the connection stays open): the stall watch fires when its 200 ms have passed.
    routes.set('/trickle', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('1');
    });
    const r = await fetchSource(opts('/trickle', { idleTimeoutMs: 200, timeoutMs: 10_000 }));
    assert.ok(r.status === 'ok');
    const body = r.body[Symbol.asyncIterator]();
    assert.equal(String((await body.next()).value), '1');
    const stalled = body.next().then(() => assert.fail('expected a FetchError'), (e: unknown) => e as FetchError);
    t.mock.timers.tick(200);
    assert.ok((await stalled) instanceof FetchError);
    assert.equal((await stalled).kind, 'stalled');

    routes.set('/huge', (_q, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const huge = await failure(fetchSource(opts('/huge', { maxBytes: 1024 * 1024 })));
    assert.equal(huge.kind, 'too-large');
  });

  it('a steady trickle below the rate floor is stalled, though it is never silent long enough for the stall watch', async (t) => {
    t.mock.timers.enable(TIMERS);
    let drip: ServerResponse | undefined;
    routes.set('/slow-drip', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).flushHeaders();
      drip = res;
    });
    const r = await fetchSource(opts('/slow-drip', { idleTimeoutMs: 5000, rateWindowMs: 300, minBytesPerWindow: 64 }));
    assert.ok(r.status === 'ok');
    const body = r.body[Symbol.asyncIterator]();
    // A byte every 40 ms: 8 in the first window of 300 ms, far below 64, and never a silence near 5 s.
    let e: unknown;
    for (let ms = 0; e === undefined; ms += 40) {
      assert.ok(ms < 400, 'the rate floor judged the first window');
      drip!.write('x');
      e = await body.next().then(() => undefined, (err: unknown) => err);
      if (e === undefined) t.mock.timers.tick(40);
    }
    assert.ok(e instanceof FetchError, String(e));
    assert.equal(e.kind, 'stalled');
    assert.match(e.message, /trickle/);
  });

  it('time our consumer spends not reading counts against neither the stall watch nor the rate floor', async (t) => {
    t.mock.timers.enable(TIMERS);
    const payload = Buffer.alloc(2 * 1024 * 1024, 0x42);
    routes.set('/big-fast', (_q, res) => res.writeHead(200).end(payload));
    const res = await fetchSource(opts('/big-fast', { idleTimeoutMs: 100, rateWindowMs: 100, minBytesPerWindow: 1 }));
    assert.equal(res.status, 'ok');
    if (res.status !== 'ok') return;
    // Read a little, then stop reading for several idle periods (a long commit), then read the rest. The pause
    // starts once the buffers are full and the download is held (our side of the stream needs a drain).
    const it = res.body[Symbol.asyncIterator]();
    let got = (await it.next()).value.length as number;
    await until(() => (res.body as unknown as { writableNeedDrain: boolean }).writableNeedDrain);
    t.mock.timers.tick(450);
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      got += (n.value as Buffer).length;
    }
    assert.equal(got, payload.length);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('120'), 120_000);
    assert.equal(retryAfterMs('Sat, 28 Nov 2026 10:00:30 GMT', Date.UTC(2026, 10, 28, 10, 0, 0)), 30_000);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(null), undefined);
  });
});
