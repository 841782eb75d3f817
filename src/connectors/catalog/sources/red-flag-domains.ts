import type { SourceDefinition } from '../source-definition.js';

/**
 * Red Flag Domains: domains registered the day before in French TLDs (.fr, .re, .pm, .yt, .tf, .wf) whose names
 * look like phishing or scams (brands, administrations, delivery), flagged before any abuse is seen. One file per
 * day, named after that day; yesterday's is the complete one. Bare domains, one a line. Suspicion, not proof:
 * hence the low prior and the tag.
 */
export const redFlagDomains: SourceDefinition = {
  id: 'red-flag-domains',
  name: 'Red Flag Domains',
  homepage: 'https://red.flag.domains/',
  license: 'Red Flag Domains public daily lists, no terms stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.5,
  mode: 'inc',
  schedule: '6h',
  fetch: { url: 'https://dl.red.flag.domains/daily/{date-1:YYYY-MM-DD}.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'domain', tags: ['suspicious-registration'] },
};
