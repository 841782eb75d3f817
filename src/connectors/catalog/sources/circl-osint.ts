import type { SourceDefinition } from '../source-definition.js';

/**
 * CIRCL OSINT feed: MISP events CIRCL curates from public reports (blogs, vendor write-ups), as a MISP feed
 * directory (`manifest.json`, then one `<uuid>.json` per event). Attributes with `to_ids: false` are context
 * (links, the analyst's own traffic) and are skipped; composites (`domain|ip`, `ip-dst|port`, `filename|sha256`)
 * give their indicator halves. Sectors come from `misp-galaxy:sector="…"` tags, families from malware galaxies.
 */
export const circlOsint: SourceDefinition = {
  id: 'circl-osint',
  name: 'CIRCL OSINT feed (MISP)',
  homepage: 'https://www.circl.lu/doc/misp/feed-osint/',
  license: 'CIRCL OSINT MISP feed, public (TLP:CLEAR events); no licence stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'inc',
  schedule: '6h',
  fetch: { url: 'https://www.circl.lu/doc/misp/feed-osint/' },
  shape: { kind: 'misp', maxAgeDays: 30 },
};
