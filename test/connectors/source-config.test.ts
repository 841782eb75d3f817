import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config.js';
import { checkDefinition, DEFAULT_USER_AGENT, resolveSources, type ResolvedSource, DEFAULT_INGEST_BATCH } from '../../src/connectors/catalog/source-config.js';
import type { SourceDefinition } from '../../src/connectors/catalog/source-definition.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { parseDuration } from '../../src/connectors/catalog/url-template.js';
import { DEFAULT_SECTOR_RULES } from '../../src/domain/sector-rules.js';

type Env = Record<string, string | undefined>;
const resolve = (file: Record<string, unknown>, env: Env = {}) => resolveSources(CATALOG, file, env);
const byId = (file: Record<string, unknown>, id: string, env: Env = {}): ResolvedSource => {
  const found = resolve(file, env).sources.find((s) => s.def.id === id);
  assert.ok(found, `${id} is resolved`);
  return found;
};
/** assert.throws matcher: a ConfigError whose message matches every pattern. */
const configError = (...patterns: RegExp[]) => (err: unknown) => {
  assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
  for (const p of patterns) assert.match(err.message, p);
  return true;
};

const KEYED = CATALOG.filter((d) => d.apiKey && !d.apiKey.optional);

describe('CATALOG definitions', () => {
  for (const d of CATALOG) {
    it(d.id, () => {
      assert.doesNotThrow(() => checkDefinition(d, d.id));
      const urls = Array.isArray(d.fetch.url) ? d.fetch.url : [d.fetch.url];
      assert.ok(urls.length > 0);
      for (const u of urls) assert.match(u as string, /^https?:\/\/[^/\s]+/, 'an http(s) URL');
      assert.match(d.homepage, /^https?:\/\/[^/\s]+/, 'a homepage');
      assert.ok(typeof d.license === 'string' && d.license.trim().length > 3, 'a licence');
      assert.ok(d.reliability >= 0 && d.reliability <= 1, `reliability ${d.reliability}`);
      assert.ok(parseDuration(d.schedule)! > 0, `schedule ${d.schedule}`);
      if (!d.redistributable) {
        assert.equal(d.enabledByDefault, false, 'what may not be re-served is off by default');
        assert.match(d.disabledReason ?? '', /licen[cs]e/i);
      }
      if (d.apiKey) assert.match(d.apiKey.env, /^SOCD_[A-Z0-9_]+_KEY$/);
    });
  }

  it('ids are unique', () => assert.equal(new Set(CATALOG.map((d) => d.id)).size, CATALOG.length));
  it('some sources need a key, some are not redistributable', () => {
    assert.ok(KEYED.length >= 2, KEYED.map((d) => d.id).join());
    assert.ok(CATALOG.some((d) => !d.redistributable));
  });
});

describe('resolveSources: defaults', () => {
  const { sources, ingest } = resolve({});

  it('resolves every catalog source, in order, none custom', () => {
    assert.deepEqual(sources.map((s) => s.def.id), CATALOG.map((d) => d.id));
    assert.ok(sources.every((s) => !s.custom));
    for (const s of sources) {
      assert.equal(s.scheduleMs, parseDuration(s.def.schedule));
      assert.equal(s.minIntervalMs, s.def.minInterval ? parseDuration(s.def.minInterval) : 0);
    }
  });

  it('sources that may not be re-served are off, with a reason naming the licence', () => {
    for (const s of sources.filter((x) => !x.def.redistributable)) {
      assert.equal(s.enabled, false, s.def.id);
      assert.match(s.reason ?? '', /licen[cs]e/i, s.def.id);
    }
  });

  it('keyed sources without a key are on but need the key', () => {
    for (const d of KEYED) {
      const s = sources.find((x) => x.def.id === d.id)!;
      assert.equal(s.apiKey, undefined);
      const reason = s.reason ?? '';
      assert.ok(reason.startsWith('needs-key'), `${d.id}: ${reason}`);
      assert.ok(reason.includes(d.apiKey!.env) && reason.includes(`sources.${d.id}.apiKey`), reason);
    }
  });

  it('other sources run without a reason', () => {
    for (const s of sources.filter((x) => x.def.redistributable && !KEYED.includes(x.def))) {
      assert.equal(s.enabled, s.def.enabledByDefault ?? true, s.def.id);
      if (s.enabled) assert.equal(s.reason, undefined, s.def.id);
    }
  });

  it('an optional key (NVD) is not needed', () => {
    const nvd = sources.find((s) => s.def.id === 'nvd')!;
    assert.equal(nvd.def.apiKey?.optional, true);
    assert.equal(nvd.enabled, true);
    assert.equal(nvd.reason, undefined);
  });

  it('ingest defaults', () => {
    assert.deepEqual(ingest, { scheduler: true, userAgent: DEFAULT_USER_AGENT, batchSize: DEFAULT_INGEST_BATCH, exclusions: {}, sectorRules: [...DEFAULT_SECTOR_RULES] });
  });
});

