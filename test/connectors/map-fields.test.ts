import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldReader, readPath, type MapOutcome } from '../../src/connectors/formats/map-fields.js';
import type { SourceRecord } from '../../src/connectors/formats/record.js';
import type { FieldMap, FieldSpec } from '../../src/connectors/catalog/source-definition.js';

const record = (o: MapOutcome): SourceRecord => {
  assert.ok('record' in o, `skipped: ${'skipped' in o ? o.skipped : ''}`);
  return o.record;
};
const skipped = (o: MapOutcome): string => {
  assert.ok('skipped' in o, 'expected the record to be skipped');
  return o.skipped;
};

describe('readPath', () => {
  const grand = { name: 'grand', tags: ['g'] };
  const parent = { name: 'pulse', tags: ['apt', 'phishing'], author: { username: 'alice' } };
  const row = { indicator: '1.2.3.4', a: { b: { c: 7, list: ['x', 'y'] } }, 'dotted.key': 'literal', zero: 0, nil: null };
  const parents = [grand, parent];

  const CASES: ReadonlyArray<readonly [string, unknown]> = [
    ['indicator', '1.2.3.4'],
    ['a.b.c', 7],
    ['a.b', row.a.b],
    ['a.b.list', ['x', 'y']],
    ['a.b.list.1', 'y'],
    ['dotted.key', 'literal'],
    ['zero', 0],
    ['nil', null],
    ['missing', undefined],
    ['a.missing.c', undefined],
    ['indicator.length.x', undefined],
    ['nil.x', undefined],
    ['^name', 'pulse'],
    ['^tags', ['apt', 'phishing']],
    ['^author.username', 'alice'],
    ['^^name', 'grand'],
    ['^^tags', ['g']],
    ['^', parent],
    ['^^', grand],
    ['^^^name', undefined],
    ['^missing', undefined],
    ['', row],
  ];
  for (const [path, expected] of CASES) {
    it(`${JSON.stringify(path)} → ${JSON.stringify(expected)?.slice(0, 40)}`, () => assert.deepEqual(readPath(row, parents, path), expected));
  }

  it('reads from a non-object row', () => {
    assert.equal(readPath('text', [], 'a'), undefined);
    assert.equal(readPath(null, [], 'a.b'), undefined);
    assert.equal(readPath(['p', 'q'], [], '0'), 'p');
  });
});

