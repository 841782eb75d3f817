import type { SourceDefinition } from '../source-definition.js';

/** blocklist.de `all.txt`: IPv4 and IPv6 addresses reported by fail2ban users for attacks in the last 48 hours, one a line. */
export const blocklistDe: SourceDefinition = {
  id: 'blocklist-de',
  name: 'blocklist.de (all attacks)',
  homepage: 'https://www.blocklist.de/',
  license: 'blocklist.de: free to use (https://www.blocklist.de/en/download.html)',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.7,
  mode: 'snap',
  schedule: '1h',
  // blocklist.de asks for no more than one download per 30 minutes.
  minInterval: '30m',
  fetch: { url: 'https://lists.blocklist.de/lists/all.txt' },
  shape: { kind: 'line' },
};