describe('resolveSources: keys', () => {
  for (const d of KEYED) {
    it(`${d.id}: the key from ${d.apiKey!.env}`, () => {
      const s = byId({}, d.id, { [d.apiKey!.env]: 'env-key' });
      assert.deepEqual([s.enabled, s.reason, s.apiKey], [true, undefined, 'env-key']);
    });
    it(`${d.id}: the key from sources.${d.id}.apiKey`, () => {
      const s = byId({ sources: { [d.id]: { apiKey: 'file-key' } } }, d.id);
      assert.deepEqual([s.enabled, s.reason, s.apiKey], [true, undefined, 'file-key']);
    });
    it(`${d.id}: the environment wins over the file; an empty variable does not count`, () => {
      assert.equal(byId({ sources: { [d.id]: { apiKey: 'file-key' } } }, d.id, { [d.apiKey!.env]: 'env-key' }).apiKey, 'env-key');
      assert.equal(byId({ sources: { [d.id]: { apiKey: 'file-key' } } }, d.id, { [d.apiKey!.env]: '' }).apiKey, 'file-key');
      assert.ok(byId({}, d.id, { [d.apiKey!.env]: '' }).reason?.startsWith('needs-key'));
    });
  }

  it('a non-string apiKey is refused', () => {
    assert.throws(() => resolve({ sources: { otx: { apiKey: 123 } } }), configError(/sources\.otx\.apiKey/, /must be a string/));
  });

  it('sources without a key spec still read SOCD_<ID>_KEY', () => {
    assert.equal(byId({}, 'cins-army', { SOCD_CINS_ARMY_KEY: 'k' }).apiKey, 'k');
  });
});

describe('resolveSources: per-source settings', () => {
  it('url override: a string', () => {
    const s = byId({ sources: { urlhaus: { url: 'https://mirror.example/urlhaus.csv' } } }, 'urlhaus');
    assert.equal(s.def.fetch.url, 'https://mirror.example/urlhaus.csv');
    assert.notEqual(CATALOG.find((d) => d.id === 'urlhaus')!.fetch.url, 'https://mirror.example/urlhaus.csv', 'the catalog is not modified');
  });

  it('url override: a list', () => {
    const urls = ['http://mirror.example/v4.json', 'https://mirror.example/v6.json'];
    assert.deepEqual(byId({ sources: { 'spamhaus-drop': { url: urls } } }, 'spamhaus-drop').def.fetch.url, urls);
  });

  for (const bad of ['ftp://mirror.example/list.txt', 'javascript:alert(1)', 'mirror.example/list', '', 42, null, [], ['https://ok.example/', 'gopher://x/']]) {
    it(`url override ${JSON.stringify(bad)} is refused`, () => {
      assert.throws(() => resolve({ sources: { urlhaus: { url: bad } } }), configError(/^sources\.urlhaus\.url: /));
    });
  }

  it('an unknown source id is a ConfigError naming it', () => {
    assert.throws(() => resolve({ sources: { 'no-such-feed': { enabled: true } } }), configError(/sources\.no-such-feed/, /no source has this id/));
  });

  it('schedule: a duration replaces the catalog one', () => {
    const s = byId({ sources: { urlhaus: { schedule: '15m' } } }, 'urlhaus');
    assert.equal(s.def.schedule, '15m');
    assert.equal(s.scheduleMs, 900_000);
  });

  for (const bad of ['often', '1w', '', 5, '-1h']) {
    it(`schedule ${JSON.stringify(bad)} is refused`, () => {
      assert.throws(() => resolve({ sources: { urlhaus: { schedule: bad } } }), configError(/sources\.urlhaus\.schedule/, /duration/));
    });
  }

  for (const zero of ['0s', '0m', '0d']) {
    it(`schedule ${JSON.stringify(zero)} is refused`, () => {
      assert.throws(() => resolve({ sources: { urlhaus: { schedule: zero } } }), configError(/sources\.urlhaus\.schedule/));
    });
  }

  it('enabled: false turns a source off with its own reason', () => {
    const s = byId({ sources: { urlhaus: { enabled: false } } }, 'urlhaus');
    assert.deepEqual([s.enabled, s.reason], [false, 'disabled in the configuration']);
    const keyed = byId({ sources: { otx: { enabled: false } } }, 'otx');
    assert.deepEqual([keyed.enabled, keyed.reason], [false, 'disabled in the configuration']);
  });

  it('enabled: true turns on a source that is off by default', () => {
    const off = CATALOG.find((d) => d.enabledByDefault === false)!;
    const s = byId({ sources: { [off.id]: { enabled: true } } }, off.id);
    assert.deepEqual([s.enabled, s.reason], [true, undefined]);
  });

  it('enabled must be a boolean; a setting must be an object', () => {
    assert.throws(() => resolve({ sources: { urlhaus: { enabled: 'yes' } } }), configError(/sources\.urlhaus\.enabled/, /true or false/));
    assert.throws(() => resolve({ sources: { urlhaus: true } }), configError(/sources\.urlhaus/, /must be an object/));
    assert.throws(() => resolve({ sources: ['urlhaus'] }), configError(/^sources: /, /keyed by source id/));
  });
});