describe('FieldReader.text', () => {
  const r = new FieldReader(['None', 'n/a', '-']);
  const row = {
    id: 42, host: 'evil.example', path: '/x', blank: '   ', none: 'None', na: ' n/a ', dash: '-', padded: '  v  ',
    zero: 0, bool: true, obj: { display_name: 'Emotet' }, arr: ['a'],
    title: 'Report id=12345 (Emotet)', ref: 'see https://x/report/99 now', industry: 'Banking', kind: 'Unmapped',
  };
  const CASES: ReadonlyArray<readonly [FieldSpec, string | undefined]> = [
    ['host', 'evil.example'],
    ['padded', 'v'],
    ['id', '42'],
    ['zero', '0'],
    ['obj', 'Emotet'],
    ['bool', undefined],
    ['arr', undefined],
    ['blank', undefined],
    ['none', undefined],
    ['na', undefined],
    ['dash', undefined],
    ['missing', undefined],
    // Templates read other fields; a missing or null part makes the whole field absent.
    ['https://x/{id}', 'https://x/42'],
    ['{host}{path}', 'evil.example/x'],
    ['{host}/{missing}', undefined],
    ['{host}/{none}', undefined],
    ['https://x/{padded}', 'https://x/v'],
    // match: group 1, the named group v, the whole match, or absent.
    [{ from: 'title', match: 'id=(\\d+)' }, '12345'],
    [{ from: 'title', match: '\\((?<v>[A-Za-z]+)\\)' }, 'Emotet'],
    [{ from: 'title', match: '(?<word>Report) id=(?<v>\\d+)' }, '12345'],
    [{ from: 'title', match: 'Report' }, 'Report'],
    [{ from: 'title', match: 'sha256=(\\w+)' }, undefined],
    [{ from: 'ref', match: '(https?://\\S+)' }, 'https://x/report/99'],
    [{ from: 'title', match: 'id=( *)' }, undefined],
    // map: exact key first, then case-insensitive; strict drops what it does not know.
    [{ from: 'industry', map: { Banking: 'financial-services' } }, 'financial-services'],
    [{ from: 'industry', map: { banking: 'financial-services' } }, 'financial-services'],
    [{ from: 'industry', map: { BANKING: 'financial-services' } }, 'financial-services'],
    [{ from: 'kind', map: { banking: 'financial-services' } }, 'Unmapped'],
    [{ from: 'kind', map: { banking: 'financial-services' }, strict: true }, undefined],
    [{ from: 'industry', map: { banking: 'financial-services' }, strict: true }, 'financial-services'],
    [{ from: 'title', match: '\\((\\w+)\\)', map: { emotet: 'Emotet (Geodo)' } }, 'Emotet (Geodo)'],
  ];
  for (const [spec, expected] of CASES) {
    it(`${JSON.stringify(spec)} → ${JSON.stringify(expected)}`, () => assert.equal(r.text(row, [], spec), expected));
  }

  it('an absent spec reads nothing', () => assert.equal(r.text(row, [], undefined), undefined));

  it('templates read parent fields', () => {
    assert.equal(r.text({ id: 7 }, [{ pulse: 'p1' }], 'https://otx/pulse/{^pulse}#{id}'), 'https://otx/pulse/p1#7');
  });
});

describe('FieldReader.list', () => {
  const r = new FieldReader(['None']);
  const row = {
    tags: 'a, b ,,c, a',
    piped: 'x|y| z',
    arr: ['one', ' two ', 'one', 3, null, { name: 'four' }],
    families: [{ display_name: 'Emotet', name: 'emotet' }, { name: 'QakBot' }, { value: 'IcedID' }, { id: 1 }, 'TrickBot'],
    nulls: 'None,real',
    single: 12,
    industries: ['Banking', 'FINANCE', 'Government', 'Pottery'],
    many: Array.from({ length: 100 }, (_, i) => `t${i}`),
  };
  const CASES: ReadonlyArray<readonly [FieldSpec | FieldSpec[] | undefined, string[]]> = [
    ['tags', ['a', 'b', 'c']],
    [{ from: 'piped', split: '|' }, ['x', 'y', 'z']],
    ['piped', ['x|y| z']],
    ['arr', ['one', 'two', '3', 'four']],
    ['families', ['Emotet', 'QakBot', 'IcedID', 'TrickBot']],
    ['nulls', ['real']],
    ['single', ['12']],
    ['missing', []],
    [undefined, []],
    [['tags', { from: 'piped', split: '|' }, 'tags'], ['a', 'b', 'c', 'x', 'y', 'z']],
    [{ from: 'industries', map: { banking: 'financial-services', finance: 'financial-services', government: 'government-facilities' } }, ['financial-services', 'government-facilities', 'Pottery']],
    [{ from: 'industries', map: { banking: 'financial-services', government: 'government-facilities' }, strict: true }, ['financial-services', 'government-facilities']],
    [{ from: 'tags', match: '^([ab])$' }, ['a', 'b']],
  ];
  for (const [spec, expected] of CASES) {
    it(`${JSON.stringify(spec)} → ${JSON.stringify(expected)}`, () => assert.deepEqual(r.list(row, [], spec), expected));
  }

  it('stops at 64 items', () => {
    const out = r.list(row, [], 'many');
    assert.equal(out.length, 64);
    assert.equal(out[63], 't63');
  });

  it('splits on any of several separators (ICS advisories: CVEs by commas or spaces, sectors by ; or ,)', () => {
    const cells = { a: 'CVE-2016-1 CVE-2016-2', b: 'CVE-2016-3, CVE-2016-4', c: 'Energy; Chemical', d: 'Energy, Dams;Chemical', e: 'a.b|c' };
    const spec = (from: string, split: string[]) => ({ from, split });
    assert.deepEqual(r.list(cells, [], spec('a', [',', ';', ' '])), ['CVE-2016-1', 'CVE-2016-2']);
    assert.deepEqual(r.list(cells, [], spec('b', [',', ';', ' '])), ['CVE-2016-3', 'CVE-2016-4']);
    assert.deepEqual(r.list(cells, [], spec('c', [';', ','])), ['Energy', 'Chemical']);
    assert.deepEqual(r.list(cells, [], spec('d', [';', ','])), ['Energy', 'Dams', 'Chemical']);
    assert.deepEqual(r.list(cells, [], spec('e', ['.', '|'])), ['a', 'b', 'c'], 'separators are literal, not patterns');
  });

  it('reads parent lists (OTX pulse tags)', () => {
    assert.deepEqual(r.list({ indicator: 'x' }, [{ tags: ['apt28', 'Phishing'] }], ['^tags']), ['apt28', 'Phishing']);
  });
});

