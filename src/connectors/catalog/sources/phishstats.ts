import type { SourceDefinition } from '../source-definition.js';

/**
 * PhishStats phishing score: URLs seen in the last 30 days, each with the IP it resolved to and a 0–10 score.
 * A 9-line `#` banner (whose `# CSV: Date,Score,URL,IP` line is not a usable header), then quoted rows without a
 * header. The IP is often empty, sometimes a sinkhole (127.0.0.1, excluded) or a shared CDN address; some URLs
 * come without a scheme and are rejected rather than guessed. About one row in eight has an IPv6 address in the IP
 * column: it is stored as ipv6 (an IP column takes both families). The score is scaled to 0–100.
 */
export const phishstats: SourceDefinition = {
  id: 'phishstats',
  name: 'PhishStats',
  homepage: 'https://phishstats.info/',
  license: 'PhishStats free feed, provided as is without warranty',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.6,
  mode: 'inc',
  schedule: '2h',
  // "List updated every 90 minutes. Do not crawl too much at the risk of being blocked."
  minInterval: '90m',
  fetch: { url: 'https://phishstats.info/phish_score.csv' },
  shape: {
    kind: 'delimited',
    header: 'none',
    columns: ['date', 'score', 'url', 'ip'],
    fields: {
      value: [
        { value: 'url', type: 'url' },
        { value: 'ip', type: 'ipv4' },
      ],
      confidence: { from: 'score', scale: 10 },
      firstSeen: 'date',
    },
  },
  defaults: { tags: ['phishing'] },
};
