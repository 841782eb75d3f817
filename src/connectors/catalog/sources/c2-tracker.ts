import type { SourceDefinition } from '../source-definition.js';

/**
 * C2-Tracker (montysecurity): IP addresses (mostly IPv4, some IPv6, stored as such) of C2 servers, malware panels and offensive tools found through
 * Shodan searches, refreshed nightly. Only `data/all.txt` is read: the per-family files (`data/<Family> IPs.txt`)
 * carry the family in their file name, which one definition cannot turn into a per-URL malware name.
 */
export const c2Tracker: SourceDefinition = {
  id: 'c2-tracker',
  name: 'C2-Tracker',
  homepage: 'https://github.com/montysecurity/C2-Tracker',
  license: 'Public GitHub repository; no licence stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.7,
  mode: 'snap',
  schedule: '1d',
  fetch: { url: 'https://raw.githubusercontent.com/montysecurity/C2-Tracker/main/data/all.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'ipv4' },
};