describe('FieldReader.number', () => {
  const r = new FieldReader(['n/a']);
  const row = { count: '3', big: '40', frac: 0.97, score: 7, neg: '-5', word: 'high', na: 'n/a', pct: '85%', str: ' 55 ', zero: 0 };
  const CASES: ReadonlyArray<readonly [FieldSpec, number | undefined]> = [
    ['str', 55],
    ['score', 7],
    ['zero', 0],
    ['frac', 1],
    [{ from: 'count', scale: 12.5 }, 38],
    [{ from: 'big', scale: 12.5 }, 100],
    [{ from: 'frac', scale: 100 }, 97],
    [{ from: 'score', scale: 10 }, 70],
    ['neg', 0],
    [{ from: 'neg', scale: 10 }, 0],
    ['big', 40],
    [{ from: 'big', scale: 3 }, 100],
    ['word', undefined],
    ['na', undefined],
    ['missing', undefined],
    ['pct', undefined],
    [{ from: 'pct', match: '(\\d+)%' }, 85],
    [{ from: 'word', map: { high: '90', low: '30' } }, 90],
  ];
  for (const [spec, expected] of CASES) {
    it(`${JSON.stringify(spec)} → ${expected}`, () => assert.equal(r.number(row, [], spec), expected));
  }
});

describe('FieldReader.time', () => {
  const r = new FieldReader(['None']);
  const row = {
    iso: '2026-01-02 03:04:05', dmy: '02-01-2026', mdy: '1/2/2026', epoch: 1767323045, epochMs: '1767323045123', none: 'None',
    text: 'first seen: 2026-01-02T03:04:05Z', bad: 'soon',
  };
  const CASES: ReadonlyArray<readonly [FieldSpec, string | undefined]> = [
    ['iso', '2026-01-02T03:04:05.000Z'],
    [{ from: 'dmy', dateFormat: 'DD-MM-YYYY' }, '2026-01-02T00:00:00.000Z'],
    [{ from: 'mdy', dateFormat: 'MM/DD/YYYY' }, '2026-01-02T00:00:00.000Z'],
    ['epoch', '2026-01-02T03:04:05.000Z'],
    [{ from: 'epoch', dateFormat: 'epoch-s' }, '2026-01-02T03:04:05.000Z'],
    [{ from: 'epochMs', dateFormat: 'epoch-ms' }, '2026-01-02T03:04:05.123Z'],
    ['epochMs', '2026-01-02T03:04:05.123Z'],
    [{ from: 'text', match: 'first seen: (\\S+)' }, '2026-01-02T03:04:05.000Z'],
    ['none', undefined],
    ['bad', undefined],
    ['missing', undefined],
  ];
  for (const [spec, expected] of CASES) {
    it(`${JSON.stringify(spec)} → ${expected}`, () => {
      const t = r.time(row, [], spec);
      assert.equal(t === undefined ? undefined : new Date(t).toISOString(), expected);
    });
  }
});

