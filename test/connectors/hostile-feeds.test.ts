import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { runSource, type RunReport } from '../../src/connectors/pipeline/runner.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import type { SourceDefinition } from '../../src/connectors/catalog/source-definition.js';
import { genericSource } from '../../src/connectors/catalog/sources/generic.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { AddressGuard, addressClass, AddressRefused, redirectAllowed } from '../../src/connectors/transport/address-guard.js';
import { credentialsMayFollow, FetchError, fetchSource } from '../../src/connectors/transport/fetch-source.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const MIB = 1 << 20;
const { ingest } = resolveSources(CATALOG, {}, {});
const resolved = (def: SourceDefinition, apiKey?: string): ResolvedSource => ({
  def, enabled: true, reason: undefined, apiKey, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0,
});

/**
 * `mib` MiB of zeros as raw DEFLATE, without ever holding them: one 1 MiB segment compressed with a full flush (it
 * ends on a byte boundary and refers to nothing before it), repeated, then an empty final block. ~1 KB a MiB.
 */
function zeroBomb(mib: number): { deflated: Buffer; crc: number; size: number } {
  const zeros = Buffer.alloc(MIB);
  const segment = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  return { deflated: Buffer.concat([...Array<Buffer>(mib).fill(segment), deflateRawSync(Buffer.alloc(0))]), crc, size: mib * MIB };
}

/** A gzip file (RFC 1952) around raw DEFLATE data. */
function gzipOf(b: ReturnType<typeof zeroBomb>): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(b.crc >>> 0, 0);
  trailer.writeUInt32LE(b.size >>> 0, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]), b.deflated, trailer]);
}

/** A zip archive of one deflated member, written by hand (local header, data, central directory, end record). */
function zipOf(name: string, b: ReturnType<typeof zeroBomb>): Buffer {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(b.crc >>> 0, 14);
  local.writeUInt32LE(b.deflated.length, 18);
  local.writeUInt32LE(b.size >>> 0, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(b.crc >>> 0, 16);
  central.writeUInt32LE(b.deflated.length, 20);
  central.writeUInt32LE(b.size >>> 0, 24);
  central.writeUInt16LE(n.length, 28);
  const cdOffset = local.length + n.length + b.deflated.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + n.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, n, b.deflated, central, n, end]);
}

/** The real fetch, with the compressed bytes our reader pulled off the wire counted (how far the inflater got). */
function countingFetch() {
  const counter = { pulled: 0 };
  const impl: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (res.status !== 200 || !res.body) return res;
    const counted = res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        counter.pulled += chunk.byteLength;
        ctl.enqueue(chunk);
      },
    }));
    return new Response(counted, { status: res.status, headers: res.headers });
  };
  return { counter, impl };
}

async function run(def: SourceDefinition, rewrite: (u: string) => string, fetchImpl?: typeof fetch, apiKey?: string): Promise<{ report: RunReport; stored: string[] }> {
  const store = await sqliteStore();
  try {
    const report = await runSource(resolved(def, apiKey), {
      store, settings: ingest, clock: () => NOW, rewriteUrl: rewrite, sleep: async () => {}, transport: { retries: 0 },
      ...(fetchImpl ? { fetchImpl } : {}),
    });
    const stored = (await store.queryIocs({ source: def.id, status: 'all', limit: 100 })).items.map((i) => `${i.type} ${i.value}`).sort();
    return { report, stored };
  } finally {
    await store.close();
  }
}

/**
 * Issue 13 §9: a 2.2 MB zip of 1 GiB was inflated whole in memory (1.14 GB peak inside `socd serve`). Every
 * decompression, zip or gzip, over HTTP or from a file, is streamed and stops a step past the source's byte cap.
 * The proof is in bytes, not time or memory readings: how much of the compressed file was read before the run
 * failed (a bomb of 1 GiB of zeros is ~1 MB compressed; 4 MiB of output needs ~4 KB of it).
 */
