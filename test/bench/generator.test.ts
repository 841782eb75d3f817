import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { IOC_TYPES, type IocType } from '../../src/domain/ioc-types.js';
import { SECTORS } from '../../src/domain/sectors.js';
import { normalize } from '../../src/domain/normalize.js';
import {
  CAPACITY,
  CSV_HEADER,
  DEFAULT_MIX,
  Permutation,
  WINDOW_DAYS,
  csvField,
  formatIpv6,
  generateIocs,
  toCsvRow,
  toNdjsonRow,
  type SyntheticIoc,
} from '../../bench/generator.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const BIG = 200_000;

function take(opts: Parameters<typeof generateIocs>[0]): SyntheticIoc[] {
  return [...generateIocs(opts)];
}

/** One shared 200 000-item set for the (read-only) checks below. */
const big = take({ count: BIG, seed: 42, now: NOW });
const byType = new Map<IocType, SyntheticIoc[]>(IOC_TYPES.map((t) => [t, []]));
for (const ioc of big) byType.get(ioc.type)!.push(ioc);

describe('generateIocs: determinism', () => {
  it('same seed → identical first 1000 items', () => {
    const a = take({ count: 1000, seed: 7, now: NOW });
    const b = take({ count: 1000, seed: 7, now: NOW });
    assert.deepEqual(a, b);
    // a prefix of a longer run is the same sequence
    assert.deepEqual(take({ count: 5000, seed: 7, now: NOW }).slice(0, 1000), a);
  });

  it('different seed → different items', () => {
    const a = take({ count: 1000, seed: 7, now: NOW });
    const b = take({ count: 1000, seed: 8, now: NOW });
    assert.notDeepEqual(a, b);
    const valuesA = new Set(a.map((x) => x.value));
    const shared = b.filter((x) => valuesA.has(x.value)).length;
    assert.ok(shared < 10, `${shared} values shared between seeds 7 and 8`);
  });

  it('default now is stable within a day (same seed → same output)', () => {
    assert.deepEqual(take({ count: 200, seed: 3 }), take({ count: 200, seed: 3 }));
  });

  it('rejects bad options', () => {
    assert.throws(() => take({ count: -1 }), RangeError);
    assert.throws(() => take({ count: 1.5 }), RangeError);
    assert.throws(() => take({ count: 1, mix: {} }), RangeError);
    assert.throws(() => take({ count: 1, mix: { ipv4: -1 } }), RangeError);
    assert.throws(() => take({ count: 1, mix: { bogus: 1 } as never }), RangeError);
    assert.deepEqual(take({ count: 0 }), []);
  });
});

describe('generateIocs: uniqueness', () => {
  it(`all ${BIG} values are distinct`, () => {
    assert.equal(new Set(big.map((x) => x.value)).size, BIG);
  });

  for (const type of IOC_TYPES) {
    it(`100 000 ${type} values alone are distinct`, () => {
      const values = take({ count: 100_000, seed: 99, now: NOW, mix: { [type]: 1 } }).map((x) => x.value);
      assert.equal(new Set(values).size, values.length);
    });
  }

  it('value spaces hold well over 10 M per type', () => {
    for (const type of IOC_TYPES) assert.ok(CAPACITY[type] > 10_000_000, type);
  });
});

describe('Permutation', () => {
  for (const size of [1, 2, 3, 7, 1000, 1024, 65_537, 250_000]) {
    it(`is a bijection on [0, ${size})`, () => {
      const p = new Permutation(size, 12345);
      const hit = new Uint8Array(size);
      for (let i = 0; i < size; i += 1) {
        const y = p.apply(i);
        assert.ok(y >= 0 && y < size && Number.isInteger(y));
        assert.equal(hit[y], 0, `collision at ${y}`);
        hit[y] = 1;
      }
    });
  }
});

describe('generateIocs: mix', () => {
  it('every type is present at roughly the default mix', () => {
    for (const type of IOC_TYPES) {
      const share = byType.get(type)!.length / BIG;
      assert.ok(Math.abs(share - DEFAULT_MIX[type]) < 0.005, `${type}: ${share} vs ${DEFAULT_MIX[type]}`);
    }
  });

  it('a custom mix produces only the listed types, in proportion', () => {
    const items = take({ count: 20_000, seed: 1, now: NOW, mix: { url: 3, cve: 1 } });
    const urls = items.filter((x) => x.type === 'url').length;
    assert.equal(items.filter((x) => x.type === 'cve').length, items.length - urls);
    assert.ok(Math.abs(urls / items.length - 0.75) < 0.02, String(urls));
  });
});