describe('FieldReader.map', () => {
  const r = new FieldReader(['None']);

  it('reads every field of a record', () => {
    const row = {
      ioc: ' evil.example ', ioc_type: 'Domain', tags: 'c2,botnet', malware: 'Emotet', sector: 'Banking', confidence_level: '75',
      first_seen: '2026-01-02 03:04:05', last_seen: '2026-01-03', id: '991', valid_until: '2026-02-01 00:00:00',
    };
    const fields: FieldMap = {
      value: 'ioc', type: 'ioc_type', typeMap: { domain: 'domain', ip: 'ipv4' }, tags: 'tags', malware: 'malware',
      sectors: { from: 'sector', map: { banking: 'financial-services' } }, confidence: 'confidence_level',
      firstSeen: 'first_seen', lastSeen: 'last_seen', reference: 'https://feed.example/ioc/{id}', expires: 'valid_until',
    };
    assert.deepEqual(record(r.map(row, [], fields, 7)), {
      line: 7,
      values: [{ value: 'evil.example', type: 'domain' }],
      typeName: undefined,
      tags: ['c2', 'botnet'],
      malware: ['Emotet'],
      sectors: ['financial-services'],
      confidence: 75,
      firstSeen: Date.UTC(2026, 0, 2, 3, 4, 5),
      lastSeen: Date.UTC(2026, 0, 3),
      reference: 'https://feed.example/ioc/991',
      expires: Date.UTC(2026, 1, 1),
    });
  });

  it('a bare value: no type, empty lists, absent optional fields', () => {
    const out = record(r.map({ v: '1.2.3.4' }, [], { value: 'v' }, 1));
    assert.deepEqual(out, {
      line: 1, values: [{ value: '1.2.3.4', type: undefined }], typeName: undefined, tags: [], malware: [], sectors: [],
      confidence: undefined, firstSeen: undefined, lastSeen: undefined, reference: undefined, expires: undefined,
    });
  });

  it('a type column without typeMap gives the source type name, lowercased', () => {
    const out = record(r.map({ v: 'x', t: 'FileHash-SHA256' }, [], { value: 'v', type: 't' }, 1));
    assert.equal(out.typeName, 'filehash-sha256');
    assert.equal(out.values[0]!.type, undefined);
  });

  const typeMap = { 'ip:port': 'ipv4', url: 'url', md5_hash: 'md5' } as const;
  const TYPED: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
    [{ v: 'x', t: 'URL' }, 'url'],
    [{ v: 'x', t: 'ip:port' }, 'ipv4'],
    [{ v: 'x', t: ' md5_hash ' }, 'md5'],
  ];
  for (const [row, type] of TYPED) {
    it(`typeMap: ${JSON.stringify(row.t)} → ${type}`, () => {
      assert.equal(record(r.map(row, [], { value: 'v', type: 't', typeMap }, 1)).values[0]!.type, type);
    });
  }
  const UNTYPED: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
    [{ v: 'x', t: 'sha3_384_hash' }, 'type sha3_384_hash'],
    [{ v: 'x', t: 'None' }, 'no type'],
    [{ v: 'x' }, 'no type'],
    [{ v: 'x', t: `${'y'.repeat(60)}` }, `type ${'y'.repeat(40)}`],
  ];
  for (const [row, reason] of UNTYPED) {
    it(`typeMap: skips ${JSON.stringify(row.t)?.slice(0, 20)} (${reason.slice(0, 20)})`, () => {
      assert.equal(skipped(r.map(row, [], { value: 'v', type: 't', typeMap }, 1)), reason);
    });
  }

  it('no value → skipped', () => {
    assert.equal(skipped(r.map({ v: 'None' }, [], { value: 'v' }, 1)), 'no value');
    assert.equal(skipped(r.map({ v: '  ' }, [], { value: 'v' }, 1)), 'no value');
    assert.equal(skipped(r.map({}, [], { value: 'v' }, 1)), 'no value');
  });

  const where: FieldMap = { value: 'url', where: { url_status: ['online', 'unknown'] }, whereNot: { threat: ['test', 'benign'] } };
  const FILTERED: ReadonlyArray<readonly [Record<string, unknown>, string | undefined]> = [
    [{ url: 'http://a/', url_status: 'online', threat: 'malware_download' }, undefined],
    [{ url: 'http://a/', url_status: 'ONLINE' }, undefined],
    [{ url: 'http://a/', url_status: 'Unknown' }, undefined],
    [{ url: 'http://a/', url_status: 'offline' }, 'url_status not online/unknown'],
    [{ url: 'http://a/' }, 'url_status not online/unknown'],
    [{ url: 'http://a/', url_status: 'None' }, 'url_status not online/unknown'],
    [{ url: 'http://a/', url_status: 'online', threat: 'Test' }, 'threat test'],
    [{ url: 'http://a/', url_status: 'online', threat: 'benign' }, 'threat benign'],
  ];
  for (const [row, reason] of FILTERED) {
    it(`where/whereNot: ${JSON.stringify(row)} → ${reason ?? 'kept'}`, () => {
      const out = r.map(row, [], where, 1);
      if (reason === undefined) assert.equal(record(out).values[0]!.value, 'http://a/');
      else assert.equal(skipped(out), reason);
    });
  }

  it('where reads parents', () => {
    const fields: FieldMap = { value: 'indicator', where: { '^tlp': ['white', 'clear'] } };
    assert.ok('record' in r.map({ indicator: 'x' }, [{ tlp: 'WHITE' }], fields, 1));
    assert.equal(skipped(r.map({ indicator: 'x' }, [{ tlp: 'amber' }], fields, 1)), '^tlp not white/clear');
  });

  it('several values of one record, each with its type (MalwareBazaar, ViriBack)', () => {
    const fields: FieldMap = {
      value: [{ value: 'sha256_hash', type: 'sha256' }, { value: 'md5_hash', type: 'md5' }, { value: 'sha1_hash', type: 'sha1' }, { value: 'ip' }],
    };
    const out = record(r.map({ sha256_hash: 'aa', md5_hash: 'bb', sha1_hash: 'None', ip: '1.2.3.4' }, [], fields, 3));
    assert.deepEqual(out.values, [{ value: 'aa', type: 'sha256' }, { value: 'bb', type: 'md5' }, { value: '1.2.3.4', type: undefined }]);
    assert.equal(skipped(r.map({ sha1_hash: 'None' }, [], fields, 4)), 'no value');
  });

  it('several values take the typeMap type unless they name their own', () => {
    const fields: FieldMap = { value: [{ value: 'a' }, { value: 'b', type: 'url' }], type: 't', typeMap: { ip: 'ipv4' } };
    assert.deepEqual(record(r.map({ a: '1.2.3.4', b: 'http://x/', t: 'ip' }, [], fields, 1)).values, [
      { value: '1.2.3.4', type: 'ipv4' }, { value: 'http://x/', type: 'url' },
    ]);
  });

  it('a value with split gives one value per item (ICS advisories: several CVEs in a cell)', () => {
    const fields: FieldMap = { value: { from: 'cves', split: ',' }, type: 't', typeMap: { vuln: 'cve' } };
    const out = record(r.map({ cves: 'CVE-2024-1, CVE-2024-2,,CVE-2024-1 , CVE-2024-3', t: 'vuln' }, [], fields, 1));
    assert.deepEqual(out.values, [
      { value: 'CVE-2024-1', type: 'cve' }, { value: 'CVE-2024-2', type: 'cve' }, { value: 'CVE-2024-3', type: 'cve' },
    ]);
    assert.deepEqual(record(r.map({ cves: ['CVE-2024-9', 'CVE-2024-8'] }, [], { value: { from: 'cves', split: ';' } }, 1)).values.map((v) => v.value), ['CVE-2024-9', 'CVE-2024-8']);
    assert.equal(skipped(r.map({ cves: ' , ', t: 'vuln' }, [], fields, 1)), 'no value');
  });

  it('a value without split keeps its commas', () => {
    assert.deepEqual(record(r.map({ u: 'http://x/?a=1,2' }, [], { value: 'u' }, 1)).values, [{ value: 'http://x/?a=1,2', type: undefined }]);
  });

  it('lists of objects name their items (OTX malware_families, MISP Tag)', () => {
    const row = { indicator: 'x' };
    const pulse = { malware_families: [{ id: 'm1', display_name: 'Cobalt Strike' }, { name: 'AsyncRAT' }], Tag: [{ name: 'tlp:white' }, { name: 'apt' }] };
    const out = record(r.map(row, [pulse], { value: 'indicator', malware: '^malware_families', tags: '^Tag' }, 1));
    assert.deepEqual(out.malware, ['Cobalt Strike', 'AsyncRAT']);
    assert.deepEqual(out.tags, ['tlp:white', 'apt']);
  });

  it('expires: epoch and text', () => {
    const fields: FieldMap = { value: 'v', expires: { from: 'exp', dateFormat: 'epoch-s' } };
    assert.equal(record(r.map({ v: 'x', exp: 1767323045 }, [], fields, 1)).expires, Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(record(r.map({ v: 'x', exp: 'None' }, [], fields, 1)).expires, undefined);
    assert.equal(record(r.map({ v: 'x', exp: '2026-03-01T00:00:00Z' }, [], { value: 'v', expires: 'exp' }, 1)).expires, Date.UTC(2026, 2, 1));
  });
});