describe('resolveSources: customSources', () => {
  const custom = (customSources: unknown, sources: Record<string, unknown> = {}, env: Env = {}) => resolveSources(CATALOG, { customSources, sources }, env).sources.filter((s) => s.custom);

  it('generic text, csv, stix-bundle and taxii sources', () => {
    const out = custom([
      { id: 'my-ips', generic: 'text', url: 'https://intel.example/ips.txt', type: 'ipv4', tags: ['internal'] },
      { id: 'my-csv', generic: 'csv', url: ['https://intel.example/a.csv', 'https://intel.example/b.csv'], delimiter: ';' },
      { id: 'my-stix', generic: 'stix-bundle', url: 'https://intel.example/bundle.json', tlp: 'green', reliability: 0.9 },
      { id: 'my-taxii', generic: 'taxii', url: 'https://taxii.example/api/collections/c1/objects/', username: 'bob', schedule: '30m' },
    ], {}, { SOCD_MY_TAXII_PASSWORD: 'pw' });
    assert.deepEqual(out.map((s) => [s.def.id, s.def.shape.kind, s.enabled, s.reason]), [
      ['my-ips', 'line', true, undefined], ['my-csv', 'delimited', true, undefined], ['my-stix', 'stix-bundle', true, undefined], ['my-taxii', 'taxii', true, undefined],
    ]);
    const [ips, csv, stix, taxii] = out as [ResolvedSource, ResolvedSource, ResolvedSource, ResolvedSource];
    assert.deepEqual(ips.def.defaults, { type: 'ipv4', tags: ['internal'] });
    assert.equal(ips.def.tlp, 'amber', 'private lists default to TLP:AMBER');
    assert.equal(ips.scheduleMs, 3_600_000);
    assert.deepEqual(csv.def.fetch.url, ['https://intel.example/a.csv', 'https://intel.example/b.csv']);
    assert.equal(csv.def.shape.kind === 'delimited' && csv.def.shape.delimiter, ';');
    assert.deepEqual([stix.def.tlp, stix.def.reliability], ['green', 0.9]);
    assert.deepEqual([taxii.username, taxii.apiKey, taxii.scheduleMs, taxii.def.mode], ['bob', 'pw', 1_800_000, 'inc']);
  });

  it('a full definition gets defaults for what it leaves out', () => {
    const [s] = custom([
      { id: 'full', fetch: { url: 'https://intel.example/feed.json' }, shape: { kind: 'json', records: 'data', fields: { value: 'ioc', type: 'kind', typeMap: { ip: 'ipv4' } } } },
    ]);
    assert.ok(s);
    assert.deepEqual(
      [s.def.name, s.def.redistributable, s.def.tlp, s.def.reliability, s.def.mode, s.def.schedule, s.enabled, s.reason, s.custom],
      ['full', true, 'amber', 0.7, 'snap', '1h', true, undefined, true],
    );
  });

  it('custom sources take per-source settings like catalog ones', () => {
    const [s] = custom([{ id: 'mine', generic: 'text', url: 'https://intel.example/a.txt' }], { mine: { enabled: false, schedule: '6h' } });
    assert.deepEqual([s?.enabled, s?.reason, s?.scheduleMs], [false, 'disabled in the configuration', 21_600_000]);
  });

  const BAD: ReadonlyArray<readonly [string, unknown, RegExp[]]> = [
    ['not a list', { id: 'x' }, [/^customSources: /, /must be an array/]],
    ['not an object', ['x'], [/customSources\[0\]/, /must be an object/]],
    ['no id', [{ generic: 'text', url: 'https://a.example/' }], [/customSources\[0\]/, /needs an id/]],
    ['a catalog id', [{ id: 'urlhaus', generic: 'text', url: 'https://a.example/' }], [/customSources\[0\]/, /urlhaus is already used/]],
    ['a duplicate id', [{ id: 'dup', generic: 'text', url: 'https://a.example/' }, { id: 'dup', generic: 'csv', url: 'https://b.example/' }], [/customSources\[1\]/, /dup is already used/]],
    ['a bad id', [{ id: 'My Feed', generic: 'text', url: 'https://a.example/' }], [/customSources\[0\]/, /lowercase letters, digits and dashes/]],
    ['an unknown generic kind', [{ id: 'x', generic: 'xml', url: 'https://a.example/' }], [/customSources\[0\]/, /generic must be one of text, csv, stix-bundle, taxii/]],
    ['a non-http URL', [{ id: 'x', generic: 'text', url: 'ftp://a.example/' }], [/customSources\[0\]\.url/, /not an http/]],
    ['no URL', [{ id: 'x', generic: 'text' }], [/customSources\[0\]\.url/]],
    ['an unknown type', [{ id: 'x', generic: 'text', url: 'https://a.example/', type: 'hostname' }], [/customSources\[0\]\.type/, /must be one of ipv4/]],
    ['a bad schedule', [{ id: 'x', generic: 'text', url: 'https://a.example/', schedule: 'hourly' }], [/customSources\[0\]/, /schedule "hourly" is not a duration/]],
    ['a bad reliability', [{ id: 'x', generic: 'text', url: 'https://a.example/', reliability: 1.5 }], [/reliability must be between 0 and 1/]],
    ['a bad tlp', [{ id: 'x', generic: 'text', url: 'https://a.example/', tlp: 'purple' }], [/tlp must be one of/]],
    ['an unknown default sector', [{ id: 'x', generic: 'text', url: 'https://a.example/', sectors: ['banking'] }], [/customSources\[0\]\.defaults\.sectors/, /unknown sector banking/]],
    ['a bad line pattern', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'line', pattern: '(?<value>[a-z' } }], [/customSources\[0\]\.shape\.pattern/]],
    ['a line pattern without (?<value>', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'line', pattern: '^(\\S+)' } }], [/customSources\[0\]\.shape\.pattern/, /named group \(\?<value>/]],
    ['a bad keep regex', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'line', keep: '*' } }], [/customSources\[0\]\.shape\.keep/]],
    ['a bad field match', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'json', records: '', fields: { value: { from: 'v', match: '(' } } } }], [/customSources\[0\]\.shape\.fields match/]],
    ['a bad shape kind', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'xml' } }], [/customSources\[0\]/, /shape\.kind must be one of line, delimited, json, ndjson, misp, stix-bundle, taxii/]],
    ['no shape', [{ id: 'x', fetch: { url: 'https://a.example/' } }], [/shape\.kind must be one of/]],
    ['no fetch', [{ id: 'x', shape: { kind: 'line' } }], [/customSources\[0\]/, /needs fetch\.url/]],
    ['fields without a value', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'ndjson', fields: { tags: 't' } } }], [/customSources\[0\]\.shape\.fields/, /needs a value field/]],
    ['an unknown typeMap type', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'json', records: '', fields: { value: 'v', typeMap: { ip: 'ipv5' } } } }], [/typeMap\.ip/, /unknown type ipv5/]],
    ['header none without columns', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'delimited', header: 'none', fields: { value: 'v' } } }], [/shape\.columns/]],
    ['a bad header mode', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'delimited', header: 'second', fields: { value: 'v' } } }], [/shape\.header/]],
    ['json without records', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'json', fields: { value: 'v' } } }], [/shape\.records/]],
    ['a bad mode', [{ id: 'x', fetch: { url: 'https://a.example/' }, shape: { kind: 'line' }, mode: 'delta' }], [/mode must be "snap" or "inc"/]],
  ];
  for (const [what, customSources, patterns] of BAD) {
    it(`refuses ${what}`, () => assert.throws(() => custom(customSources), configError(...patterns)));
  }

  it('a setting for a custom source that does not exist is refused', () => {
    assert.throws(() => custom([{ id: 'mine', generic: 'text', url: 'https://a.example/' }], { yours: {} }), configError(/sources\.yours/));
  });
});

