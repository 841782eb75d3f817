import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { schemaErrors, strictWarnings } from './stix-validator.js';

type Obj = Record<string, unknown>;

const TLP_EXT = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
const TLP_CLEAR = 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487';
const IDENTITY_ID = 'identity--21852fb8-5d68-4e9e-9759-1262813eb5c4';

/** The five TLP 2.0 marking-definition objects exactly as docs/stix-mapping.md §7 gives them. */
const TLP2_MARKINGS: Obj[] = (
  [
    ['CLEAR', 'clear', TLP_CLEAR],
    ['GREEN', 'green', 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'],
    ['AMBER', 'amber', 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'],
    ['AMBER+STRICT', 'amber+strict', 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'],
    ['RED', 'red', 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'],
  ] as const
).map(([name, level, id]) => ({
  type: 'marking-definition',
  spec_version: '2.1',
  id,
  created: '2022-10-01T00:00:00.000Z',
  name: `TLP:${name}`,
  extensions: { [TLP_EXT]: { extension_type: 'property-extension', tlp_2_0: level } },
}));

const IDENTITY: Obj = {
  type: 'identity',
  spec_version: '2.1',
  id: IDENTITY_ID,
  created: '2026-05-17T00:00:00.000Z',
  modified: '2026-05-17T00:00:00.000Z',
  name: 'SOC Defenders',
  identity_class: 'organization',
};

const INDICATOR: Obj = {
  type: 'indicator',
  spec_version: '2.1',
  id: 'indicator--382edcdf-0f77-45a7-b3cd-4b672e182604',
  created_by_ref: IDENTITY_ID,
  created: '2026-05-17T00:00:00.000Z',
  modified: '2026-05-17T12:30:00.250Z',
  name: 'ipv4 203.0.113.42',
  description: 'C2 server seen by abuse.ch Feodo Tracker (https://feodotracker.abuse.ch/browse/host/203.0.113.42/)',
  indicator_types: ['malicious-activity'],
  pattern: "[ipv4-addr:value = '203.0.113.42']",
  pattern_type: 'stix',
  pattern_version: '2.1',
  valid_from: '2026-05-17T00:00:00.000Z',
  valid_until: '2026-08-15T00:00:00.000Z',
  confidence: 85,
  labels: ['botnet', 'emotet', 'sector:energy'],
  external_references: [{ source_name: 'feodotracker', external_id: '203.0.113.42', description: 'Feodo Tracker host page' }],
  object_marking_refs: [TLP_CLEAR],
};

const VULNERABILITY: Obj = {
  type: 'vulnerability',
  spec_version: '2.1',
  id: 'vulnerability--c50345c8-e308-4362-997c-29ba97e69570',
  created_by_ref: IDENTITY_ID,
  created: '2026-05-17T00:00:00.000Z',
  modified: '2026-05-17T00:00:00.000Z',
  name: 'CVE-2024-3400',
  description: 'Command injection in PAN-OS GlobalProtect, exploited in the wild',
  external_references: [{ source_name: 'cve', external_id: 'CVE-2024-3400' }],
  object_marking_refs: [TLP_CLEAR],
};

const BUNDLE: Obj = {
  type: 'bundle',
  id: 'bundle--1ef5a4e2-4c4a-4745-992e-1f486f856d92',
  objects: [IDENTITY, ...TLP2_MARKINGS, INDICATOR, VULNERABILITY],
};

/** A copy of `base` with `over` applied; a property set to undefined is removed. */
function variant(base: Obj, over: Obj): Obj {
  const out: Obj = { ...structuredClone(base), ...over };
  for (const [k, v] of Object.entries(over)) if (v === undefined) delete out[k];
  return out;
}

function assertClean(obj: unknown, label: string): void {
  assert.deepEqual(schemaErrors(obj), [], `${label}: schema errors`);
  assert.deepEqual(strictWarnings(obj), [], `${label}: strict warnings`);
}

/** At least one message matches every regex (and says which messages there were if not). */
function assertHas(messages: string[], ...patterns: RegExp[]): void {
  for (const re of patterns) {
    assert.ok(messages.some((m) => re.test(m)), `expected a message matching ${re}, got:\n  ${messages.join('\n  ') || '(none)'}`);
  }
}

describe('stix-validator: valid objects pass both layers', () => {
  it('identity, indicator, vulnerability', () => {
    assertClean(IDENTITY, 'identity');
    assertClean(INDICATOR, 'indicator');
    assertClean(VULNERABILITY, 'vulnerability');
  });

  it('the five TLP 2.0 marking definitions of docs/stix-mapping.md §7', () => {
    assert.equal(TLP2_MARKINGS.length, 5);
    for (const m of TLP2_MARKINGS) assertClean(m, String(m.name));
  });

  it('a bundle of identity, markings, indicator, vulnerability', () => {
    assertClean(BUNDLE, 'bundle');
  });

  it('a TLP 1.0 marking (accepted on input) and an indicator with a url that has hashes', () => {
    assertClean(
      {
        type: 'marking-definition',
        spec_version: '2.1',
        id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
        created: '2017-01-20T00:00:00.000Z',
        definition_type: 'tlp',
        name: 'TLP:WHITE',
        definition: { tlp: 'white' },
      },
      'TLP:WHITE',
    );
    const ref = { source_name: 'vendor', url: 'https://example.com/report.pdf', hashes: { 'SHA-256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } };
    assertClean(variant(INDICATOR, { external_references: [ref] }), 'url with hashes');
  });

  it('other types the vendored schemas cover: SCOs (docs/stix-mapping.md §2 UUIDv5 vectors) and a relationship', () => {
    assertClean({ type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4', value: '198.51.100.3' }, 'ipv4-addr');
    assertClean({ type: 'domain-name', spec_version: '2.1', id: 'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7', value: 'example.com' }, 'domain-name');
    assertClean(
      {
        type: 'relationship',
        spec_version: '2.1',
        id: 'relationship--69822b29-d04f-44e7-b60e-afe23ca56ab7',
        created: '2026-05-17T00:00:00.000Z',
        modified: '2026-05-17T00:00:00.000Z',
        relationship_type: 'indicates',
        source_ref: INDICATOR.id,
        target_ref: VULNERABILITY.id,
      },
      'relationship',
    );
  });
});

describe('stix-validator: schema errors (OASIS JSON schemas)', () => {
  it('cross-file $refs resolve: core.json and identifier.json rules apply to an indicator', () => {
    const errs = schemaErrors(variant(INDICATOR, { created: undefined, created_by_ref: 'identity--socdefenders' }));
    // indicator.json itself requires only pattern, pattern_type, valid_from: `created` comes from core.json.
    assertHas(errs, /^\(root\) must have required property 'created'/, /^\/created_by_ref must match pattern .*identifier\.json/);
  });

  const cases: [string, unknown, RegExp[]][] = [
    ['missing pattern', variant(INDICATOR, { pattern: undefined }), [/must have required property 'pattern'/]],
    ['missing pattern_type', variant(INDICATOR, { pattern_type: undefined }), [/must have required property 'pattern_type'/]],
    ['bad id (seed document style)', variant(IDENTITY, { id: 'identity--socdefenders' }), [/^\/id must match pattern/]],
    ['id of another type', variant(INDICATOR, { id: 'malware--382edcdf-0f77-45a7-b3cd-4b672e182604' }), [/^\/id must match pattern "\^indicator--"/]],
    ['seconds-precision created', variant(INDICATOR, { created: '2026-05-17T00:00:00Z' }), [/^\/created must match pattern/]],
    ['non-UTC timestamp', variant(INDICATOR, { valid_from: '2026-05-17T02:00:00.000+02:00' }), [/^\/valid_from must match pattern/]],
    ['confidence 101', variant(INDICATOR, { confidence: 101 }), [/^\/confidence must be <= 100/]],
    ['confidence 50.5', variant(INDICATOR, { confidence: 50.5 }), [/^\/confidence must be integer/]],
    ['spec_version 2.2', variant(INDICATOR, { spec_version: '2.2' }), [/^\/spec_version must be equal to one of the allowed values/]],
    ['vulnerability without name', variant(VULNERABILITY, { name: undefined }), [/must have required property 'name'/]],
    ['malformed CVE id', variant(VULNERABILITY, { external_references: [{ source_name: 'cve', external_id: 'CVE-24-1' }] }), [/^\/external_references\/0 /]],
    ['empty object_marking_refs', variant(INDICATOR, { object_marking_refs: [] }), [/^\/object_marking_refs must NOT have fewer than 1 items/]],
    ['unknown type', { ...INDICATOR, type: 'indicatorr' }, [/unknown STIX type "indicatorr"/]],
    ['not an object', 'indicator', [/must be a STIX object/]],
    ['bundle without id', variant(BUNDLE, { id: undefined }), [/^\(root\) must have required property 'id'/]],
    ['indicator_types empty', variant(INDICATOR, { indicator_types: [] }), [/^\/indicator_types must NOT have fewer than 1 items/]],
    ['TLP 2.0 extension without extension_type', variant(TLP2_MARKINGS[0]!, { extensions: { [TLP_EXT]: { tlp_2_0: 'clear' } } }), [/must have required property 'extension_type'/]],
    // Upstream quirks, pinned so a schema update that changes them is noticed:
    [
      'a CVE id under a source_name other than "cve" is rejected (external-reference.json oneOf)',
      variant(VULNERABILITY, { external_references: [{ source_name: 'nvd', external_id: 'CVE-2024-3400' }] }),
      [/^\/external_references\/0 must match exactly one schema in oneOf/],
    ],
    [
      'a custom SDO in a bundle is rejected (matches both core.json and cyber-observable-core.json)',
      variant(BUNDLE, { objects: [{ ...IDENTITY, type: 'x-soc-note', id: 'x-soc-note--c9dadb1b-ba14-44d8-bab9-46a30ea3cf39' }] }),
      [/^\/objects\/0 must match exactly one schema in oneOf \{"passingSchemas":\[0,1\]\}.*custom SDO/],
    ],
  ];
  for (const [label, obj, patterns] of cases) {
    it(label, () => {
      const errs = schemaErrors(obj);
      assertHas(errs, ...patterns);
    });
  }

  it('unknown type gives exactly one error', () => {
    assert.equal(schemaErrors({ type: 'x-made-up', id: 'x-made-up--382edcdf-0f77-45a7-b3cd-4b672e182604' }).length, 1);
  });

  it('a bad bundle member is reported against its own schema, with its index', () => {
    const bundle = variant(BUNDLE, { objects: [IDENTITY, variant(INDICATOR, { pattern: undefined }), VULNERABILITY] });
    const errs = schemaErrors(bundle);
    assertHas(errs, /^\/objects\/1 must have required property 'pattern'/);
    assert.ok(errs.every((e) => e.startsWith('/objects/1')), errs.join('\n'));
  });

  // Its time is printed by bench/worst-case.ts (catastrophic backtracking would take minutes there, and hang here).
  it('a long invalid custom type in a bundle is reported (no catastrophic regex backtracking)', () => {
    const errs = schemaErrors(variant(BUNDLE, { objects: [{ ...IDENTITY, type: `${'a'.repeat(40)}_` }] }));
    assertHas(errs, /^\/objects\/0\/type must match pattern/);
  });
});

describe('stix-validator: strict warnings (what the schemas let through)', () => {
  const UUID_V1 = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
  const cases: [string, unknown, RegExp[]][] = [
    ['spec_version on a bundle', variant(BUNDLE, { spec_version: '2.1' }), [/bundle must not have spec_version/]],
    ['UUIDv1 indicator id', variant(INDICATOR, { id: `indicator--${UUID_V1}` }), [/ids must be UUIDv4, got UUIDv1/]],
    ['UUIDv1 bundle id', variant(BUNDLE, { id: `bundle--${UUID_V1}` }), [/bundle ids must be UUIDv4/]],
    ['bad id', variant(IDENTITY, { id: 'identity--socdefenders' }), [/not an RFC 4122 UUID/]],
    ['id prefix is not the type', variant(INDICATOR, { id: IDENTITY_ID }), [/must be "indicator--<uuid>"/]],
    ['seconds-precision valid_from (schema allows it)', variant(INDICATOR, { valid_from: '2026-05-17T00:00:00Z' }), [/^valid_from .*millisecond precision/]],
    ['microsecond-precision created (schema allows it)', variant(INDICATOR, { created: '2026-05-17T00:00:00.000000Z' }), [/^created .*millisecond precision/]],
    ['impossible date', variant(INDICATOR, { modified: '2026-02-30T00:00:00.000Z' }), [/^modified .*RFC 3339/]],
    ['modified before created', variant(INDICATOR, { modified: '2026-05-16T23:59:59.999Z' }), [/modified .* is before created/]],
    ['valid_until before valid_from', variant(INDICATOR, { valid_until: '2026-05-16T00:00:00.000Z' }), [/valid_until .* must be later than valid_from/]],
    ['valid_until equal to valid_from', variant(INDICATOR, { valid_until: INDICATOR.valid_from }), [/valid_until .* must be later than valid_from/]],
    ['indicator without name', variant(INDICATOR, { name: undefined }), [/indicator should have a non-empty name/]],
    ['indicator with empty description', variant(INDICATOR, { description: ' ' }), [/indicator should have a non-empty description/]],
    ['pattern_type pcre', variant(INDICATOR, { pattern_type: 'pcre' }), [/pattern_type must be "stix"/]],
    ['pattern_version missing', variant(INDICATOR, { pattern_version: undefined }), [/pattern_version must be "2.1"/]],
    ['indicator_types outside the vocabulary', variant(INDICATOR, { indicator_types: ['evil'] }), [/"evil" is not in indicator-type-ov/]],
    ['confidence 101', variant(INDICATOR, { confidence: 101 }), [/confidence 101 must be an integer 0..100/]],
    ['spec_version 2.0 (schema allows it)', variant(INDICATOR, { spec_version: '2.0' }), [/spec_version must be "2.1"/]],
    [
      'url in an external reference without hashes',
      variant(INDICATOR, { external_references: [{ source_name: 'urlhaus', url: 'https://urlhaus.abuse.ch/url/1/' }] }),
      [/external_references\[0\] has url .* without hashes/],
    ],
    ['object_marking_refs pointing to an identity', variant(INDICATOR, { object_marking_refs: [IDENTITY_ID] }), [/object_marking_refs\[0\] .* is not a marking-definition id/]],
    ['created_by_ref not an identity', variant(INDICATOR, { created_by_ref: TLP_CLEAR }), [/created_by_ref .* must be an identity id/]],
    ['identity without identity_class', variant(IDENTITY, { identity_class: undefined }), [/identity should have identity_class/]],
    ['vulnerability with empty name', variant(VULNERABILITY, { name: '' }), [/vulnerability should have a non-empty name/]],
    [
      'TLP 2.0 marking with a wrong id',
      variant(TLP2_MARKINGS[1]!, { id: TLP_CLEAR }),
      [/TLP 2\.0 "green" must use the fixed id marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb/],
    ],
    ['TLP 2.0 marking with a wrong name', variant(TLP2_MARKINGS[0]!, { name: 'TLP:WHITE' }), [/must be named "TLP:CLEAR"/]],
    [
      'non-TLP marking with a UUIDv1 id',
      {
        type: 'marking-definition',
        spec_version: '2.1',
        id: `marking-definition--${UUID_V1}`,
        created: '2026-05-17T00:00:00.000Z',
        definition_type: 'statement',
        definition: { statement: 'Copyright SOC Defenders' },
      },
      [/marking-definition ids must be UUIDv4/],
    ],
    [
      'a bundle member with a warning, prefixed with its index',
      variant(BUNDLE, { objects: [IDENTITY, variant(INDICATOR, { name: undefined })] }),
      [/^objects\[1\]: indicator should have a non-empty name/],
    ],
  ];
  for (const [label, obj, patterns] of cases) {
    it(label, () => assertHas(strictWarnings(obj), ...patterns));
  }

  it('the strict-only cases are schema-valid: only the second layer catches them', () => {
    for (const obj of [
      variant(BUNDLE, { spec_version: '2.1' }),
      variant(INDICATOR, { id: 'indicator--6ba7b810-9dad-11d1-80b4-00c04fd430c8' }),
      variant(INDICATOR, { valid_until: '2026-05-16T00:00:00.000Z' }),
      variant(INDICATOR, { name: undefined }),
      variant(INDICATOR, { external_references: [{ source_name: 'urlhaus', url: 'https://urlhaus.abuse.ch/url/1/' }] }),
    ]) {
      assert.deepEqual(schemaErrors(obj), []);
      assert.notDeepEqual(strictWarnings(obj), []);
    }
  });
});