describe('generateIocs: values are valid and canonical', () => {
  it('every value passes normalize(type, value) unchanged', () => {
    let failures = 0;
    const examples: string[] = [];
    for (const ioc of big) {
      const n = normalize(ioc.type, ioc.value);
      if (!n.ok || n.value !== ioc.value || n.type !== ioc.type) {
        failures += 1;
        if (examples.length < 5) examples.push(`${ioc.type} ${ioc.value} → ${JSON.stringify(n)}`);
      }
    }
    assert.equal(failures, 0, examples.join('\n'));
  });

  it('ipv4: public-looking quads, occasionally a /24 or /25 with zero host bits', () => {
    const reserved = (a: number, b: number): boolean =>
      a === 0 || a === 10 || a === 127 || a >= 224 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254);
    let cidr = 0;
    for (const { value } of byType.get('ipv4')!) {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(\/(24|25))?$/.exec(value);
      assert.ok(m, value);
      assert.ok(!reserved(Number(m[1]), Number(m[2])), value);
      if (m[5] !== undefined) {
        cidr += 1;
        assert.equal(m[4], m[6] === '24' ? '0' : '128', value);
      }
    }
    const share = cidr / byType.get('ipv4')!.length;
    assert.ok(share > 0.003 && share < 0.02, `CIDR share ${share}`);
  });

  it('ipv6: 2a0x:: global range, RFC 5952 form', () => {
    for (const { value } of byType.get('ipv6')!) {
      assert.match(value, /^2a0[0-9a-f]:/);
      assert.equal(value, value.toLowerCase());
      assert.ok(!/(^|:)0[0-9a-f]/.test(value), `leading zero in ${value}`);
      assert.ok(value.split('::').length <= 2, value);
    }
    const compressed = byType.get('ipv6')!.filter((x) => x.value.includes('::')).length;
    assert.ok(compressed > 0 && compressed < byType.get('ipv6')!.length, 'both compressed and full forms occur');
  });

  it('formatIpv6 follows RFC 5952 §4.2', () => {
    const cases: Array<[number[], string]> = [
      [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], '2001:db8::1'],
      [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'], // single zero group not compressed
      [[0x2001, 0, 0, 1, 0, 0, 0, 1], '2001:0:0:1::1'], // longest run wins
      [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'], // leftmost on a tie
      [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
      [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
      [[0x2a00, 0, 0, 0, 0, 0, 0, 0], '2a00::'],
      [[0, 0, 0x2a00, 1, 2, 3, 4, 5], '::2a00:1:2:3:4:5'],
      [[0x2a0f, 0xabcd, 0xef, 0x1, 0x20, 0x300, 0x4000, 0xffff], '2a0f:abcd:ef:1:20:300:4000:ffff'],
    ];
    for (const [groups, expected] of cases) assert.equal(formatIpv6(groups), expected);
  });

  it('formatIpv6 agrees with normalize() on random zero-heavy addresses', () => {
    let s = 1;
    const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 20_000; i += 1) {
      const groups = Array.from({ length: 8 }, () => (next() % 3 === 0 ? next() & 0xffff : 0));
      groups[0] = 0x2a00 | (next() & 0xf); // stay clear of the mixed-notation ::ffff:0:0/96 range
      const text = formatIpv6(groups);
      const n = normalize('ipv6', text);
      assert.ok(n.ok && n.value === text, `${groups.join(',')} → ${text} → ${JSON.stringify(n)}`);
    }
  });

  it('domain: lowercase, 8–40 chars, 2–4 labels, real TLDs', () => {
    const tlds = new Set<string>();
    for (const { value } of byType.get('domain')!) {
      assert.equal(value, value.toLowerCase());
      assert.ok(value.length >= 8 && value.length <= 40, value);
      const labels = value.split('.');
      assert.ok(labels.length >= 2 && labels.length <= 4, value);
      tlds.add(labels[labels.length - 1]!);
    }
    assert.ok(tlds.size >= 25, `only ${tlds.size} TLDs`);
    assert.ok(tlds.has('com') && tlds.has('ru') && tlds.has('xyz'));
  });

  it('url: http(s), 20–120 chars, some with IP hosts, ports and commas', () => {
    const urls = byType.get('url')!.map((x) => x.value);
    for (const u of urls) {
      assert.match(u, /^https?:\/\/[a-z0-9.-]+(:\d+)?\/\S*$/);
      assert.ok(u.length >= 20 && u.length <= 120, u);
    }
    const ipHost = urls.filter((u) => /^https?:\/\/\d+\.\d+\.\d+\.\d+[:/]/.test(u)).length / urls.length;
    assert.ok(ipHost > 0.2 && ipHost < 0.5, `IP-host share ${ipHost}`);
    assert.ok(urls.some((u) => u.includes(',')), 'no URL exercises CSV quoting');
    assert.ok(urls.some((u) => u.includes('/bins/')) && urls.some((u) => u.includes('/wp-content/')) && urls.some((u) => u.includes('gate.php?id=')));
  });

  it('hashes: lowercase hex of exact length', () => {
    const lengths: Array<[IocType, number]> = [['md5', 32], ['sha1', 40], ['sha256', 64]];
    for (const [type, length] of lengths) {
      for (const { value } of byType.get(type)!) assert.match(value, new RegExp(`^[0-9a-f]{${length}}$`));
    }
  });

  it('cve: CVE-YYYY-NNNN+, years 2015–2026', () => {
    const years = new Set<number>();
    for (const { value } of byType.get('cve')!) {
      const m = /^CVE-(\d{4})-(\d{4,7})$/.exec(value);
      assert.ok(m, value);
      years.add(Number(m[1]));
    }
    assert.deepEqual([...years].sort(), Array.from({ length: 12 }, (_, i) => 2015 + i));
  });

  it('email: local@domain', () => {
    for (const { value } of byType.get('email')!) assert.match(value, /^[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]{2,}$/);
  });
});

describe('generateIocs: context fields', () => {
  it('tags 0–3 distinct, malware ≈ 50 % null, sectors 0–2 (mostly 0) from the CISA list', () => {
    let nullMalware = 0;
    let noSectors = 0;
    const tagCounts = [0, 0, 0, 0];
    const sectors = new Set<string>(SECTORS);
    for (const ioc of big) {
      assert.ok(ioc.tags.length <= 3);
      tagCounts[ioc.tags.length]! += 1;
      assert.equal(new Set(ioc.tags).size, ioc.tags.length);
      for (const t of ioc.tags) assert.match(t, /^[a-z0-9-]+$/);
      if (ioc.malware === null) nullMalware += 1;
      assert.ok(ioc.sectors.length <= 2);
      assert.equal(new Set(ioc.sectors).size, ioc.sectors.length);
      for (const s of ioc.sectors) assert.ok(sectors.has(s), s);
      if (ioc.sectors.length === 0) noSectors += 1;
    }
    assert.ok(tagCounts.every((c) => c > 0), `tag counts ${tagCounts}`);
    assert.ok(nullMalware / BIG > 0.4 && nullMalware / BIG < 0.6, `null malware ${nullMalware / BIG}`);
    assert.ok(noSectors / BIG > 0.7 && noSectors / BIG < 0.9, `no sectors ${noSectors / BIG}`);
    const families = new Set(big.map((x) => x.malware));
    for (const f of ['Mozi', 'Emotet', 'QakBot', 'AgentTesla', 'Cobalt Strike', 'AsyncRAT', 'RedLine', 'Lumma']) assert.ok(families.has(f), f);
  });

  it('firstSeen within the last 90 days, firstSeen ≤ lastSeen ≤ now, ISO ms Z', () => {
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    let sameDay = 0;
    for (const ioc of big) {
      assert.match(ioc.firstSeen, iso);
      assert.match(ioc.lastSeen, iso);
      const first = Date.parse(ioc.firstSeen);
      const last = Date.parse(ioc.lastSeen);
      assert.equal(new Date(first).toISOString(), ioc.firstSeen);
      assert.equal(new Date(last).toISOString(), ioc.lastSeen);
      assert.ok(first >= NOW - WINDOW_DAYS * 86_400_000 && first < NOW, ioc.firstSeen);
      assert.ok(last >= first && last <= NOW, `${ioc.firstSeen} .. ${ioc.lastSeen}`);
      if (first === last) sameDay += 1;
    }
    assert.ok(sameDay > 0 && sameDay < BIG);
  });
});

describe('serialisation', () => {
  const tricky: SyntheticIoc = {
    type: 'url',
    value: 'http://evil.example/a,b"c"/d.php?x=1,2',
    tags: ['c2', 'malware-download'],
    malware: 'Cobalt Strike',
    sectors: ['energy', 'financial-services'],
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-02T00:00:00.000Z',
  };

  it('csvField quotes only when needed (RFC 4180)', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('line\nbreak'), '"line\nbreak"');
    assert.equal(csvField(''), '');
  });

  it('a value with commas and quotes round-trips through csv-parse', () => {
    const csv = `${CSV_HEADER}\n${toCsvRow(tricky)}\n`;
    const [row, ...rest] = parse(csv, { columns: true }) as Array<Record<string, string>>;
    assert.equal(rest.length, 0);
    assert.deepEqual(row, {
      type: 'url',
      value: tricky.value,
      tags: 'c2;malware-download',
      malware: 'Cobalt Strike',
      sectors: 'energy;financial-services',
      first_seen: tricky.firstSeen,
      last_seen: tricky.lastSeen,
    });
  });

  it('20 000 generated rows round-trip through csv-parse and JSON.parse', () => {
    const items = big.slice(0, 20_000);
    const rows = parse(`${CSV_HEADER}\n${items.map(toCsvRow).join('\n')}\n`, { columns: true }) as Array<Record<string, string>>;
    assert.equal(rows.length, items.length);
    items.forEach((ioc, i) => {
      const row = rows[i]!;
      assert.equal(row.type, ioc.type);
      assert.equal(row.value, ioc.value);
      assert.deepEqual(row.tags === '' ? [] : row.tags!.split(';'), ioc.tags);
      assert.equal(row.malware === '' ? null : row.malware, ioc.malware);
      assert.deepEqual(row.sectors === '' ? [] : row.sectors!.split(';'), ioc.sectors);
      assert.equal(row.first_seen, ioc.firstSeen);
      assert.equal(row.last_seen, ioc.lastSeen);
      assert.deepEqual(JSON.parse(toNdjsonRow(ioc)), {
        type: ioc.type,
        value: ioc.value,
        tags: ioc.tags,
        malware: ioc.malware,
        sectors: ioc.sectors,
        first_seen: ioc.firstSeen,
        last_seen: ioc.lastSeen,
      });
    });
  });
});