describe('resolveSources: exclusions and sectorRules', () => {
  it('exclusions pass through to the ingest settings', () => {
    const exclusions = { networks: ['45.133.1.0/24'], domains: ['corp.example'], values: ['x@y.example'], builtins: false, cdn: true };
    assert.deepEqual(resolve({ exclusions }).ingest.exclusions, exclusions);
  });

  const BAD_EXCLUSIONS: ReadonlyArray<readonly [unknown, RegExp]> = [
    [['10.0.0.0/8'], /^exclusions: must be an object/],
    [{ networks: '10.0.0.0/8' }, /exclusions\.networks: must be a list of strings/],
    [{ domains: [1] }, /exclusions\.domains: must be a list of strings/],
    [{ values: {} }, /exclusions\.values: must be a list of strings/],
    [{ builtins: 'no' }, /exclusions\.builtins: must be true or false/],
    [{ cdn: 'off' }, /exclusions\.cdn: must be true or false/],
  ];
  for (const [exclusions, why] of BAD_EXCLUSIONS) {
    it(`refuses exclusions ${JSON.stringify(exclusions)}`, () => assert.throws(() => resolve({ exclusions }), configError(why)));
  }

  it('refuses an exclusion network that is not an address or CIDR', () => {
    assert.throws(() => resolve({ exclusions: { networks: ['not-a-network'] } }), configError(/exclusions\.networks/));
  });

  it('sectorRules extend the defaults', () => {
    const rule = { malware: ['Havoc'], tags: ['hospital'], sectors: ['healthcare-public-health'] };
    assert.deepEqual(resolve({ sectorRules: [rule] }).ingest.sectorRules, [...DEFAULT_SECTOR_RULES, rule]);
  });

  const BAD_RULES: ReadonlyArray<readonly [unknown, RegExp]> = [
    [{ malware: ['x'] }, /^sectorRules: must be a list/],
    [[{ malware: ['x'] }], /sectorRules\[0\]\.sectors: must list sector ids/],
    [[{ malware: ['x'], sectors: 'energy' }], /sectorRules\[0\]\.sectors/],
    [[{ malware: ['x'], sectors: ['energy'] }, { tags: ['y'], sectors: ['Finance'] }], /sectorRules\[1\]\.sectors/],
    [[{ sectors: [42] }], /sectorRules\[0\]\.sectors/],
    [['energy'], /sectorRules\[0\]\.sectors/],
  ];
  for (const [sectorRules, why] of BAD_RULES) {
    it(`refuses sectorRules ${JSON.stringify(sectorRules)}`, () => assert.throws(() => resolve({ sectorRules }), configError(why)));
  }

  for (const rule of [{ malware: 'QakBot', sectors: ['energy'] }, { tags: 'banking', sectors: ['energy'] }, { malware: [1], sectors: ['energy'] }]) {
    it(`refuses sectorRules [${JSON.stringify(rule)}] (malware/tags not a list of strings)`, () => {
      assert.throws(() => resolve({ sectorRules: [rule] }), configError(/sectorRules\[0\]/));
    });
  }
});

