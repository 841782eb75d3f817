import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sectorOf } from '../../src/domain/sector-names.js';
import { DEFAULT_SECTOR_RULES, SectorRules } from '../../src/domain/sector-rules.js';
import { SECTORS, type Sector } from '../../src/domain/sectors.js';

/** The CISA sector names as ICS advisories write them → our ids. */
const CISA_NAMES: ReadonlyArray<readonly [string, Sector]> = [
  ['Chemical', 'chemical'],
  ['Commercial Facilities', 'commercial-facilities'],
  ['Communications', 'communications'],
  ['Critical Manufacturing', 'critical-manufacturing'],
  ['Dams', 'dams'],
  ['Defense Industrial Base', 'defense-industrial-base'],
  ['Emergency Services', 'emergency-services'],
  ['Energy', 'energy'],
  ['Financial Services', 'financial-services'],
  ['Food and Agriculture', 'food-agriculture'],
  ['Government Facilities', 'government-facilities'],
  ['Healthcare and Public Health', 'healthcare-public-health'],
  ['Information Technology', 'information-technology'],
  ['Nuclear Reactors, Materials, and Waste', 'nuclear'],
  ['Transportation Systems', 'transportation-systems'],
  ['Water and Wastewater Systems', 'water-wastewater'],
];

/** Spelling variants, OTX industries, MISP sector galaxy tags. */
const OTHER_NAMES: ReadonlyArray<readonly [string, Sector]> = [
  ['Transportation Systems Sector', 'transportation-systems'],
  ['Chemical Sector', 'chemical'],
  ['Food & Agriculture', 'food-agriculture'],
  ['Water & Wastewater Systems', 'water-wastewater'],
  ['HEALTHCARE AND PUBLIC HEALTH', 'healthcare-public-health'],
  ['  Energy  ', 'energy'],
  ['Nuclear Reactors Materials and Waste', 'nuclear'],
  ['Finance', 'financial-services'],
  ['Banking', 'financial-services'],
  ['banking', 'financial-services'],
  ['Insurance', 'financial-services'],
  ['Telecommunications', 'communications'],
  ['Government', 'government-facilities'],
  ['Technology', 'information-technology'],
  ['Healthcare', 'healthcare-public-health'],
  ['Oil and Gas', 'energy'],
  ['Aerospace', 'critical-manufacturing'],
  ['Education', 'government-facilities'],
  ['misp-galaxy:sector="Finance"', 'financial-services'],
  ['misp-galaxy:sector="Telecoms"', 'communications'],
  ['misp-galaxy:sector="Government, National"', 'government-facilities'],
  ['misp-galaxy:sector=Energy', 'energy'],
  ['MISP-GALAXY:SECTOR = "Defense"', 'defense-industrial-base'],
  ['misp-galaxy:sector="energy"', 'energy'],
];

const UNKNOWN: readonly string[] = [
  '', '   ', 'Widgets', 'Sector', 'finance-services', 'financial_services_x', 'misp-galaxy:sector="Widgets"',
  'misp-galaxy:country="France"', 'tlp:green', 'Nuclear Weapons', 'energy sector x', '__proto__', 'toString', 'hasOwnProperty',
];

describe('sectorOf', () => {
  it('knows the 16 sector ids, whatever their case', () => {
    assert.equal(SECTORS.length, 16);
    for (const id of SECTORS) {
      assert.equal(sectorOf(id), id);
      assert.equal(sectorOf(id.toUpperCase()), id);
      assert.equal(sectorOf(` ${id} `), id);
    }
  });

  for (const [name, id] of CISA_NAMES) it(`CISA name ${JSON.stringify(name)} → ${id}`, () => assert.equal(sectorOf(name), id));
  it('covers all 16 sectors with the CISA names', () => {
    assert.deepEqual(new Set(CISA_NAMES.map(([, id]) => id)), new Set(SECTORS));
  });

  for (const [name, id] of OTHER_NAMES) it(`${JSON.stringify(name)} → ${id}`, () => assert.equal(sectorOf(name), id));

  for (const name of UNKNOWN) it(`${JSON.stringify(name)} → undefined`, () => assert.equal(sectorOf(name), undefined));

  // NAMES is a plain object literal: its prototype's `constructor` (the only all-lowercase Object.prototype key) is found.
  for (const name of ['constructor', 'Constructor', 'misp-galaxy:sector="Constructor"']) {
    it(`${JSON.stringify(name)} → undefined, not an inherited property`, () => {
      assert.equal(sectorOf(name), undefined);
    });
  }
});

describe('SectorRules', () => {
  const rules = new SectorRules();

  const DEFAULTS: ReadonlyArray<readonly [readonly string[], readonly string[], readonly Sector[]]> = [
    [['QakBot'], [], ['financial-services']],
    [['qakbot'], [], ['financial-services']],
    [['QAKBOT'], [], ['financial-services']],
    [['Industroyer2'], [], ['energy']],
    [['industroyer2'], [], ['energy']],
    [['TRITON'], [], ['energy']],
    [[], ['Banking-Trojan'], ['financial-services']],
    [[], ['banker'], ['financial-services']],
    [['Industroyer2', 'Dridex'], [], ['energy', 'financial-services']],
    [['Dridex'], ['banking'], ['financial-services']],
    [['Emotet'], ['botnet'], []],
    [[], [], []],
    [['Qak'], ['bank'], []],
  ];
  for (const [malware, tags, expected] of DEFAULTS) {
    it(`defaults: malware ${JSON.stringify(malware)} tags ${JSON.stringify(tags)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(rules.sectorsFor(malware, tags), expected);
    });
  }

  it('covers every family of the default rules', () => {
    for (const rule of DEFAULT_SECTOR_RULES) {
      for (const m of rule.malware ?? []) assert.deepEqual(rules.sectorsFor([m], []), [...rule.sectors], m);
    }
  });

  it('custom rules replace the defaults and merge their sectors per key', () => {
    const custom = new SectorRules([
      { malware: ['Havoc'], sectors: ['healthcare-public-health'] },
      { malware: ['havoc'], tags: ['Hospital'], sectors: ['healthcare-public-health', 'emergency-services'] },
      { tags: ['ics'], sectors: ['energy', 'water-wastewater'] },
    ]);
    assert.deepEqual(custom.sectorsFor(['HAVOC'], []), ['healthcare-public-health', 'emergency-services']);
    assert.deepEqual(custom.sectorsFor([], ['hospital']), ['healthcare-public-health', 'emergency-services']);
    assert.deepEqual(custom.sectorsFor(['Havoc'], ['ICS']), ['healthcare-public-health', 'emergency-services', 'energy', 'water-wastewater']);
    assert.deepEqual(custom.sectorsFor(['QakBot'], ['banking']), [], 'the defaults are not included');
  });

  it('defaults plus custom rules extend each other', () => {
    const both = new SectorRules([...DEFAULT_SECTOR_RULES, { malware: ['QakBot'], sectors: ['healthcare-public-health'] }]);
    assert.deepEqual(both.sectorsFor(['qakbot'], []), ['financial-services', 'healthcare-public-health']);
  });

  it('an empty rule list gives nothing', () => {
    assert.deepEqual(new SectorRules([]).sectorsFor(['QakBot'], ['banking']), []);
  });

  for (const bad of ['finance', 'Energy', 'banking', '']) {
    it(`refuses the sector ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => new SectorRules([{ malware: ['X'], sectors: [bad as Sector] }]),
        (err: Error) => err.message === `sectorRules: unknown sector ${JSON.stringify(bad)}`,
      );
    });
  }
});