describe('generate CLI', () => {
  const cli = fileURLToPath(new URL('../../bench/generate.js', import.meta.url));
  const run = promisify(execFile);

  it('writes csv, txt and ndjson files that match the library output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iocgen-'));
    try {
      const now = '2026-03-01T12:00:00.000Z';
      const expected = take({ count: 3000, seed: 5, now: Date.parse(now) });
      for (const format of ['csv', 'txt', 'ndjson'] as const) {
        const out = join(dir, `x.${format}`);
        const { stderr } = await run(process.execPath, [cli, '--count', '3k', '--seed', '5', '--now', now, '--out', out]);
        assert.match(stderr, /generated 3000 IOCs/);
        assert.match(stderr, /IOCs\/s/);
        const text = readFileSync(out, 'utf8');
        if (format === 'txt') {
          assert.equal(text, expected.map((x) => `${x.value}\n`).join(''));
        } else if (format === 'ndjson') {
          assert.equal(text, expected.map((x) => `${toNdjsonRow(x)}\n`).join(''));
        } else {
          assert.equal(text, `${CSV_HEADER}\n${expected.map((x) => `${toCsvRow(x)}\n`).join('')}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad flags with exit code 2', async () => {
    await assert.rejects(run(process.execPath, [cli, '--count', 'lots', '--out', '-']), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr ?? '', /--count/);
      return true;
    });
    await assert.rejects(run(process.execPath, [cli, '--bogus']), (err: { code?: number }) => err.code === 2);
  });
});