describe('decompression bombs: the byte cap holds for what a zip or gzip expands to', () => {
  const CAP = 4 * MIB;
  const bomb = zeroBomb(1024);
  const zip = zipOf('listed_email_1.txt', bomb);
  const gz = gzipOf(bomb);
  const server = new FeedServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'socd-bombs-'));
  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const capped = (id: string, zipMember?: string): SourceDefinition => {
    const base = genericSource({ id, generic: 'text', url: `https://feeds.example.invalid/${id}` });
    return { ...base, fetch: { ...base.fetch, maxBytes: CAP, ...(zipMember ? { zipMember } : {}) } };
  };
  const REASON = new RegExp(`^too-large: decompressed size passes the source's limit of ${CAP} bytes$`);

  it('a zip bomb over HTTP fails at the cap, its download cut short (a quarter of the archive at most was read)', async () => {
    const def = capped('zip-bomb', '*');
    server.handlers.set(def.fetch.url as string, (_q, res) => res.writeHead(200, { 'content-type': 'application/zip' }).end(zip));
    const { counter, impl } = countingFetch();
    const { report } = await run(def, server.rewrite, impl);
    assert.equal(report.outcome, 'failed');
    assert.match(String(report.error), REASON);
    assert.ok(counter.pulled < zip.length / 4, `read ${counter.pulled} of ${zip.length} compressed bytes`);
  });

  it('a gzip bomb over HTTP fails at the cap with the same reason, its download cut short', async () => {
    const def = capped('gzip-bomb');
    server.handlers.set(def.fetch.url as string, (_q, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(gz));
    const { counter, impl } = countingFetch();
    const { report } = await run(def, server.rewrite, impl);
    assert.equal(report.outcome, 'failed');
    assert.match(String(report.error), REASON);
    assert.ok(report.bytes <= CAP, `delivered ${report.bytes} decompressed bytes`);
    assert.ok(counter.pulled < gz.length / 4, `read ${counter.pulled} of ${gz.length} compressed bytes`);
  });

  it('the same bombs as file:// copies fail at the cap with the same reason', async () => {
    writeFileSync(path.join(dir, 'bomb.zip'), zip);
    writeFileSync(path.join(dir, 'bomb.gz'), gz);
    const z = await run(capped('zip-file', '*'), () => pathToFileURL(path.join(dir, 'bomb.zip')).toString());
    assert.equal(z.report.outcome, 'failed');
    assert.match(String(z.report.error), REASON);
    const g = await run(capped('gzip-file'), () => pathToFileURL(path.join(dir, 'bomb.gz')).toString());
    assert.equal(g.report.outcome, 'failed');
    assert.match(String(g.report.error), REASON);
  });

  it('an honest zip still loads as it streams: the named member among several, whatever comes after it', async () => {
    const def = genericSource({ id: 'zip-ok', generic: 'text', url: 'https://feeds.example.invalid/zip-ok' });
    const archive = zipSync({
      'readme.txt': new TextEncoder().encode('not this one\n'),
      'data/list.txt': new TextEncoder().encode('45.133.1.20\nevil-example.top\n'),
      'z.bin': new Uint8Array(1000),
    });
    server.handlers.set('https://feeds.example.invalid/zip-ok', (_q, res) => res.writeHead(200).end(archive));
    const r = await run({ ...def, fetch: { ...def.fetch, zipMember: 'list.txt' } }, server.rewrite);
    assert.equal(r.report.outcome, 'ok', String(r.report.error));
    assert.deepEqual(r.stored, ['domain evil-example.top', 'ipv4 45.133.1.20']);
    const missing = await run({ ...def, id: 'zip-missing', fetch: { ...def.fetch, zipMember: 'absent.txt' } }, server.rewrite);
    assert.equal(missing.report.outcome, 'failed');
    assert.match(String(missing.report.error), /no member "absent\.txt"/);
  });
});

/** A second loopback server (another origin: another port) that records every request it gets. */
class Recorder {
  readonly requests: Array<{ url: string; headers: IncomingMessage['headers'] }> = [];
  route: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.1.50\n45.133.1.51\n');
  private server: Server | undefined;
  base = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push({ url: req.url ?? '', headers: req.headers });
      this.route(req, res);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

const failed = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected a FetchError'),
    (e: unknown) => {
      assert.ok(e instanceof FetchError, String(e));
      return e;
    },
  );

/**
 * Issue 13 §10: downloads followed redirects to any host with the source's key headers (only Authorization was
 * dropped), to any address. Now: credentials stay on the configured origin, a redirect never leads somewhere less
 * public than the configured URL (checked on literals before the request, on names at connect time), at most 5 hops.
 */