describe('resolveSources: ingest settings', () => {
  const SCHEDULER: ReadonlyArray<readonly [Record<string, unknown>, Env, boolean]> = [
    [{}, {}, true],
    [{ ingest: { scheduler: false } }, {}, false],
    [{ ingest: { scheduler: true } }, {}, true],
    [{}, { SOCD_SCHEDULER: 'off' }, false],
    [{}, { SOCD_SCHEDULER: 'OFF' }, false],
    [{}, { SOCD_SCHEDULER: 'false' }, false],
    [{}, { SOCD_SCHEDULER: '0' }, false],
    [{}, { SOCD_SCHEDULER: 'no' }, false],
    [{ ingest: { scheduler: true } }, { SOCD_SCHEDULER: 'off' }, false],
    [{ ingest: { scheduler: false } }, { SOCD_SCHEDULER: 'on' }, true],
    [{ ingest: { scheduler: false } }, { SOCD_SCHEDULER: undefined }, false],
  ];
  for (const [file, env, expected] of SCHEDULER) {
    it(`scheduler ${JSON.stringify(file.ingest ?? {})} with ${JSON.stringify(env)} → ${expected}`, () => {
      assert.equal(resolve(file, env).ingest.scheduler, expected);
    });
  }

  it('userAgent and batchSize', () => {
    assert.equal(resolve({ ingest: { userAgent: 'Acme-SOC/2.0' } }).ingest.userAgent, 'Acme-SOC/2.0');
    assert.equal(resolve({ ingest: { userAgent: '   ' } }).ingest.userAgent, DEFAULT_USER_AGENT);
    assert.equal(resolve({ ingest: { batchSize: 100 } }).ingest.batchSize, 100);
  });

  const BAD: ReadonlyArray<readonly [unknown, RegExp]> = [
    ['fast', /^ingest: must be an object/],
    [{ scheduler: 'off' }, /ingest\.scheduler: must be true or false/],
    [{ batchSize: 0 }, /ingest\.batchSize/],
    [{ batchSize: 1.5 }, /ingest\.batchSize/],
    [{ batchSize: '100' }, /ingest\.batchSize/],
    [{ batchSize: 2_000_000 }, /ingest\.batchSize/],
  ];
  for (const [ingest, why] of BAD) {
    it(`refuses ingest ${JSON.stringify(ingest)}`, () => assert.throws(() => resolve({ ingest }), configError(why)));
  }
});

