import type { SourceDefinition } from '../source-definition.js';

/**
 * ViriBack C2 Tracker: malware command-and-control panels (Lokibot, AgentTesla, Amadey…) with the panel URL and the
 * IP it was hosted on, both listed. CSV with a `Family,URL,IP,FirstSeen` header; dates are day-first (`dd-mm-YYYY`);
 * the IP cell can be empty, and holds an IPv6 address for panels hosted on one (stored as ipv6).
 */
export const viriback: SourceDefinition = {
  id: 'viriback',
  name: 'ViriBack C2 Tracker',
  homepage: 'https://tracker.viriback.com/',
  license: 'ViriBack C2 Tracker public dump, no terms stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.7,
  mode: 'snap',
  schedule: '6h',
  fetch: { url: 'https://tracker.viriback.com/dump.php' },
  shape: {
    kind: 'delimited',
    header: 'first',
    fields: {
      value: [
        { value: 'URL', type: 'url' },
        { value: 'IP', type: 'ipv4' },
      ],
      malware: 'Family',
      firstSeen: { from: 'FirstSeen', dateFormat: 'DD-MM-YYYY' },
    },
  },
  defaults: { tags: ['c2'] },
};