describe('redirects: credentials stay home, addresses only get more public, five hops at most', () => {
  const KEY = 'k3y-0f-the-s0urce-42';
  const feeds = new FeedServer();
  const other = new Recorder();
  before(async () => {
    await feeds.start();
    await other.start();
  });
  after(async () => {
    await feeds.stop();
    await other.stop();
  });
  /** A source that sends its key as a header (Auth-Key), adds a header of its own, and puts the key in the query. */
  const keyed = (id: string): SourceDefinition => {
    const base = genericSource({ id, generic: 'text', url: `https://feeds.example.invalid/${id}?key={apiKey}&format=txt`, headers: { 'X-Feed-Token': 'static-token' } });
    return { ...base, apiKey: { env: 'SOCD_TEST_KEY', header: 'Auth-Key' } };
  };
  const opts = (url: string, extra: Partial<Parameters<typeof fetchSource>[0]> = {}) => ({
    url, userAgent: 'SOC-Defenders-test/1.0', retries: 0, sleep: async () => {}, ...extra,
  });

  it('a redirect to another origin (another port) carries none of the source\'s headers, nor its key in the query', async () => {
    const def = keyed('cross-origin');
    const start = `https://feeds.example.invalid/cross-origin?key=${KEY}&format=txt`;
    feeds.handlers.set(start, (_q, res) => res.writeHead(302, { location: `${other.base}/list?key=${KEY}&page=1` }).end());
    other.requests.length = 0;
    const r = await run(def, feeds.rewrite, undefined, KEY);
    assert.equal(r.report.outcome, 'ok', String(r.report.error));
    assert.deepEqual(r.stored, ['ipv4 45.133.1.50', 'ipv4 45.133.1.51']);
    const home = feeds.requests.find((q) => q.url === start)!;
    assert.equal(home.headers['auth-key'], KEY, 'the configured origin gets the key');
    assert.equal(home.headers['x-feed-token'], 'static-token');
    assert.equal(other.requests.length, 1);
    const away = other.requests[0]!;
    for (const h of ['auth-key', 'x-feed-token', 'authorization', 'cookie', 'referer']) assert.equal(away.headers[h], undefined, h);
    assert.equal(away.url, '/list?page=1', 'the key left the query, the rest stayed');
    assert.ok(!JSON.stringify(away).includes(KEY));
  });

  it('a redirect within the configured origin keeps the source\'s headers (as before)', async () => {
    const def = keyed('same-origin');
    const start = `https://feeds.example.invalid/same-origin?key=${KEY}&format=txt`;
    const moved = 'https://feeds.example.invalid/moved.txt';
    feeds.handlers.set(start, (_q, res) => res.writeHead(301, { location: feeds.rewrite(moved) }).end());
    feeds.handlers.set(moved, (_q, res) => res.writeHead(200).end('45.133.1.52\n'));
    const r = await run(def, feeds.rewrite, undefined, KEY);
    assert.equal(r.report.outcome, 'ok', String(r.report.error));
    const second = feeds.requests.filter((q) => q.url === moved).at(-1)!;
    assert.equal(second.headers['auth-key'], KEY);
    assert.equal(second.headers['x-feed-token'], 'static-token');
  });

  it('a redirect to another origin with the key in its path is not followed', async () => {
    const def = keyed('key-in-path');
    feeds.handlers.set(`https://feeds.example.invalid/key-in-path?key=${KEY}&format=txt`, (_q, res) => res.writeHead(307, { location: `${other.base}/${KEY}/list.txt` }).end());
    other.requests.length = 0;
    const r = await run(def, feeds.rewrite, undefined, KEY);
    assert.equal(r.report.outcome, 'failed');
    assert.match(String(r.report.error), /^redirect: .*carries the source's key/);
    assert.ok(!String(r.report.error).includes(KEY), 'the error does not print the key');
    assert.equal(other.requests.length, 0);
  });

  it('five redirects are followed; the sixth fails with the hop error, and nothing past it is requested', async () => {
    other.route = (req, res) => {
      const n = Number(/^\/hop\/(\d+)$/.exec(req.url ?? '')?.[1]);
      if (n < 10) res.writeHead(302, { location: `/hop/${n + 1}` }).end();
      else res.writeHead(200).end('ok\n');
    };
    try {
      other.requests.length = 0;
      const five = await fetchSource(opts(`${other.base}/hop/5`));
      assert.equal(five.status, 'ok');
      assert.equal(other.requests.length, 6, 'the request and its five redirects');
      other.requests.length = 0;
      const e = await failed(fetchSource(opts(`${other.base}/hop/0`)));
      assert.equal(e.kind, 'redirect');
      assert.match(e.message, /more than 5 redirects/);
      assert.equal(other.requests.length, 6, 'the request and five hops, the sixth not taken');
    } finally {
      other.route = (_q, res) => res.writeHead(200).end('45.133.1.50\n');
    }
  });

  /** The configured host answers as a public server would (tests cannot reach one); every other URL goes to the real fetch. */
  const publicStart = (location: string): typeof fetch => async (input, init) =>
    new URL(String(input)).hostname === 'feeds.example.org' ? new Response(null, { status: 302, headers: { location } }) : fetch(input, init);

  it('from a configured public host, a redirect into 127.0.0.1 is refused before any connection', async () => {
    other.requests.length = 0;
    const e = await failed(fetchSource(opts('https://feeds.example.org/list', { fetchImpl: publicStart(`${other.base}/secret`) })));
    assert.equal(e.kind, 'redirect');
    assert.match(e.message, /127\.0\.0\.1.*loopback.*less public/);
    assert.equal(e.attempts, 1, 'not retried');
    assert.equal(other.requests.length, 0);
  });

  it('from a configured public host, a redirect to a name that resolves to loopback is refused at connect time', async () => {
    other.requests.length = 0;
    const port = new URL(other.base).port;
    const e = await failed(fetchSource(opts('https://feeds.example.org/list', { fetchImpl: publicStart(`http://localhost:${port}/secret`), retries: 2 })));
    assert.equal(e.kind, 'address');
    assert.match(e.message, /localhost is at .*loopback/);
    assert.equal(e.attempts, 1, 'not retried');
    assert.equal(other.requests.length, 0);
  });

  it('a configured loopback URL may be redirected to another loopback origin (tests, mirrors), without credentials', async () => {
    other.requests.length = 0;
    const r = await fetchSource(opts(`${feeds.rewrite('https://x.invalid/none')}`, {
      headers: { authorization: 'Bearer t0ken-value', cookie: 'a=b' },
      fetchImpl: async (input, init) => (String(input).startsWith(other.base) ? fetch(input, init) : new Response(null, { status: 302, headers: { location: `${other.base}/list` } })),
    }));
    assert.equal(r.status, 'ok');
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0]!.headers.authorization, undefined);
    assert.equal(other.requests[0]!.headers.cookie, undefined);
  });
});