describe('checkDefinition', () => {
  const base = CATALOG.find((d) => d.id === 'urlhaus')!;
  const CHANGES: ReadonlyArray<readonly [string, Partial<SourceDefinition>, RegExp]> = [
    ['an id with capitals', { id: 'URLhaus' }, /id "URLhaus" must be lowercase/],
    ['an id starting with a dash', { id: '-x' }, /id "-x"/],
    ['an empty name', { name: '' }, /needs a name/],
    ['a negative reliability', { reliability: -0.1 }, /reliability/],
    ['a NaN reliability', { reliability: Number.NaN }, /reliability/],
    ['an unknown tlp', { tlp: 'white' as never }, /tlp must be one of/],
    ['a bad minInterval', { minInterval: 'hourly' }, /minInterval "hourly"/],
    ['a URL list with a bad member', { fetch: { url: ['https://a.example/', 'ftp://b.example/'] } }, /fetch\.url/],
    ['an empty URL list', { fetch: { url: [] } }, /needs at least one URL/],
  ];
  for (const [what, change, why] of CHANGES) {
    it(`refuses ${what}`, () => assert.throws(() => checkDefinition({ ...base, ...change }, 'where'), configError(/^where/, why)));
  }
});

describe('ingest.catalog: false (air-gapped sites)', () => {
  it('turns every catalog source off with a reason, keeps custom sources and catalog sources enabled by name', () => {
    const { sources } = resolveSources(CATALOG, {
      ingest: { catalog: false },
      sources: { urlhaus: { enabled: true, url: 'file:///srv/mirror/urlhaus.csv' } },
      customSources: [{ id: 'team-list', generic: 'text', url: 'https://intranet.example.org/block.txt' }],
    }, {});
    const byId = new Map(sources.map((s) => [s.def.id, s]));
    assert.equal(byId.get('urlhaus')?.enabled, true);
    assert.equal(byId.get('team-list')?.enabled, true);
    assert.equal(byId.get('threatfox')?.enabled, false);
    assert.match(byId.get('threatfox')?.reason ?? '', /catalog is off/);
    assert.match(byId.get('dshield')?.reason ?? '', /licen/i, 'a licence reason stays the reason');
    assert.equal(sources.filter((s) => s.enabled).length, 2);
  });

  it('refuses a catalog setting that is not a boolean', () => {
    assert.throws(() => resolveSources(CATALOG, { ingest: { catalog: 'no' } }, {}), /ingest\.catalog/);
  });
});
