import type { SourceDefinition } from '../source-definition.js';

/**
 * Turris Sentinel greylist (CZ.NIC): addresses that probed Turris routers, `Address,Tags` after a `#` licence
 * line; `Tags` is a quoted comma list of the protocols seen (`"ftp,http,telnet"`), kept as tags. CRLF lines.
 */
export const turrisGreylist: SourceDefinition = {
  id: 'turris-greylist',
  name: 'Turris Sentinel greylist',
  homepage: 'https://view.sentinel.turris.cz/greylist-data/',
  license: 'CC BY-NC-SA 4.0 (view.sentinel.turris.cz/greylist-data/LICENSE.txt)',
  redistributable: false,
  enabledByDefault: false,
  disabledReason: 'licence CC BY-NC-SA 4.0 (non-commercial): enable it only if your use is non-commercial',
  tlp: 'clear',
  reliability: 0.6,
  mode: 'snap',
  schedule: '12h',
  fetch: { url: 'https://view.sentinel.turris.cz/greylist-data/greylist-latest.csv' },
  shape: {
    kind: 'delimited',
    header: 'first',
    fields: {
      value: 'Address',
      tags: { from: 'Tags', split: ',' },
    },
  },
  defaults: { type: 'ipv4' },
};
