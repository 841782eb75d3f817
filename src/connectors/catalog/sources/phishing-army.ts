import type { SourceDefinition } from '../source-definition.js';

/**
 * Phishing Army extended blocklist: phishing domains aggregated from PhishTank, OpenPhish, CERT.pl, Phishunt and
 * urlscan.io, with the registered domain added next to each host (hence "extended"). A `#` banner, a blank line,
 * then one domain a line. It overlaps PhishTank and CERT.pl but also adds parent domains they do not list, so it is
 * not declared an aggregate. Licence CC BY-NC 4.0: re-serving with attribution is allowed, commercial use is not.
 */
export const phishingArmy: SourceDefinition = {
  id: 'phishing-army',
  name: 'Phishing Army (extended blocklist)',
  homepage: 'https://phishing.army/',
  license: 'CC BY-NC 4.0 (Creative Commons Attribution-NonCommercial 4.0 International)',
  redistributable: false,
  enabledByDefault: false,
  disabledReason: 'licence CC BY-NC 4.0 (non-commercial): enable it only if your use is non-commercial',
  tlp: 'clear',
  reliability: 0.7,
  mode: 'snap',
  schedule: '6h',
  fetch: { url: 'https://phishing.army/download/phishing_army_blocklist_extended.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'domain', tags: ['phishing'] },
};
