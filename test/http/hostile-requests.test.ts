import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { TokenSigner, filterDigest } from '../../src/auth/signed-token.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { wireApp } from '../../src/cli/wiring.js';
import { sqliteStore, type SqliteTestStore, TEST_IDENTITY } from '../support/stores.js';

const SECRET = 'x'.repeat(32);
const SEEDED = '203.0.113.7';

interface Server {
  app: FastifyInstance;
  store: SqliteTestStore;
  base: string;
  port: number;
}

async function startServer(tune: (config: Config) => void): Promise<Server> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/nonexistent-dir');
  tune(config);
  const store = await sqliteStore();
  const app = await wireApp({ store, config, authenticator: new Authenticator(store), signer: new TokenSigner(SECRET), identity: TEST_IDENTITY, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;
  return { app, store, base: `http://127.0.0.1:${port}`, port };
}

async function seed(store: SqliteTestStore): Promise<void> {
  await store.upsertSource({ id: 'test', name: 'Test', reliability: 0.8, redistributable: true, aggregate: false, tlp: 'clear' });
  const now = Date.now();
  // Three IOCs added at three instants, so that limit=1 gives a next_cursor.
  for (const [i, value] of [SEEDED, '203.0.113.8', '203.0.113.9'].entries()) {
    await store.upsertObservations(
      'test',
      [{ type: 'ipv4', value, confidence: null, tags: ['c2'], malware: [], sectors: ['energy'], tlp: null, firstSeen: now, lastSeen: now, reference: null }],
      now + i,
    );
  }
}

// ------------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client: for what fetch refuses to send (bad bytes, bad syntax, literal `..`, NUL…).
// ------------------------------------------------------------------------------------------------

interface Answer {
  /** undefined when the server closed the connection without an HTTP answer. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
}

function decodeChunked(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

function parseAnswer(raw: Buffer): Answer {
  if (raw.length === 0) return { status: undefined, headers: {}, body: '' };
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end > 0, `an HTTP answer: ${JSON.stringify(raw.subarray(0, 200).toString('latin1'))}`);
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine ?? '');
  assert.ok(m, `a status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = decodeChunked(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(m[1]), headers, body: body.toString('utf8') };
}

/** Sends bytes as they are and reads until the server closes the connection. */
function rawRequest(port: number, data: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      // A server that answers early (431, 400) and closes may reset a socket we are still writing to.
      if (err && chunks.length === 0) reject(err);
      else {
        try {
          resolve(parseAnswer(Buffer.concat(chunks)));
        } catch (e) {
          reject(e as Error);
        }
      }
    };
    // A guard against a hang, not a measurement: every case here is answered or closed at once.
    socket.setTimeout(15_000, () => socket.destroy(new Error('the server neither answered nor closed the connection')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', finish);
    socket.on('close', () => finish());
    socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  });
}

// ------------------------------------------------------------------------------------------------
// The cases
// ------------------------------------------------------------------------------------------------

/**
 * What kind of answer a case gets:
 * - `problem`: our RFC 9457 answer (application/problem+json, status/code/detail), from the app's handlers,
 *   including what Fastify's router refuses before routing (invalid percent-encoding in the path →
 *   `bad_url`, a path parameter over maxParamLength → `uri_too_long`; the app's `frameworkErrors`).
 * - `parser`: Node's HTTP parser refused the bytes before any route ran (Fastify's clientError handler, or Node
 *   itself). The body is Fastify's `{"error","message","statusCode"}` JSON or, for a missing Host header,
 *   empty: Node answers `400 Bad Request` itself. These are: invalid bytes in the request line or a header
 *   (NUL, control characters, spaces in a header name, obs-fold), unknown or lowercase methods, HTTP/2
 *   prefaces, bad versions, bad Content-Length / Transfer-Encoding framing, LF-only line ends, and anything
 *   over Node's 16 KB header limit (431: the ~64 KB and 100 KB URLs, headers and header floods). Node's
 *   `417 Expectation Failed` for an unknown `Expect` is of this kind too (empty body).
 */
type Kind = 'problem' | 'parser';

interface Case {
  name: string;
  status: number;
  kind: Kind;
  /** The problem's `code` / `parameter`, when the case is about one. */
  code?: string;
  parameter?: string;
  send:
    | { via: 'fetch'; method: string; path: string; headers?: Record<string, string>; body?: string }
    | { via: 'raw'; bytes: string | Buffer };
}

interface Keys {
  pro: string;
  revoked: string;
  cursor: string;
  knownId: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function buildCases(k: Keys): Case[] {
  const cases: Case[] = [];
  const bearer = { authorization: `Bearer ${k.pro}` };
  const RAW_AUTH = `Authorization: Bearer ${k.pro}\r\n`;
  const get = (name: string, path: string, status: number, extra: Partial<Case> = {}, headers: Record<string, string> = bearer): void => {
    cases.push({ name, status, kind: 'problem', ...extra, send: { via: 'fetch', method: 'GET', path, headers } });
  };
  const raw = (name: string, bytes: string | Buffer, status: number, kind: Kind, extra: Partial<Case> = {}): void => {
    cases.push({ name, status, kind, ...extra, send: { via: 'raw', bytes } });
  };
  const rawGet = (target: string, headers = RAW_AUTH) => `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`;

  // --- every parameter of GET /api/v1/iocs, with wrong values ----------------------------------------------
  const invalid: Record<string, string[]> = {
    type: ['', 'foo', 'ipv4,foo', 'ipv4,', ',', 'IPv5', 'ipv4;url', "ipv4' OR 1=1--", '../../etc/passwd', 'ipv4\u0000', '💥', 'ｉｐｖ４', 'x'.repeat(5000), 'ipv4\r\nX-Injected: 1'],
    since: ['', 'yesterday', '2026-13-01', '2026-02-30', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+25:00', '1714000000', '-1', "2026-01-01' OR '1'='1", '2026-01-01T00:00:00ZZ', '２０２６-01-01', '9'.repeat(41)],
    industry: ['', 'energy2', 'energy,dams', 'sector:energy', "energy' OR 1=1--", '../../etc', '能源', 'energy\u0007'],
    confidence: ['', 'highest', '100', '0', 'low,high', "high' --", 'HIGH\u0000'],
    source: ['', '-leading', 'a'.repeat(65), 'has space', "x' OR '1'='1", '../etc', 'ü', 'a/b', 'a;drop table sources'],
    status: ['', 'deleted', 'active,revoked', "all' --", '1', 'ALL\u200b'],
    q: ['', ' ', 'not a value', "' OR 1=1--", '../../etc/passwd', '1.2.3', '999.1.1.1', '10.0.0.1/8', 'a'.repeat(9000), '\u0007', 'evil\u202ecom', 'http://', '%zz', 'x@', 'CVE-1-1', "203.0.113.7' OR '1'='1"],
    limit: ['0', '-1', '1001', '1e3', 'abc', '', ' 1', '1.5', '0x10', '99999999', '１０', 'Infinity', 'NaN', '10;DROP TABLE iocs', '1 OR 1=1'],
  };
  for (const [param, values] of Object.entries(invalid)) {
    for (const v of values) {
      get(`${param}=${JSON.stringify(v.slice(0, 40))}`, `/api/v1/iocs?${param}=${encodeURIComponent(v)}`, 400, { code: 'invalid_parameter', parameter: param });
    }
  }

  // Cursors: garbage, tampered, forged with another secret, signed with ours but the wrong shape, and re-used with other filters.
  const [body, sig] = k.cursor.split('.') as [string, string];
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const ours = new TokenSigner(SECRET);
  const theirs = new TokenSigner('y'.repeat(32));
  const digest = filterDigest(JSON.stringify([null, null, null, null, null, 'active', null]));
  const badCursors: Array<[string, string]> = [
    ['empty', ''],
    ['garbage', 'garbage'],
    ['dot only', '.'],
    ['no signature', `${body}.`],
    ['no body', `.${sig}`],
    ['signature flipped', `${body}.${flip(sig, 3)}`],
    ['body flipped', `${flip(body, 5)}.${sig}`],
    ['signature truncated', `${body}.${sig.slice(0, 10)}`],
    ['3 KB', 'x'.repeat(3000)],
    ['other secret', theirs.sign({ v: 1, f: digest, a: 1, r: 1 })],
    ['version 2', ours.sign({ v: 2, f: digest, a: 1, r: 1 })],
    ['string position', ours.sign({ v: 1, f: digest, a: '1', r: 1 })],
    ['fractional position', ours.sign({ v: 1, f: digest, a: 1.5, r: 1 })],
    ['unsafe integer', ours.sign({ v: 1, f: digest, a: 2 ** 60, r: 1 })],
    ['null payload', ours.sign(null)],
    ['array payload', ours.sign([1, 2, 3])],
    ['string payload', ours.sign("' OR 1=1--")],
    ['other filters digest', ours.sign({ v: 1, f: 'AAAAAAAAAAAAAAAA', a: 1, r: 1 })],
  ];
  for (const [name, c] of badCursors) get(`cursor ${name}`, `/api/v1/iocs?cursor=${encodeURIComponent(c)}`, 400, { code: 'invalid_parameter', parameter: 'cursor' });
  // A valid cursor of the unfiltered walk, re-used with other filters.
  for (const filters of ['type=ipv6', 'status=all', 'industry=energy', `q=${SEEDED}`, 'source=test', 'confidence=high', 'since=2020-01-01']) {
    get(`valid cursor with ${filters}`, `/api/v1/iocs?${filters}&cursor=${encodeURIComponent(k.cursor)}`, 400, { code: 'invalid_parameter', parameter: 'cursor' });
  }

  // Every parameter given twice (an array), and given ~100 KB long (over Node's 16 KB header limit: 431).
  for (const param of ['type', 'since', 'industry', 'confidence', 'source', 'status', 'q', 'limit', 'cursor']) {
    get(`${param} twice`, `/api/v1/iocs?${param}=a&${param}=b`, 400, { code: 'invalid_parameter', parameter: param });
    cases.push({ name: `${param} 100 KB`, status: 431, kind: 'parser', send: { via: 'fetch', method: 'GET', path: `/api/v1/iocs?${param}=${'a'.repeat(100 * 1024)}`, headers: bearer } });
  }

  // --- unknown parameters ---------------------------------------------------------------------------------
  for (const [query, parameter] of [
    ['foo=1', 'foo'],
    ['TYPE=ipv4', 'TYPE'],
    ['type[]=ipv4', 'type[]'],
    ['type[0]=ipv4', 'type[0]'],
    ['__proto__=1', '__proto__'],
    ['constructor=1', 'constructor'],
    ['page=2', 'page'],
    ['offset=10', 'offset'],
    ['q=203.0.113.7&extra=', 'extra'],
    ['Limit=10', 'Limit'],
  ] as const) {
    get(`unknown parameter ${query}`, `/api/v1/iocs?${query}`, 400, { code: 'invalid_parameter', parameter });
  }
  get('unknown parameter, 200-character name', `/api/v1/iocs?${'n'.repeat(200)}=1`, 400, { code: 'invalid_parameter', parameter: `${'n'.repeat(64)}…` });

  // --- authentication -------------------------------------------------------------------------------------
  const unknownKey = `sk_live_${'A'.repeat(40)}`;
  const authCases: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['empty', { authorization: '' }],
    ['Bearer', { authorization: 'Bearer' }],
    ['Bearer and spaces', { authorization: 'Bearer    ' }],
    ['Bearer x', { authorization: 'Bearer x' }],
    ['bearer with a short sk_live_', { authorization: 'bearer sk_live_short' }],
    ['right shape, unknown key', { authorization: `Bearer ${unknownKey}` }],
    ['valid key plus one character', { authorization: `Bearer ${k.pro}x` }],
    ['valid key lowercased', { authorization: `Bearer ${k.pro.toLowerCase()}` }],
    ['valid key, then a second token', { authorization: `Bearer ${k.pro} extra` }],
    ['key without a scheme', { authorization: k.pro }],
    ['Token scheme', { authorization: `Token ${k.pro}` }],
    ['Digest scheme', { authorization: 'Digest username="admin", realm="socd"' }],
    ['Basic !!!', { authorization: 'Basic !!!' }],
    ['Basic alone', { authorization: 'Basic' }],
    ['Basic without colon', { authorization: `Basic ${b64('pro@example.com')}` }],
    ['Basic with wrong email but a valid key', { authorization: `Basic ${b64(`wrong@example.com:${k.pro}`)}` }],
    ['Basic with no email', { authorization: `Basic ${b64(`:${k.pro}`)}` }],
    ['Basic with no key', { authorization: `Basic ${b64('pro@example.com:')}` }],
    ['Basic with a Bearer inside', { authorization: `Basic ${b64(`pro@example.com:Bearer ${k.pro}`)}` }],
    ['revoked key', { authorization: `Bearer ${k.revoked}` }],
    ['revoked key over Basic', { authorization: `Basic ${b64(`revoked@example.com:${k.revoked}`)}` }],
    ['10 KB Bearer', { authorization: `Bearer ${'a'.repeat(10 * 1024)}` }],
    ['10 KB key-shaped Bearer', { authorization: `Bearer sk_live_${'a'.repeat(10 * 1024)}` }],
    ['latin-1 bytes', { authorization: 'Bearer sk_live_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9' }],
    ['SQL in the key', { authorization: "Bearer ' OR 1=1--" }],
  ];
  for (const [name, headers] of authCases) {
    get(`auth: ${name}`, '/api/v1/iocs', 401, { code: 'unauthorized' }, headers);
  }
  get('auth: unknown key on an IOC id', `/api/v1/iocs/${k.knownId}`, 401, { code: 'unauthorized' }, { authorization: `Bearer ${unknownKey}` });
  get('auth: no key on an IOC id', `/api/v1/iocs/${k.knownId}`, 401, { code: 'unauthorized' }, {});
  get('auth: a bad key is refused before a bad parameter', '/api/v1/iocs?limit=0', 401, { code: 'unauthorized' }, { authorization: 'Bearer x' });
  cases.push({ name: 'HEAD without a key', status: 401, kind: 'problem', send: { via: 'fetch', method: 'HEAD', path: '/api/v1/iocs' } });

  // --- unknown routes and methods -------------------------------------------------------------------------
  // `/` and the other console pages answer the web console (http/console.ts); paths beside them stay 404.
  const paths404 = ['/api/v2/x', '/api/v1', '/api/v1/iocz', '/api/v1/iocs/x/y', '/api/v1/sourcez', '/api/v1/stix', '/taxii3/', '/admin', '/.env', '/.git/config', '/iocs', '/search/x', '/index.php?id=1%27%20OR%201=1', '/api/v1/docs/static/..%2f..%2fpackage.json', '/healthz/x', '/%00'];
  for (const p of paths404) get(`unknown route ${p}`, p, 404, { code: 'not_found' });
  for (const method of ['DELETE', 'PUT', 'PATCH', 'POST', 'OPTIONS']) {
    // POST /api/v1/iocs is the submission route (submitter role): a pro key without the role gets a 403.
    if (method !== 'POST') cases.push({ name: `${method} /api/v1/iocs`, status: 404, kind: 'problem', code: 'not_found', send: { via: 'fetch', method, path: '/api/v1/iocs', headers: bearer } });
    cases.push({ name: `${method} /api/v1/iocs/{id}`, status: 404, kind: 'problem', code: 'not_found', send: { via: 'fetch', method, path: `/api/v1/iocs/${k.knownId}`, headers: bearer } });
  }
  cases.push({
    name: 'POST /api/v1/iocs without the submitter role', status: 403, kind: 'problem', code: 'role_required',
    send: { via: 'fetch', method: 'POST', path: '/api/v1/iocs', headers: { ...bearer, 'content-type': 'application/json' }, body: '["45.133.1.1"]' },
  });
  cases.push({
    name: 'POST /api/v1/iocs/{id}/revoke without the analyst role', status: 403, kind: 'problem', code: 'role_required',
    send: { via: 'fetch', method: 'POST', path: `/api/v1/iocs/${k.knownId}/revoke`, headers: { ...bearer, 'content-type': 'application/json' }, body: '{"reason":"x"}' },
  });
  for (const [method, path] of [['POST', '/healthz'], ['DELETE', '/readyz'], ['POST', '/api/v1/openapi.json'], ['PUT', '/api/v1/docs'], ['PROPFIND', '/api/v1/iocs'], ['M-SEARCH', '/'], ['PURGE', '/api/v1/iocs']] as const) {
    cases.push({ name: `${method} ${path}`, status: 404, kind: 'problem', code: 'not_found', send: { via: 'fetch', method, path, headers: bearer } });
  }
  // fetch refuses TRACE.
  raw('TRACE /api/v1/iocs', `TRACE /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\n${RAW_AUTH}Connection: close\r\n\r\n`, 404, 'problem', { code: 'not_found' });
  // fetch would resolve `..` (even as %2e%2e): these go out as they are.
  for (const target of ['/../etc/passwd', '/../../../../etc/passwd', '/api/v1/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/api/v1/iocs/../../../etc/shadow', '/.%2e/.%2e/etc/passwd']) {
    raw(`literal ${target}`, rawGet(target), 404, 'problem', { code: 'not_found' });
  }

  // --- GET /api/v1/iocs/{id}: malformed ids and unknown uuids -----------------------------------------------
  const badIds = ['x', '1', "1' OR '1'='1", 'indicator--', 'indicator--not-a-uuid', 'indicator--00000000-0000-0000-0000-000000000000', 'malware--6f1c7e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', 'vulnerability--zz', 'indicator--6f1c7e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b-extra', ' ', '../../etc/passwd', '%00', 'indicator--6f1c7e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5', 'a'.repeat(499), '💥'];
  for (const id of badIds) get(`id ${JSON.stringify(id.slice(0, 40))}`, `/api/v1/iocs/${encodeURIComponent(id)}`, 400, { code: 'invalid_parameter', parameter: 'id' });
  // Not an id but an IOC value: looked up by value; no IOC has it here.
  get('a value no IOC has, in place of an id', `/api/v1/iocs/CVE-2024-3400`, 404, { code: 'not_found' });
  for (const id of ['indicator--6f1c7e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', 'vulnerability--0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d', 'INDICATOR--6F1C7E2A-3B4D-4E5F-8A9B-0C1D2E3F4A5B', k.knownId.replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
    get(`unknown id ${id}`, `/api/v1/iocs/${id}`, 404, { code: 'not_found' });
  }
  get('id longer than maxParamLength', `/api/v1/iocs/${'a'.repeat(8193)}`, 414, { code: 'uri_too_long' });

  // --- bodies with wrong content types --------------------------------------------------------------------
  const bodies: Array<[string, string, string, number, string]> = [
    ['POST', 'application/xml', '<iocs/>', 404, 'not_found'],
    ['POST', 'text/plain', '1.2.3.4', 404, 'not_found'],
    ['POST', 'application/octet-stream', '\u0000\u0001', 404, 'not_found'],
    ['POST', 'multipart/form-data; boundary=x', '--x--', 404, 'not_found'],
    ['POST', 'application/x-www-form-urlencoded', 'a=1', 404, 'not_found'],
    ['POST', ';;;', 'x', 415, 'unsupported_media_type'],
    ['POST', 'image/png', '\u0089PNG', 404, 'not_found'],
    ['POST', 'application/json', '{', 400, 'invalid_body'],
    ['POST', 'application/json', '', 400, 'invalid_body'],
    ['POST', 'application/json', '{"__proto__": {"admin": true}}', 400, 'invalid_body'],
    ['PUT', 'application/json', '{"constructor": {"prototype": {"admin": true}}}', 400, 'invalid_body'],
    ['POST', 'application/json; charset=utf-16', '{}', 404, 'not_found'],
    ['POST', 'application/json; charset=utf-16', '{"a":', 400, 'invalid_body'],
    ['PATCH', 'application/json', 'x'.repeat(2 * 1024 * 1024), 413, 'payload_too_large'],
    ['POST', 'text/plain', 'x'.repeat(2 * 1024 * 1024), 413, 'payload_too_large'],
  ];
  for (const [method, type, payload, status, code] of bodies) {
    cases.push({
      name: `${method} body ${type} (${payload.length} B)`,
      status,
      kind: 'problem',
      code,
      // A route without these methods (POST /api/v1/iocs, the submission route, reads bodies: see submit-route.test.ts).
      send: { via: 'fetch', method, path: `/api/v1/iocs/${k.knownId}`, headers: { ...bearer, 'content-type': type }, body: payload },
    });
  }
  // GET with a body (fetch refuses): the body is ignored, the rest of the request decides.
  const getWithBody = (target: string, headers: string, type: string, payload: string) =>
    `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${headers}Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(payload, 'latin1')}\r\nConnection: close\r\n\r\n${payload}`;
  raw('GET with an XML body and limit=0', getWithBody('/api/v1/iocs?limit=0', RAW_AUTH, 'application/xml', '<a/>'), 400, 'problem', { parameter: 'limit' });
  raw('GET with a broken JSON body and no key', getWithBody('/api/v1/iocs', '', 'application/json', '{{{'), 401, 'problem', { code: 'unauthorized' });
  raw('GET with a form body and an unknown parameter', getWithBody('/api/v1/iocs?x=1', RAW_AUTH, 'application/x-www-form-urlencoded', 'limit=5'), 400, 'problem', { parameter: 'x' });
  raw('GET an IOC id with a JSON body and a bad id', getWithBody('/api/v1/iocs/nope', RAW_AUTH, 'application/json', '{"id":"x"}'), 400, 'problem', { parameter: 'id' });

  // --- raw bytes: invalid percent-encoding -----------------------------------------------------------------
  raw('q=%zz', rawGet('/api/v1/iocs?q=%zz'), 400, 'problem', { parameter: 'q' });
  raw('q=%', rawGet('/api/v1/iocs?q=%'), 400, 'problem', { parameter: 'q' });
  raw('limit=%', rawGet('/api/v1/iocs?limit=%'), 400, 'problem', { parameter: 'limit' });
  raw('cursor=%ff%fe', rawGet('/api/v1/iocs?cursor=%ff%fe'), 400, 'problem', { parameter: 'cursor' });
  raw('q=%C0%AF (overlong UTF-8)', rawGet('/api/v1/iocs?q=%C0%AF'), 400, 'problem', { parameter: 'q' });
  raw('q=%ED%A0%80 (surrogate)', rawGet('/api/v1/iocs?q=%ED%A0%80'), 400, 'problem', { parameter: 'q' });
  raw('%zz=1', rawGet('/api/v1/iocs?%zz=1'), 400, 'problem', { parameter: '%zz' });
  raw('%=%&%%=1', rawGet('/api/v1/iocs?%=%&%%=1'), 400, 'problem', { code: 'invalid_parameter' });
  for (const target of ['/api/v1/%', '/api/v1/iocs/%zz', '/api/v1/iocs/%', '/api/v1/iocs/%E0%A4%A', '/api/v1/iocs/%C0%AF', '/api/v1/iocs/%ED%A0%80', '/%', '/api/v1/iocs/indicator--%GG']) {
    raw(`path ${target}`, rawGet(target), 400, 'problem', { code: 'bad_url' });
  }

  // --- raw bytes: NUL and control bytes ---------------------------------------------------------------------
  raw('q=%00', rawGet('/api/v1/iocs?q=%00'), 400, 'problem', { parameter: 'q' });
  raw('q=a%00b', rawGet('/api/v1/iocs?q=a%00b'), 400, 'problem', { parameter: 'q' });
  raw('id %00', rawGet('/api/v1/iocs/%00'), 400, 'problem', { parameter: 'id' });
  raw('NUL after the path', rawGet('/api/v1/iocs\u0000'), 400, 'parser');
  raw('NUL inside the path', rawGet('/api/v1/io\u0000cs'), 400, 'parser');
  raw('NUL inside the query', rawGet('/api/v1/iocs?q=1.2.3.4\u0000'), 400, 'parser');
  raw('raw 0xFF in the path', rawGet('/api/v1/iocs/\u00ff\u00fe'), 400, 'parser');
  raw('raw 0xFF in the query', rawGet('/api/v1/iocs?q=\u00ff'), 400, 'parser');
  raw('control byte in a header value', rawGet('/api/v1/iocs', `${RAW_AUTH}X-Test: a\u0001b\r\n`), 400, 'parser');
  raw('NUL in a header value', rawGet('/api/v1/iocs', `X-Test: a\u0000b\r\n`), 400, 'parser');
  raw('DEL in a header value', rawGet('/api/v1/iocs', `X-Test: a\u007fb\r\n`), 400, 'parser');
  raw('space in a header name', rawGet('/api/v1/iocs', 'Bad Header: y\r\n'), 400, 'parser');
  raw('header without a colon', rawGet('/api/v1/iocs', 'NoColonHere\r\n'), 400, 'parser');
  raw('obs-fold continuation line', rawGet('/api/v1/iocs', `${RAW_AUTH} folded: x\r\n`), 400, 'parser');
  raw('bare CR in a header value', rawGet('/api/v1/iocs', 'X-Test: a\rb\r\n'), 400, 'parser');
  raw('0xFF bytes in the Authorization header', rawGet('/api/v1/iocs', 'Authorization: Bearer \u00ff\u00fe\r\n'), 401, 'problem', { code: 'unauthorized' });
  raw('UTF-8 emoji in the Authorization header', Buffer.from(`GET /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk_live_💥💥💥💥💥💥💥💥💥💥💥💥💥💥💥💥\r\nConnection: close\r\n\r\n`, 'utf8'), 401, 'problem', { code: 'unauthorized' });
  raw('two Authorization headers', rawGet('/api/v1/iocs', 'Authorization: Bearer x\r\nAuthorization: Bearer y\r\n'), 401, 'problem', { code: 'unauthorized' });

  // --- raw bytes: absurd methods ---------------------------------------------------------------------------
  for (const method of ['FOO', 'GETT', 'get', 'G ET', 'BREW', 'A'.repeat(5000), 'GET\u0000', '\u00e9T']) {
    raw(`method ${JSON.stringify(method.slice(0, 20))}`, `${method} /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 400, 'parser');
  }

  // --- raw bytes: very long URLs and header floods (Node's 16 KB header limit) -------------------------------
  raw('64 KB path', rawGet(`/${'a'.repeat(64 * 1024)}`), 431, 'parser');
  raw('64 KB query', rawGet(`/api/v1/iocs?q=${'a'.repeat(64 * 1024)}`), 431, 'parser');
  raw('64 KB id', rawGet(`/api/v1/iocs/${'a'.repeat(64 * 1024)}`), 431, 'parser');
  raw('64 KB of unknown parameters', rawGet(`/api/v1/iocs?${Array.from({ length: 8000 }, (_, i) => `p${i}=1`).join('&')}`), 431, 'parser');
  raw('64 KB header', rawGet('/api/v1/iocs', `X-Big: ${'a'.repeat(64 * 1024)}\r\n`), 431, 'parser');
  raw('64 KB Authorization', rawGet('/api/v1/iocs', `Authorization: Bearer ${'a'.repeat(64 * 1024)}\r\n`), 431, 'parser');
  raw('flood of 5000 headers', rawGet('/api/v1/iocs', Array.from({ length: 5000 }, (_, i) => `X-H${i}: v\r\n`).join('')), 431, 'parser');
  // Under the byte limit but over Node's 2000-header count: the extra headers are dropped, the request is judged.
  raw('2500 tiny headers', rawGet('/api/v1/iocs', Array.from({ length: 2500 }, () => 'a:1\r\n').join('')), 401, 'problem', { code: 'unauthorized' });
  raw('300 Cookie headers', rawGet('/api/v1/iocs?limit=0', `${RAW_AUTH}${Array.from({ length: 300 }, (_, i) => `Cookie: c${i}=${i}\r\n`).join('')}`), 400, 'problem', { parameter: 'limit' });

  // --- raw bytes: bad HTTP syntax --------------------------------------------------------------------------
  const syntax: Array<[string, string, number]> = [
    ['garbage line', 'GARBAGE\r\n\r\n', 400],
    ['HTTP/9.9', 'GET /api/v1/iocs HTTP/9.9\r\nHost: localhost\r\n\r\n', 400],
    ['HTTX/1.1', 'GET /api/v1/iocs HTTX/1.1\r\nHost: localhost\r\n\r\n', 400],
    ['target without a slash', 'GET api/v1/iocs HTTP/1.1\r\nHost: localhost\r\n\r\n', 400],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
    ['TLS ClientHello', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003', 400],
    ['LF-only line ends', 'GET /api/v1/iocs HTTP/1.1\nHost: localhost\nConnection: close\n\n', 400],
    ['missing Host', 'GET /api/v1/iocs HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
    ['Content-Length: abc', 'POST /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n', 400],
    ['Content-Length: -1', 'POST /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n', 400],
    ['two different Content-Lengths', 'POST /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
    ['Content-Length with Transfer-Encoding', 'POST /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['bad chunk size', 'POST /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400],
    ['Transfer-Encoding: gzip, chunked, x', 'POST /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, x\r\n\r\n0\r\n\r\n', 400],
    ['space before the colon', 'GET /api/v1/iocs HTTP/1.1\r\nHost : localhost\r\n\r\n', 400],
    ['empty request line', '\r\n\r\n\r\n\r\nX\r\n\r\n', 400],
  ];
  for (const [name, bytes, status] of syntax) raw(`syntax: ${name}`, bytes, status, 'parser');
  // A broken second chunk: the first chunk is well formed and the route's guard answers (no key: a 401 problem) before
  // the body is read, so the broken chunk is never parsed.
  raw('syntax: bad second chunk', 'POST /api/v1/iocs HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n', 401, 'problem');
  // Node answers an unknown expectation itself, with an empty body.
  raw('Expect: 999-weird', rawGet('/api/v1/iocs', 'Expect: 999-weird\r\n'), 417, 'parser');
  // A request line without a version is read as HTTP/1.0 and judged by the app.
  raw('no HTTP version', 'GET /api/v1/iocs\r\nHost: localhost\r\n\r\n', 401, 'problem', { code: 'unauthorized' });

  return cases;
}

interface Outcome {
  status: number | undefined;
  contentType: string;
  wwwAuthenticate: string | undefined;
  body: string;
}

async function send(server: Server, c: Case): Promise<Outcome> {
  if (c.send.via === 'raw') {
    const a = await rawRequest(server.port, c.send.bytes);
    return { status: a.status, contentType: a.headers['content-type'] ?? '', wwwAuthenticate: a.headers['www-authenticate'], body: a.body };
  }
  const init: RequestInit = { method: c.send.method, redirect: 'manual' };
  if (c.send.headers) init.headers = c.send.headers;
  if (c.send.body !== undefined) init.body = c.send.body;
  const res = await fetch(server.base + c.send.path, init);
  const body = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined, body };
}

/** Every way the answer to `c` falls short; empty when it is right. */
function judge(c: Case, o: Outcome, method: string): string[] {
  const wrong: string[] = [];
  if (o.status === undefined) return ['no HTTP answer at all'];
  if (o.status >= 500) wrong.push(`a 5xx: ${o.status} ${o.body.slice(0, 200)}`);
  if (o.status < 400 || o.status > 499) wrong.push(`not a 4xx: ${o.status}`);
  if (o.status !== c.status) wrong.push(`status ${o.status}, expected ${c.status}: ${o.body.slice(0, 200)}`);
  if (o.status === 401 && !(o.wwwAuthenticate && /Bearer/.test(o.wwwAuthenticate) && /Basic/.test(o.wwwAuthenticate))) {
    wrong.push(`401 without a WWW-Authenticate naming Bearer and Basic: ${String(o.wwwAuthenticate)}`);
  }
  const parse = (): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(o.body);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
      wrong.push(`body is JSON but not an object: ${o.body.slice(0, 200)}`);
    } catch {
      wrong.push(`body is not JSON: ${JSON.stringify(o.body.slice(0, 200))}`);
    }
    return undefined;
  };
  if (c.kind === 'problem') {
    if (!o.contentType.startsWith('application/problem+json')) wrong.push(`content-type ${JSON.stringify(o.contentType)}`);
    if (method === 'HEAD') {
      if (o.body !== '') wrong.push('a body on HEAD');
      return wrong;
    }
    const p = parse();
    if (p) {
      if (p.status !== o.status) wrong.push(`problem.status ${String(p.status)} ≠ HTTP ${o.status}`);
      if (typeof p.code !== 'string' || p.code === '') wrong.push('problem.code is not a string');
      if (typeof p.detail !== 'string' || p.detail === '') wrong.push('problem.detail is not a string');
      if (typeof p.title !== 'string') wrong.push('problem.title is not a string');
      if (c.code !== undefined && p.code !== c.code) wrong.push(`problem.code ${String(p.code)}, expected ${c.code}`);
      if (c.parameter !== undefined && p.parameter !== c.parameter) wrong.push(`problem.parameter ${JSON.stringify(p.parameter)}, expected ${JSON.stringify(c.parameter)}`);
    }
  } else if (o.body !== '') {
    if (!o.contentType.startsWith('application/json')) wrong.push(`content-type ${JSON.stringify(o.contentType)}`);
    const p = parse();
    if (p && p.statusCode !== o.status) wrong.push(`statusCode ${String(p.statusCode)} ≠ HTTP ${o.status}`);
  }
  return wrong;
}

const methodOf = (c: Case) => (c.send.via === 'fetch' ? c.send.method : '');

async function getJson(server: Server, path: string, headers: Record<string, string>) {
  const res = await fetch(server.base + path, { headers });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe('hostile requests against the listening server', () => {
  let server: Server;
  let keys: Keys;

  before(async () => {
    server = await startServer((config) => {
      config.plans.pro.rateLimit.max = 1e6;
      config.plans.free.rateLimit.max = 1e6;
      config.anonymousRateLimit.max = 1e6;
    });
    await seed(server.store);
    const pro = await issueKey(server.store, 'pro@example.com', 'pro', null);
    const revoked = await issueKey(server.store, 'revoked@example.com', 'pro', null);
    assert.ok(await server.store.revokeApiKey(revoked.prefix, Date.now()));
    const first = await getJson(server, '/api/v1/iocs?limit=1', { authorization: `Bearer ${pro.key}` });
    assert.equal(first.res.status, 200);
    const pagination = first.body.pagination as { next_cursor: string | null };
    assert.ok(pagination.next_cursor, 'three seeded IOCs and limit=1 give a cursor');
    const data = first.body.data as Array<{ id: string; value: string }>;
    assert.equal(data[0]?.value, SEEDED);
    keys = { pro: pro.key, revoked: revoked.key, cursor: pagination.next_cursor, knownId: data[0]!.id };
  });

  after(async () => {
    await server.app.close();
    await server.store.close();
  });

  it('200+ malformed or hostile requests: every one a 4xx (JSON problem when the app answers), none a 5xx', async (t) => {
    const cases = buildCases(keys);
    assert.ok(cases.length >= 200, `${cases.length} requests`);
    t.diagnostic(`${cases.length} requests: ${cases.filter((c) => c.send.via === 'fetch').length} by fetch, ${cases.filter((c) => c.send.via === 'raw').length} on raw sockets`);
    const fingerprint = (c: Case) => JSON.stringify(c.send);
    assert.equal(new Set(cases.map(fingerprint)).size, cases.length, 'every request is distinct');

    const failures: string[] = [];
    for (const c of cases) {
      let outcome: Outcome;
      try {
        outcome = await send(server, c);
      } catch (err) {
        failures.push(`${c.name}: no answer (${(err as Error).message})`);
        continue;
      }
      const wrong = judge(c, outcome, methodOf(c));
      if (wrong.length) failures.push(`${c.name}: ${wrong.join('; ')}`);
    }
    assert.deepEqual(failures, []);

    // The server still serves, and still serves the right data.
    const after = await getJson(server, '/api/v1/iocs', { authorization: `Bearer ${keys.pro}` });
    assert.equal(after.res.status, 200);
    const values = (after.body.data as Array<{ value: string; tags: string[]; sectors: string[] }>).map((i) => i.value);
    assert.deepEqual(values, [SEEDED, '203.0.113.8', '203.0.113.9']);
    const one = await getJson(server, `/api/v1/iocs?q=${SEEDED}`, { authorization: `Bearer ${keys.pro}` });
    assert.deepEqual(
      (one.body.data as Array<Record<string, unknown>>).map((i) => [i.value, i.tags, i.sectors]),
      [[SEEDED, ['c2'], ['energy']]],
    );
    const health = await fetch(`${server.base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    // A raw client too: the listener accepts and answers new connections after the parser-level refusals.
    const rawAfter = await rawRequest(server.port, `GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    assert.equal(rawAfter.status, 200);
  });

  it('a free key may use REST, and the valid cursor works with the filters it was made for', async () => {
    const free = await issueKey(server.store, 'free@example.com', 'free', null);
    const page = await getJson(server, `/api/v1/iocs?cursor=${encodeURIComponent(keys.cursor)}`, { authorization: `Basic ${b64(`FREE@example.com:${free.key}`)}` });
    assert.equal(page.res.status, 200);
    assert.deepEqual((page.body.data as Array<{ value: string }>).map((i) => i.value), ['203.0.113.8', '203.0.113.9']);
    const detail = await getJson(server, `/api/v1/iocs/${keys.knownId.toUpperCase()}`, { authorization: `Bearer ${free.key}` });
    assert.equal(detail.res.status, 200);
    assert.equal(detail.body.value, SEEDED);
  });

});

describe('rate limiting', () => {
  let server: Server;

  before(async () => {
    server = await startServer((config) => {
      config.plans.free.rateLimit = { max: 3, windowMs: 60_000 };
      config.plans.pro.rateLimit = { max: 1e6, windowMs: 60_000 };
      config.anonymousRateLimit = { max: 2, windowMs: 60_000 };
    });
    await seed(server.store);
  });

  after(async () => {
    await server.app.close();
    await server.store.close();
  });

  it('the 4th request of a free key in the window is a 429 problem with Retry-After and RateLimit headers', async () => {
    const free = await issueKey(server.store, 'free@example.com', 'free', null);
    const auth = { authorization: `Bearer ${free.key}` };
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`${server.base}/api/v1/iocs`, { headers: auth });
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal(res.headers.get('ratelimit-limit'), '3');
      assert.equal(res.headers.get('ratelimit-remaining'), String(3 - i));
      await res.arrayBuffer();
    }
    const res = await fetch(`${server.base}/api/v1/iocs`, { headers: auth });
    assert.equal(res.status, 429);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${res.headers.get('retry-after')}`);
    assert.equal(res.headers.get('ratelimit-limit'), '3');
    assert.equal(res.headers.get('ratelimit-remaining'), '0');
    const reset = Number(res.headers.get('ratelimit-reset'));
    assert.ok(Number.isInteger(reset) && reset >= 0 && reset <= 60, `ratelimit-reset ${res.headers.get('ratelimit-reset')}`);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 429);
    assert.equal(body.code, 'rate_limited');
    assert.equal(typeof body.detail, 'string');
    assert.match(body.detail as string, /rate limit of 3 requests exceeded/);

    // Per key, not per address: another free key and a pro key from the same address still get through.
    const other = await issueKey(server.store, 'other@example.com', 'free', null);
    const res2 = await fetch(`${server.base}/api/v1/iocs`, { headers: { authorization: `Bearer ${other.key}` } });
    assert.equal(res2.status, 200);
    assert.equal(res2.headers.get('ratelimit-remaining'), '2');
    await res2.arrayBuffer();
    const pro = await issueKey(server.store, 'pro@example.com', 'pro', null);
    const res3 = await fetch(`${server.base}/api/v1/iocs`, { headers: { authorization: `Bearer ${pro.key}` } });
    assert.equal(res3.status, 200);
    await res3.arrayBuffer();
    // Health checks are never limited.
    assert.equal((await fetch(`${server.base}/healthz`)).status, 200);
  });

  it('requests without a valid key: 401 with WWW-Authenticate, counted per address, then 429', async () => {
    for (let i = 1; i <= 2; i++) {
      const res = await fetch(`${server.base}/api/v1/iocs`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(res.status, 401, `request ${i}`);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="socd", Basic realm="socd", charset="UTF-8"');
      assert.equal(res.headers.get('ratelimit-limit'), '2');
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual([body.status, body.code], [401, 'unauthorized']);
      assert.match(body.detail as string, /invalid API key/);
    }
    const res = await fetch(`${server.base}/api/v1/iocs`);
    assert.equal(res.status, 429);
    assert.ok(res.headers.get('retry-after'));
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual([body.status, body.code], [429, 'rate_limited']);
  });
});
