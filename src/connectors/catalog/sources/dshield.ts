import type { SourceDefinition } from '../source-definition.js';

/**
 * DShield / SANS ISC recommended block list: the top 20 attacking /24 subnets of the last three days, tab-separated.
 * Since late 2024 the file has no column-header row (older files had `Start End Netmask…`, older still `Netblock`),
 * so the columns are named here; the CIDR is `Start/Netblock`. Unknown e-mails read `None`.
 * CC BY-NC-SA: not re-served, and off unless the operator enables it.
 */
export const dshield: SourceDefinition = {
  id: 'dshield',
  name: 'DShield Recommended Block List',
  homepage: 'https://isc.sans.edu/block.html',
  license: 'CC BY-NC-SA 2.5 (https://creativecommons.org/licenses/by-nc-sa/2.5/)',
  redistributable: false,
  enabledByDefault: false,
  disabledReason: 'licence CC BY-NC-SA 2.5: non-commercial use only and no re-serving; enable it if your use qualifies',
  tlp: 'clear',
  reliability: 0.8,
  mode: 'snap',
  schedule: '1h',
  fetch: { url: 'https://feeds.dshield.org/block.txt' },
  shape: {
    kind: 'delimited',
    delimiter: '\t',
    header: 'none',
    columns: ['Start', 'End', 'Netblock', 'Attacks', 'Name', 'Country', 'email'],
    fields: {
      value: { from: '{Start}/{Netblock}' },
    },
  },
  defaults: { type: 'ipv4' },
};
