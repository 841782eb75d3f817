import type { SourceDefinition } from '../source-definition.js';

/** GreenSnow: IPv4 addresses its honeypots saw attacking (SSH, FTP, SMTP, scans…), one a line. */
export const greensnow: SourceDefinition = {
  id: 'greensnow',
  name: 'GreenSnow blocklist',
  homepage: 'https://greensnow.co/',
  license: 'GreenSnow; the file states no terms',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.7,
  mode: 'snap',
  schedule: '1h',
  fetch: { url: 'https://blocklist.greensnow.co/greensnow.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'ipv4' },
};
