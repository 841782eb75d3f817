import type { SourceDefinition } from '../source-definition.js';

/**
 * Spamhaus DROP (Don't Route Or Peer): netblocks hijacked or leased by professional spam and cybercrime operations,
 * IPv4 and IPv6 files (EDROP was merged into DROP). NDJSON; the last line is a `{"type":"metadata",…}` object.
 * Spamhaus asks for at most one download per hour.
 */
export const spamhausDrop: SourceDefinition = {
  id: 'spamhaus-drop',
  name: 'Spamhaus DROP',
  homepage: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  license: 'Spamhaus DROP terms of use (https://www.spamhaus.org/drop/terms/): free to use',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.9,
  mode: 'snap',
  schedule: '12h',
  minInterval: '1h',
  fetch: { url: ['https://www.spamhaus.org/drop/drop_v4.json', 'https://www.spamhaus.org/drop/drop_v6.json'] },
  shape: {
    kind: 'ndjson',
    fields: {
      value: 'cidr',
      reference: 'https://check.spamhaus.org/sbl/query/{sblid}',
    },
  },
};
