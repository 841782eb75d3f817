import type { SourceDefinition } from '../source-definition.js';

/**
 * Threatview.io high-confidence feeds: five plain lists (IPs, domains, URLs, MD5, SHA hashes) read as one
 * source, each value's type detected from its shape. Each file opens with a few `#` header lines (comments).
 * Users of SHA-HASH-FEED describe it as SHA-1 or as SHA-256: detection by length copes with both.
 */
export const threatviewIp: SourceDefinition = {
  id: 'threatview-ip',
  name: 'Threatview.io high-confidence feeds',
  homepage: 'https://threatview.io/',
  license: 'Threatview.io free feeds; the files state no terms',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.6,
  mode: 'snap',
  schedule: '1d',
  fetch: {
    url: [
      'https://threatview.io/Downloads/IP-High-Confidence-Feed.txt',
      'https://threatview.io/Downloads/DOMAIN-High-Confidence-Feed.txt',
      'https://threatview.io/Downloads/URL-High-Confidence-Feed.txt',
      'https://threatview.io/Downloads/MD5-HASH-ALL.txt',
      'https://threatview.io/Downloads/SHA-HASH-FEED.txt',
    ],
  },
  shape: { kind: 'line' },
};
