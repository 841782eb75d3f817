import type { SourceDefinition } from '../source-definition.js';

/**
 * Botvrij.eu OSINT feed: MISP events built from public reports, published as a MISP feed directory (the same
 * format as CIRCL's; botvrij also offers flat `ioclist.*` files, which carry no context, so the MISP feed is read).
 * `to_ids: false` attributes are skipped; composite attributes give their indicator halves.
 */
export const botvrij: SourceDefinition = {
  id: 'botvrij',
  name: 'Botvrij.eu OSINT feed (MISP)',
  homepage: 'https://www.botvrij.eu/',
  license: 'Botvrij.eu public OSINT feed (TLP:CLEAR events); no licence stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'inc',
  schedule: '6h',
  fetch: { url: 'https://www.botvrij.eu/data/feed-osint/' },
  shape: { kind: 'misp', maxAgeDays: 30 },
};
