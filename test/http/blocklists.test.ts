import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * Issue 17 §1: GET /api/v1/blocklists/{type}.txt through a listening server — every type and format, the REST
 * filters, limit by score, ETag/Last-Modified with 304, gzip, Basic auth, 400 problems, hostile values skipped and
 * counted. Expected lists are derived from GET /api/v1/iocs (the same data through the JSON API), not written out.
 */
describe('blocklists through a listening server', () => {
  let srv: TestServer;
  let key: string;
  const T0 = Date.UTC(2026, 0, 1);
  const auth = () => ({ authorization: `Bearer ${key}` });
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${srv.base}/api/v1/blocklists/${path}`, { headers: { ...auth(), 'accept-encoding': 'identity', ...headers } });
    return { res, status: res.status, text: await res.text() };
  };
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  /** The active IOCs of some types under REST filters, with their scores, from the JSON API. */
  const rest = async (query: string): Promise<Array<{ value: string; score: number; type: string }>> => {
    const out: Array<{ value: string; score: number; type: string }> = [];
    let cursor: string | null = null;
    do {
      const res = await fetch(`${srv.base}/api/v1/iocs?limit=1000&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: auth() });
      const body = (await res.json()) as { data: Array<{ value: string; score: number; type: string }>; pagination: { next_cursor: string | null } };
      out.push(...body.data);
      cursor = body.pagination.next_cursor;
    } while (cursor);
    return out;
  };
  /** `served` is `expected` highest score first: same values, scores never rising. */
  const assertByScore = (served: string[], expected: Array<{ value: string; score: number }>) => {
    assert.deepEqual([...served].sort(), expected.map((e) => e.value).sort());
    const score = new Map(expected.map((e) => [e.value, e.score]));
    for (let i = 1; i < served.length; i++) assert.ok(score.get(served[i - 1]!)! >= score.get(served[i]!)!, `${served[i - 1]} before ${served[i]}`);
  };

  before(async () => {
    srv = await startServer();
    key = await srv.keyFor('free@example.com', 'free');
    await srv.store.upsertSource(source({ id: 'feed-a', reliability: 0.9 }));
    await srv.store.upsertSource(source({ id: 'feed-b', reliability: 0.3 }));
    const a = [];
    for (let i = 0; i < 30; i++) a.push(observation({ type: 'ipv4', value: `198.51.100.${i}`, confidence: 40 + i * 2, sectors: i % 3 === 0 ? ['energy'] : [] }));
    a.push(
      observation({ type: 'ipv4', value: '203.0.113.0/24', confidence: 95 }),
      observation({ type: 'ipv6', value: '2001:db8::1', confidence: 99 }),
      observation({ type: 'ipv6', value: '2001:db8:0:1::/64', confidence: 10 }),
      observation({ type: 'domain', value: 'evil.example', confidence: 90 }),
      observation({ type: 'domain', value: 'a_b.evil.example', confidence: 50 }),
      // 4 labels of 63: 255 characters with the dots, too long for any zone (and for PAN-OS's 255).
      observation({ type: 'domain', value: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.ex` }),
      observation({ type: 'url', value: 'https://evil.example/x?y=1', confidence: 80 }),
      observation({ type: 'url', value: 'http://evil.example/a*b', confidence: 70 }),
      observation({ type: 'url', value: 'http://evil.example/^caret', confidence: 60 }),
      observation({ type: 'url', value: 'http://evil.example/\u00e9t\u00e9', confidence: 55 }),
      observation({ type: 'url', value: 'http://evil.example/\u202egnp.exe', confidence: 52 }),
      observation({ type: 'url', value: 'ftp://evil.example/drop', confidence: 50 }),
      observation({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }),
      observation({ type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' }),
      observation({ type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
      observation({ type: 'cve', value: 'CVE-2024-3094' }),
    );
    await srv.store.upsertObservations('feed-a', a, T0);
    await srv.store.upsertObservations('feed-b', [
      observation({ type: 'ipv4', value: '192.0.2.1', confidence: 20 }),
      observation({ type: 'domain', value: 'low.example', confidence: 20 }),
    ], T0 + 86_400_000);
    // A revoked IOC is never listed.
    const [gone] = await rest('q=198.51.100.29');
    const id = ((await (await fetch(`${srv.base}/api/v1/iocs?q=198.51.100.29`, { headers: auth() })).json()) as { data: Array<{ id: string }> }).data[0]!.id;
    assert.ok(gone);
    await srv.store.revokeIocs([id], T0 + 2 * 86_400_000);
  });
  after(() => srv.close());

  it('lists every type, one canonical value a line, active IOCs only, highest score first', async () => {
    for (const [type, iocTypes] of [['ipv4', 'ipv4'], ['ipv6', 'ipv6'], ['ip', 'ipv4,ipv6'], ['domain', 'domain'], ['md5', 'md5'], ['sha1', 'sha1'], ['sha256', 'sha256']] as const) {
      const { status, res, text } = await get(`${type}.txt`);
      assert.equal(status, 200, type);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.ok(text.endsWith('\n'), type);
      assertByScore(lines(text), await rest(`type=${iocTypes}`));
      assert.equal(res.headers.get('x-blocklist-skipped'), '0', type);
    }
    assert.ok(!lines((await get('ipv4.txt')).text).includes('198.51.100.29'), 'revoked');
    // URLs: the one with a bidi override is skipped (it would not read as it is); UTF-8 stays.
    const url = await get('url.txt');
    const urls = (await rest('type=url')).filter((u) => !u.value.includes('\u202e'));
    assertByScore(lines(url.text), urls);
    assert.equal(url.res.headers.get('x-blocklist-skipped'), '1');
  });

  it('applies the REST filters and keeps the highest scores under limit', async () => {
    for (const q of ['confidence=high', 'confidence=low', 'source=feed-b', 'industry=energy', `since=${new Date(T0 + 1000).toISOString()}`]) {
      assertByScore(lines((await get(`ip.txt?${q}`)).text), await rest(`type=ipv4,ipv6&${q}`));
    }
    const all = await rest('type=ipv4,ipv6');
    for (const limit of [1, 3, 10]) {
      const served = lines((await get(`ip.txt?limit=${limit}`)).text);
      assert.equal(served.length, limit);
      const kept = all.filter((e) => served.includes(e.value));
      const left = all.filter((e) => !served.includes(e.value));
      assert.ok(Math.min(...kept.map((e) => e.score)) >= Math.max(...left.map((e) => e.score)), `limit=${limit}`);
    }
    // Both families compete for the limit: the IPv6 address scored highest.
    const top = (await rest('type=ipv4,ipv6')).sort((x, y) => y.score - x.score)[0]!;
    assert.deepEqual(lines((await get('ip.txt?limit=1')).text), [top.value]);
  });

  it('Palo Alto EDL: URLs without the scheme, wildcard characters skipped, domains and their *. form', async () => {
    const url = await get('url.txt?format=paloalto');
    const served = lines(url.text);
    assert.ok(served.includes('evil.example/x?y=1'));
    for (const l of served) {
      assert.doesNotMatch(l, /^[a-z]+:\/\//, 'no scheme');
      assert.doesNotMatch(l, /[*^]/, 'no wildcard token');
      assert.ok(l.length <= 255);
    }
    // a*b, ^caret, é (not ASCII), the bidi override, ftp://: five skipped.
    assert.equal(url.res.headers.get('x-blocklist-skipped'), '5');
    const domains = await get('domain.txt?format=paloalto&subdomains=true');
    const d = lines(domains.text);
    assert.ok(d.includes('evil.example') && d.includes('*.evil.example'));
    assert.ok(d.every((l) => l.length <= 255 && !l.includes('^')));
    assert.equal(domains.res.headers.get('x-blocklist-skipped'), '1', 'the 255-character domain with its *. prefix');
    assert.equal(lines((await get('domain.txt?format=paloalto')).text).some((l) => l.startsWith('*.')), false);
    const ips = lines((await get('ip.txt?format=paloalto')).text);
    assert.ok(ips.includes('203.0.113.0/24') && ips.includes('2001:db8::1'));
    assert.equal((await get('md5.txt?format=paloalto')).status, 400);
  });

  it('FortiGate threat feeds: IPs and networks, domains, URLs without *, malware hashes', async () => {
    const ips = lines((await get('ip.txt?format=fortigate')).text);
    assert.ok(ips.includes('203.0.113.0/24'));
    for (const t of ['md5', 'sha1', 'sha256']) assert.match((await get(`${t}.txt?format=fortigate`)).text, /^[0-9a-f]{32,64}\n$/);
    const url = await get('url.txt?format=fortigate');
    assert.ok(lines(url.text).includes('https://evil.example/x?y=1'));
    assert.ok(lines(url.text).every((l) => !l.includes('*') && !l.startsWith('#')));
    assert.equal(url.res.headers.get('x-blocklist-skipped'), '3', 'a*b, é, the bidi override');
    assert.ok(lines((await get('domain.txt?format=fortigate&subdomains=true')).text).includes('*.evil.example'));
  });

  it('pfBlockerNG / IP sets: addresses and CIDR networks, one a line', async () => {
    const { text } = await get('ip.txt?format=pfblockerng');
    assertByScore(lines(text), await rest('type=ipv4,ipv6'));
    assert.ok(lines(text).includes('2001:db8:0:1::/64'));
    assert.equal((await get('url.txt?format=pfblockerng')).status, 400);
  });

  it('RPZ: a zone file with SOA and NS, name CNAME . entries, rpz-ip triggers, wildcards as an option, over-long names skipped', async () => {
    const { text, res } = await get('domain.txt?format=rpz&zone=rpz.example.org&subdomains=true');
    const l = lines(text);
    assert.equal(l[0], '$TTL 300');
    assert.equal(l[1], '$ORIGIN rpz.example.org.');
    assert.match(l[2]!, /^@ IN SOA localhost\. hostmaster\.localhost\. \d+ 3600 600 864000 300$/);
    assert.equal(l[3], '@ IN NS localhost.');
    const records = l.slice(4);
    assert.ok(records.includes('evil.example CNAME .') && records.includes('*.evil.example CNAME .'));
    assert.ok(records.includes('a_b.evil.example CNAME .'));
    for (const r of records) {
      // RFC 1035 §5.1 master file: owner, type, target; each label ≤ 63 octets, the name with the zone ≤ 255.
      const m = /^(\S+) CNAME \.$/.exec(r);
      assert.ok(m, r);
      assert.ok(m[1]!.split('.').every((label) => label.length >= 1 && label.length <= 63 && /^(\*|[a-z0-9_-]+)$/.test(label)), r);
      assert.ok(m[1]!.length + 'rpz.example.org.'.length + 2 <= 255, r);
    }
    assert.equal(res.headers.get('x-blocklist-skipped'), '1');
    const ip = lines((await get('ip.txt?format=rpz')).text);
    assert.ok(ip.includes('32.1.100.51.198.rpz-ip CNAME .'));
    assert.ok(ip.includes('24.0.113.0.203.rpz-ip CNAME .'));
    assert.ok(ip.includes('128.1.zz.db8.2001.rpz-ip CNAME .'));
    assert.ok(ip.includes('64.zz.1.0.db8.2001.rpz-ip CNAME .'));
    // The serial follows the data: a later change raises it.
    assert.equal((await get('url.txt?format=rpz')).status, 400);
  });

  it('Suricata IP reputation: ip,category,score with scores 1–127 and the category asked for', async () => {
    const { text } = await get('ip.txt?format=suricata&category=7');
    const all = await rest('type=ipv4,ipv6');
    const score = new Map(all.map((e) => [e.value, e.score]));
    const served = lines(text);
    assert.equal(served.length, all.length);
    for (const l of served) {
      const m = /^([^,]+),7,(\d+)$/.exec(l);
      assert.ok(m, l);
      const rep = Number(m[2]);
      assert.ok(rep >= 1 && rep <= 127, l);
      assert.equal(rep, Math.max(1, Math.round((score.get(m[1]!)! * 127) / 100)), l);
    }
    assert.equal((await get('domain.txt?format=suricata')).status, 400);
  });

  it('ETag and Last-Modified: 304 on a match, a new tag after a change, weak or gzip forms of the tag match too', async () => {
    const first = await get('ip.txt?limit=5');
    const etag = first.res.headers.get('etag')!;
    assert.match(etag, /^"[^"]+"$/, 'strong');
    const lastModified = first.res.headers.get('last-modified')!;
    assert.ok(Date.parse(lastModified) > 0);
    const again = await get('ip.txt?limit=5');
    assert.equal(again.res.headers.get('etag'), etag, 'the same query on the same data');
    assert.notEqual((await get('ip.txt?limit=6')).res.headers.get('etag'), etag, 'another query');
    assert.notEqual((await get('ip.txt?limit=5&format=pfblockerng')).res.headers.get('etag'), etag, 'another format');

    const head = await fetch(`${srv.base}/api/v1/blocklists/ip.txt?limit=5`, { method: 'HEAD', headers: { ...auth(), 'accept-encoding': 'identity' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('etag'), etag);
    assert.equal(await head.text(), '');
    const notModified = await get('ip.txt?limit=5', { 'if-none-match': etag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.text, '');
    assert.equal(notModified.res.headers.get('etag'), etag);
    assert.equal((await get('ip.txt?limit=5', { 'if-none-match': `"other", W/${etag}` })).status, 304);
    assert.equal((await get('ip.txt?limit=5', { 'if-none-match': '"other"' })).status, 200);
    assert.equal((await get('ip.txt?limit=5', { 'if-modified-since': lastModified })).status, 304);
    assert.equal((await get('ip.txt?limit=5', { 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() })).status, 200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    assert.equal((await get('ip.txt?limit=5', { 'if-none-match': '"other"', 'if-modified-since': lastModified })).status, 200);

    await srv.store.upsertObservations('feed-a', [observation({ type: 'ipv4', value: '198.51.100.200', confidence: 100 })], T0 + 3 * 86_400_000);
    const changed = await get('ip.txt?limit=5', { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.res.headers.get('etag'), etag);
    assert.ok(lines(changed.text).includes('198.51.100.200'));
    assert.ok(Date.parse(changed.res.headers.get('last-modified')!) >= Date.parse(lastModified));
  });

  it('gzips when the client accepts it, with its own strong tag; either tag gets a 304', async () => {
    const plain = await get('ip.txt');
    const res = await new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(`${srv.base}/api/v1/blocklists/ip.txt`, { headers: { ...auth(), 'accept-encoding': 'gzip' } }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(res.body).toString('utf8'), plain.text);
    const gzTag = res.headers.etag as string;
    assert.notEqual(gzTag, plain.res.headers.get('etag'));
    assert.equal((await get('ip.txt', { 'if-none-match': gzTag })).status, 304);
    assert.equal((await get('ip.txt', { 'if-none-match': plain.res.headers.get('etag')!, 'accept-encoding': 'gzip' })).status, 304);
  });

  it('takes HTTP Basic (email:key) as devices send it; no key is a 401', async () => {
    const basic = `Basic ${Buffer.from(`free@example.com:${key}`).toString('base64')}`;
    const res = await fetch(`${srv.base}/api/v1/blocklists/ipv4.txt`, { headers: { authorization: basic } });
    assert.equal(res.status, 200);
    assert.ok((await res.text()).includes('203.0.113.0/24'));
    const none = await fetch(`${srv.base}/api/v1/blocklists/ipv4.txt`);
    assert.equal(none.status, 401);
  });

  it('answers bad parameters with a 400 problem naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['ipv5.txt', 'type'], ['cve.txt', 'type'], ['ip.txt?format=bind', 'format'], ['sha1.txt?format=rpz', 'format'],
      ['ip.txt?limit=0', 'limit'], ['ip.txt?limit=lots', 'limit'], ['ip.txt?confidence=very', 'confidence'], ['ip.txt?industry=banking', 'industry'],
      ['ip.txt?since=yesterday', 'since'], ['ip.txt?source=Bad%20Source', 'source'], ['ip.txt?type=ipv4', 'type'], ['ip.txt?cursor=x', 'cursor'],
      ['domain.txt?format=rpz&zone=bad%20zone', 'zone'], ['ip.txt?format=suricata&category=61', 'category'], ['domain.txt?subdomains=maybe', 'subdomains'],
      ['ip.txt?format=rpz&format=plain', 'format'],
    ];
    for (const [path, parameter] of cases) {
      const { status, res, text } = await get(path);
      assert.equal(status, 400, path);
      assert.match(res.headers.get('content-type')!, /^application\/problem\+json/, path);
      const body = JSON.parse(text) as { code: string; parameter: string };
      assert.equal(body.code, 'invalid_parameter', path);
      assert.equal(body.parameter, parameter, path);
    }
  });

  it('a long list streams, its skipped count then a trailer', async () => {
    const many = [];
    for (let i = 0; i < 6000; i++) many.push(observation({ type: 'ipv4', value: `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 7)}` }));
    many.push(observation({ type: 'url', value: 'http://bulk.example/a*b' }));
    for (let i = 0; i < 6000; i++) many.push(observation({ type: 'url', value: `http://bulk.example/${i}/${'x'.repeat(20)}` }));
    await srv.store.upsertObservations('feed-b', many, T0 + 4 * 86_400_000);
    const res = await new Promise<{ headers: Record<string, string | string[] | undefined>; trailers: Record<string, string | undefined>; body: string }>((resolve, reject) => {
      const req = httpRequest(`${srv.base}/api/v1/blocklists/url.txt?format=paloalto`, { headers: auth() }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve({ headers: r.headers, trailers: r.trailers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.headers['x-blocklist-skipped'], undefined);
    assert.match(String(res.headers.trailer), /x-blocklist-skipped/i);
    assert.equal(res.trailers['x-blocklist-skipped'], '6', 'the five of the seed and bulk a*b');
    assert.equal(lines(res.body).length, 6000 + 1);
    // Compressed, the same list and the same trailer.
    const gz = await new Promise<{ headers: Record<string, string | string[] | undefined>; trailers: Record<string, string | undefined>; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(`${srv.base}/api/v1/blocklists/url.txt?format=paloalto`, { headers: { ...auth(), 'accept-encoding': 'gzip' } }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => resolve({ headers: r.headers, trailers: r.trailers, body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.trailers['x-blocklist-skipped'], '6');
    assert.equal(gunzipSync(gz.body).toString('utf8'), res.body);
  });
});
