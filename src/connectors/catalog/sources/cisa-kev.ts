import type { SourceDefinition } from '../source-definition.js';

/**
 * CISA Known Exploited Vulnerabilities catalog: CVEs exploited in the wild. Exploited stays exploited, so its CVEs
 * do not decay while listed. `knownRansomwareCampaignUse` is `Known` or `Unknown`: only `Known` becomes a tag.
 */
export const cisaKev: SourceDefinition = {
  id: 'cisa-kev',
  name: 'CISA Known Exploited Vulnerabilities',
  homepage: 'https://www.cisa.gov/known-exploited-vulnerabilities-catalog',
  license: 'CC0 1.0 Universal (public domain)',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.95,
  mode: 'snap',
  schedule: '6h',
  noDecay: true,
  fetch: { url: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json' },
  shape: {
    kind: 'json',
    records: 'vulnerabilities',
    fields: {
      value: 'cveID',
      tags: ['cwes', { from: 'knownRansomwareCampaignUse', map: { Known: 'ransomware' }, strict: true }],
      firstSeen: 'dateAdded',
      reference: 'https://nvd.nist.gov/vuln/detail/{cveID}',
    },
  },
  defaults: { type: 'cve', tags: ['known-exploited'] },
};
