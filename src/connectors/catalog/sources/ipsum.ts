import type { SourceDefinition } from '../source-definition.js';

/**
 * IPsum: IPv4 addresses with the number of public (black)lists (Maltrail's feeds) that name them, `IP<TAB>count`
 * under a `#` banner. The count is the confidence: 8 lists or more is certain (count × 12.5, capped at 100).
 */
export const ipsum: SourceDefinition = {
  id: 'ipsum',
  name: 'IPsum',
  homepage: 'https://github.com/stamparm/ipsum',
  license: 'The Unlicense',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.6,
  // Maltrail's IP feeds that are also in the catalog; IPsum does not publish its exact list of inputs.
  aggregateOf: [
    'abuseipdb',
    'binarydefense',
    'blocklist-de',
    'bruteforceblocker',
    'cins-army',
    'dataplane-sshpwauth',
    'dshield',
    'et-compromised',
    'feodo',
    'greensnow',
    'turris-greylist',
  ],
  mode: 'snap',
  schedule: '1d',
  fetch: { url: 'https://raw.githubusercontent.com/stamparm/ipsum/master/ipsum.txt' },
  shape: {
    kind: 'delimited',
    delimiter: '\t',
    // The banner's `# IP<TAB>number of (black)lists` is prose, not a header to rely on.
    header: 'none',
    columns: ['ip', 'count'],
    fields: {
      value: 'ip',
      confidence: { from: 'count', scale: 12.5 },
    },
  },
  defaults: { type: 'ipv4' },
};
