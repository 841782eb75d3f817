import type { SourceDefinition } from '../source-definition.js';

/**
 * abuse.ch SSLBL: SHA1 fingerprints of TLS certificates used by malware C2 servers (the SSLBL IP list is deprecated
 * since 2025-01-03 and not used). The reason reads `<Family> C&C`; other reasons (`Gozi MITM`) name no family.
 */
export const sslbl: SourceDefinition = {
  id: 'sslbl',
  name: 'abuse.ch SSL Blacklist (certificates)',
  homepage: 'https://sslbl.abuse.ch/',
  license: 'abuse.ch Terms of Use (https://abuse.ch/terms-of-use/); data published as CC0',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.95,
  mode: 'snap',
  schedule: '1h',
  minInterval: '5m',
  fetch: { url: 'https://sslbl.abuse.ch/blacklist/sslblacklist.csv' },
  shape: {
    kind: 'delimited',
    header: 'commented',
    fields: {
      value: 'SHA1',
      malware: { from: 'Listingreason', match: '^(.+?) C&C$' },
      firstSeen: 'Listingdate',
      reference: 'https://sslbl.abuse.ch/ssl-certificates/sha1/{SHA1}/',
    },
  },
  defaults: { type: 'sha1', tags: ['botnet_cc'] },
};
