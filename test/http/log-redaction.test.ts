import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { wireApp } from '../../src/cli/wiring.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sqliteStore, TEST_IDENTITY } from '../support/stores.js';

const TAXII = 'application/taxii+json;version=2.1';

/** A real listening server whose log lines (JSON, one per line) are captured as they are written. */
interface LoggedServer {
  app: FastifyInstance;
  store: SqliteStore;
  base: string;
  raw: string[];
  lines: () => Array<Record<string, unknown>>;
  /** Resolves once the lines written so far satisfy `done` (checked now, then after every line). */
  until(done: (raw: readonly string[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

async function startLogged(tune: (c: Config) => void = () => {}): Promise<LoggedServer> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/nonexistent');
  tune(config);
  const store = await sqliteStore();
  const raw: string[] = [];
  const waiting = new Set<() => void>();
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        raw.push(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      for (const check of waiting) check();
      done();
    },
  });
  const app = await wireApp({
    store, config, authenticator: new Authenticator(store), signer: new TokenSigner('l'.repeat(32)), identity: TEST_IDENTITY,
    logger: { level: 'info', stream },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    app, store, raw, base: `http://127.0.0.1:${port}`,
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
    until: (done) => new Promise<void>((resolve) => {
      const check = () => {
        if (!done(raw)) return;
        waiting.delete(check);
        resolve();
      };
      waiting.add(check);
      check();
    }),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

const prefixOf = (key: string) => key.slice(0, 'sk_live_'.length + 8);
/** Lines are awaited, not slept for: a test whose line never comes fails at this timeout (a hang guard only). */
const HANG_GUARD = { timeout: 60_000 };
const requestLineCount = (raw: readonly string[]) => raw.filter((l) => (JSON.parse(l) as { msg?: unknown }).msg === 'request').length;

describe('API keys never reach the log, and a request is one log line', () => {
  let server: LoggedServer;
  let key = '';
  let stray = '';
  before(async () => {
    server = await startLogged();
    key = (await issueKey(server.store, 'pro@example.com', 'pro', null)).key;
    // A key that is not even valid (a typo, another deployment's) is still a secret.
    stray = `sk_live_${'Zq9'.repeat(14)}`;
  });
  after(async () => {
    await server.close();
  });

  it('a key in the query, X-API-Key, the path, a Basic password, a Bearer: redacted to its prefix, one line a request, no headers', HANG_GUARD, async () => {
    const basic = `Basic ${Buffer.from(`pro@example.com:${key}`).toString('base64')}`;
    const requests: Array<{ path: string; headers: Record<string, string>; status: number; authenticated: boolean }> = [
      { path: `/api/v1/iocs?api_key=${key}`, headers: {}, status: 401, authenticated: false },
      { path: '/api/v1/iocs', headers: { 'x-api-key': key, 'user-agent': 'curl/8.0 probe' }, status: 401, authenticated: false },
      { path: `/api/v1/iocs/${stray}`, headers: { authorization: `Bearer ${key}` }, status: 400, authenticated: true },
      { path: '/api/v1/iocs?limit=5', headers: { authorization: basic, cookie: `session=${key}` }, status: 200, authenticated: true },
      { path: '/api/taxii2/api/collections/', headers: { authorization: `Bearer ${key}`, accept: TAXII }, status: 200, authenticated: true },
      { path: `/taxii2/?api_key=${stray}`, headers: { authorization: `Bearer ${stray}`, accept: TAXII }, status: 401, authenticated: false },
      // A URL Fastify cannot even route (bad percent-encoding) is logged too, once.
      { path: `/api/v1/iocs/%E0%A4%A${key}`, headers: {}, status: 400, authenticated: false },
    ];
    for (const r of requests) {
      const res = await fetch(`${server.base}${r.path}`, { headers: r.headers });
      assert.equal(res.status, r.status, r.path);
      await res.arrayBuffer();
    }
    // The request line is written when the answer is finished, which may be after the client has it.
    await server.until((raw) => requestLineCount(raw) >= requests.length);

    for (const secret of [key, stray]) {
      const leaks = server.raw.filter((l) => l.includes(secret) || l.includes(secret.slice(16)));
      assert.deepEqual(leaks, [], 'no full key (nor its secret part) in any log line');
    }
    assert.ok(!server.raw.some((l) => l.includes(Buffer.from(`pro@example.com:${key}`).toString('base64'))), 'nor its Basic form');
    assert.ok(server.raw.some((l) => l.includes(`${prefixOf(key)}…`)), 'the short prefix is kept for correlation');
    assert.ok(server.raw.some((l) => l.includes(`${prefixOf(stray)}…`)));

    const lines = server.lines();
    const requestLines = lines.filter((l) => l.msg === 'request');
    assert.equal(requestLines.length, requests.length, `one request line a request:\n${server.raw.join('\n')}`);
    for (const r of requests) {
      const url = r.path.replace(key, `${prefixOf(key)}…`).replace(stray, `${prefixOf(stray)}…`);
      const mine = lines.filter((l) => l.url === url);
      assert.equal(mine.length, 1, `exactly one line for ${r.path}:\n${server.raw.join('\n')}`);
      const line = mine[0]!;
      assert.equal(line.msg, 'request');
      assert.equal(line.method, 'GET');
      assert.equal(line.status, r.status);
      assert.equal(typeof line.responseTime, 'number');
      assert.equal(typeof line.reqId, 'string');
      if (r.authenticated) assert.equal(line.key, `${prefixOf(key)}…`, `the key prefix of ${r.path}`);
      else assert.equal(line.key, undefined);
      if (r.authenticated) assert.equal(typeof line.account, 'number');
    }
    for (const l of lines) {
      assert.equal(l.headers, undefined, 'no headers unless asked for');
      assert.equal(l.req, undefined, 'no request object dump');
      assert.ok(!JSON.stringify(l).includes('curl/8.0 probe'), 'no header values');
    }
    // Every line a request wrote carries its reqId; none but the request line (no "incoming request"/"request completed").
    const reqIds = requestLines.map((l) => l.reqId);
    assert.equal(new Set(reqIds).size, requests.length);
    for (const id of reqIds) assert.equal(lines.filter((l) => l.reqId === id).length, 1, `one line for request ${String(id)}`);
  });

  it('any line, whoever writes it (errors, bodies, child loggers), is redacted', HANG_GUARD, async () => {
    const before = server.raw.length;
    server.app.log.error({ err: new Error(`source rejected the key ${key}`), body: { apiKey: key, nested: [stray] } }, `echo of ${stray}`);
    server.app.log.child({ component: 'ingest' }).warn({ url: `https://feed.example/x?key=${key}` }, 'fetch failed');
    await server.until((raw) => raw.length >= before + 2);
    const written = server.raw.slice(before);
    assert.equal(written.length, 2);
    for (const l of written) {
      assert.ok(!l.includes(key) && !l.includes(stray), l);
      JSON.parse(l);
    }
    assert.ok(written[0]!.includes(`${prefixOf(key)}…`) && written[0]!.includes(`${prefixOf(stray)}…`));
  });
});

describe('LOG_HEADERS=true', () => {
  let server: LoggedServer;
  let key = '';
  before(async () => {
    server = await startLogged((c) => {
      c.logHeaders = true;
    });
    key = (await issueKey(server.store, 'pro@example.com', 'pro', null)).key;
  });
  after(async () => {
    await server.close();
  });

  it('the request line carries the headers, with Authorization, Cookie and X-API-Key redacted', HANG_GUARD, async () => {
    const res = await fetch(`${server.base}/api/v1/iocs`, {
      headers: { authorization: `Bearer ${key}`, cookie: 'session=abc', 'x-api-key': 'whatever-it-is', 'user-agent': 'siem/1.0', 'x-note': `see ${key}` },
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    await server.until((raw) => requestLineCount(raw) >= 1);
    const lines = server.lines().filter((l) => l.msg === 'request');
    assert.equal(lines.length, 1);
    const headers = lines[0]!.headers as Record<string, string>;
    assert.equal(headers['user-agent'], 'siem/1.0');
    assert.equal(headers.authorization, '[redacted]');
    assert.equal(headers.cookie, '[redacted]');
    assert.equal(headers['x-api-key'], '[redacted]');
    assert.equal(headers['x-note'], `see ${prefixOf(key)}…`, 'a key in any other header is cut to its prefix');
    assert.ok(!server.raw.some((l) => l.includes(key)));
  });
});

describe('loadConfig: LOG_HEADERS', () => {
  it('is off by default and on with LOG_HEADERS=true or server.logHeaders', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/nonexistent').logHeaders, false);
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_HEADERS: 'true' }, '/nonexistent').logHeaders, true);
  });
});
