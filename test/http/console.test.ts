import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_DIR, CONSOLE_PATHS } from '../../src/http/console.js';
import { startServer, type TestServer } from '../support/server.js';

/** Issue 16: the web console at `/`, with its security headers; the API around it unchanged. */
describe('the web console is served', () => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'socd-console-'));
  before(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/assets/app-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    srv = await startServer(undefined, undefined, { consoleDir: dir });
  });
  after(() => srv.close());

  it('answers index.html at every page path with a strict CSP, nosniff, no framing and no caching of the page', async () => {
    for (const path of CONSOLE_PATHS) {
      const res = await fetch(srv.base + path.replace(':id', 'indicator--0d6b3e5c-6a57-4c1d-9d3c-6f0f3b8a2e11'));
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) assert.ok(csp.includes(d), `${path}: ${d}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.match(await res.text(), /<title>console<\/title>/);
    }
  });

  it('serves the hashed assets for a year, with the same headers; unknown paths stay JSON 404s', async () => {
    const js = await fetch(`${srv.base}/assets/app-abc123.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
    for (const p of ['/assets/nope.js', '/assets/../package.json', '/search/deeper', '/iocs', '/index.htm']) {
      const res = await fetch(srv.base + p);
      assert.equal(res.status, 404, p);
      assert.match(res.headers.get('content-type') ?? '', /json/, p);
    }
    const api = await fetch(`${srv.base}/api/v1/iocs`);
    assert.equal(api.status, 401, 'the API is unchanged');
  });

  it('without a build, the page paths say how to build it (503 problem) and the API still answers', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'socd-console-none-'));
    const bare = await startServer(undefined, undefined, { consoleDir: empty });
    try {
      const res = await fetch(`${bare.base}/`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { code: string; detail: string };
      assert.equal(body.code, 'console_not_built');
      assert.match(body.detail, /npm run build:web/);
      assert.equal((await fetch(`${bare.base}/healthz`)).status, 200);
    } finally {
      await bare.close();
    }
  });
});

describe('the console build (npm run build:web)', () => {
  it('has no inline script and loads only same-origin files, within the first-load budget', async () => {
    // npm test builds it first (npm run build:web).
    const html = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs!, /src="\/assets\/[^"]+\.js"/, 'a same-origin bundled script');
      assert.equal(body!.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(html, /https?:\/\//, 'no third-party asset');
    assert.doesNotMatch(html, /\sstyle=|<style/i, 'no inline style');
    // Issue 16: the first load under 250 KB of gzipped script. Every script of the build counts (an upper bound).
    const { gzipSync } = await import('node:zlib');
    const js = readdirSync(join(CONSOLE_DIR, 'assets')).filter((f) => f.endsWith('.js'));
    const gz = js.reduce((n, f) => n + gzipSync(readFileSync(join(CONSOLE_DIR, 'assets', f))).length, 0);
    assert.ok(gz < 250 * 1024, `${gz} bytes gzipped`);
  });
});