describe('FieldReader.map: demote (Feodo offline C2s)', () => {
  const r = new FieldReader();
  const DAY = 86_400_000;
  const fields: FieldMap = {
    value: 'ip', confidence: 'conf', firstSeen: 'first', lastSeen: 'last', expires: 'until',
    demote: { where: { status: ['Offline'] }, confidence: 25, validDays: 7 },
  };
  const map = (row: Record<string, unknown>) => {
    const out = r.map(row, [], fields, 1);
    assert.ok('record' in out);
    return out.record;
  };

  it('a record that does not match is untouched', () => {
    const rec = map({ ip: '45.133.1.20', status: 'online', conf: '90', first: '2026-11-01', last: '2026-11-10' });
    assert.deepEqual([rec.confidence, rec.lastSeen, rec.expires], [90, Date.UTC(2026, 10, 10), undefined]);
  });

  it('a match takes the low confidence and expires validDays after its last sighting (where is case-insensitive)', () => {
    const rec = map({ ip: '45.133.1.20', status: 'offline', conf: '90', first: '2026-11-01', last: '2026-11-10' });
    assert.deepEqual([rec.confidence, rec.lastSeen, rec.expires], [25, Date.UTC(2026, 10, 10), Date.UTC(2026, 10, 10) + 7 * DAY]);
  });

  it('without a last sighting it was last seen when first seen, never "now"', () => {
    const rec = map({ ip: '45.133.1.20', status: 'OFFLINE', first: '2026-11-01' });
    assert.deepEqual([rec.lastSeen, rec.expires], [Date.UTC(2026, 10, 1), Date.UTC(2026, 10, 1) + 7 * DAY]);
  });

  it("the source's own earlier end of validity wins", () => {
    const rec = map({ ip: '45.133.1.20', status: 'offline', last: '2026-11-10', until: '2026-11-12' });
    assert.equal(rec.expires, Date.UTC(2026, 10, 12));
  });

  it('no date at all: no end of validity can be placed (the run time applies)', () => {
    const rec = map({ ip: '45.133.1.20', status: 'offline' });
    assert.deepEqual([rec.confidence, rec.lastSeen, rec.expires], [25, undefined, undefined]);
  });
});