describe('redirectAllowed(from, to, resolvedAddress): never less public than where the download started', () => {
  const PUBLIC = '93.184.215.14';
  it('public → private, loopback, link-local (metadata), mapped or unspecified addresses: refused', () => {
    for (const to of ['10.0.0.5', '172.20.1.1', '192.168.1.10', '100.64.0.1', 'fd00::1', '127.0.0.1', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '169.254.169.254', 'fe80::1', '0.0.0.0', '224.0.0.1']) {
      assert.equal(redirectAllowed('https://feeds.example.org/list', 'http://internal.example/x', to, PUBLIC), false, to);
      assert.equal(redirectAllowed(`http://${PUBLIC}/list`, 'http://internal.example/x', to), false, `${to} from a literal`);
    }
    // A named start whose address is not known is held to be public.
    assert.equal(redirectAllowed('https://feeds.example.org/list', 'http://10.0.0.5/x', '10.0.0.5'), false);
  });
  it('public → public: allowed (CDNs, mirrors), IPv4 or IPv6', () => {
    assert.equal(redirectAllowed('https://feeds.example.org/list', 'https://cdn.example.net/list', '151.101.1.1', PUBLIC), true);
    assert.equal(redirectAllowed('https://feeds.example.org/list', 'https://cdn.example.net/list', '2606:4700::6810:84e5', PUBLIC), true);
  });
  it('private → private and private → public: allowed (an air-gapped mirror); private → loopback or link-local: refused', () => {
    assert.equal(redirectAllowed('http://10.1.2.3/feed', 'http://192.168.5.5/feed', '192.168.5.5'), true);
    assert.equal(redirectAllowed('http://mirror.corp.example/feed', 'http://10.9.9.9/feed', '10.9.9.9', '10.1.2.3'), true);
    assert.equal(redirectAllowed('http://10.1.2.3/feed', 'https://feeds.example.org/feed', PUBLIC), true);
    assert.equal(redirectAllowed('http://10.1.2.3/feed', 'http://127.0.0.1/feed', '127.0.0.1'), false);
    assert.equal(redirectAllowed('http://10.1.2.3/feed', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254'), false);
  });
  it('loopback → loopback (tests) and loopback → private: allowed', () => {
    assert.equal(redirectAllowed('http://127.0.0.1:8081/a', 'http://127.0.0.1:8082/b', '127.0.0.1'), true);
    assert.equal(redirectAllowed('http://localhost:8081/a', 'http://[::1]:8082/b', '::1'), true);
    assert.equal(redirectAllowed('http://127.0.0.1:8081/a', 'http://10.0.0.7/b', '10.0.0.7'), true);
  });
  it('only http and https are followed', () => {
    assert.equal(redirectAllowed('http://127.0.0.1/a', 'file:///etc/passwd', '127.0.0.1'), false);
    assert.equal(redirectAllowed('http://127.0.0.1/a', 'ftp://127.0.0.1/x', '127.0.0.1'), false);
  });
  it('address classes', () => {
    assert.deepEqual(['8.8.8.8', '10.0.0.1', '127.0.0.2', '169.254.169.254', '2001:4860:4860::8888', 'fc00::1', '::1', '::', '2001:db8::1', 'not-an-ip'].map(addressClass),
      ['public', 'private', 'loopback', 'special', 'public', 'private', 'loopback', 'special', 'special', 'special']);
  });
  it('credentials follow the same origin and an upgrade to https on the same host, nothing else', () => {
    const u = (s: string) => new URL(s);
    assert.equal(credentialsMayFollow(u('https://a.example/x'), u('https://a.example/y?z')), true);
    assert.equal(credentialsMayFollow(u('http://a.example/x'), u('https://a.example/x')), true);
    assert.equal(credentialsMayFollow(u('https://a.example/x'), u('http://a.example/x')), false, 'a downgrade');
    assert.equal(credentialsMayFollow(u('http://a.example/x'), u('https://a.example:8443/x')), false);
    assert.equal(credentialsMayFollow(u('http://127.0.0.1:8081/x'), u('http://127.0.0.1:8082/x')), false, 'another port');
    assert.equal(credentialsMayFollow(u('https://a.example/x'), u('https://b.example/x')), false);
  });
});

describe('AddressGuard: the check at connect time (DNS rebinding)', () => {
  const a = (address: string) => ({ address, family: address.includes(':') ? 6 : 4 });
  it('a public start that later resolves to loopback is refused; mixed answers keep the public ones', () => {
    const g = new AddressGuard(new URL('https://feeds.example.org/list'));
    assert.deepEqual(g.admit('feeds.example.org', [a('93.184.215.14')]), [a('93.184.215.14')]);
    assert.throws(() => g.admit('feeds.example.org', [a('127.0.0.1')]), AddressRefused);
    assert.throws(() => g.admit('cdn.example.net', [a('10.0.0.8')]), AddressRefused);
    assert.deepEqual(g.admit('cdn.example.net', [a('10.0.0.8'), a('151.101.1.1')]), [a('151.101.1.1')]);
  });
  it('a start that resolves to a private address (a mirror) sets the floor there', () => {
    const g = new AddressGuard(new URL('http://mirror.corp.example/feeds/list'));
    assert.equal(g.admit('mirror.corp.example', [a('10.1.2.3')]).length, 1);
    assert.equal(g.admit('other.corp.example', [a('192.168.1.4')]).length, 1);
    assert.throws(() => g.admit('other.corp.example', [a('127.0.0.1')]), AddressRefused);
  });
  it('its lookup answers net.connect with the refusal (localhost from a public start)', async () => {
    const g = new AddressGuard(new URL('https://feeds.example.org/list'));
    g.admit('feeds.example.org', [a('93.184.215.14')]);
    const err = await new Promise<Error | null>((resolve) => g.lookup('localhost', { all: true }, (e) => resolve(e)));
    assert.ok(err instanceof AddressRefused, String(err));
  });
});
