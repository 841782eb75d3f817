import type { SourceDefinition } from '../source-definition.js';

/**
 * DataPlane.org sshpwauth: addresses seen trying SSH password logins over the last 7 days, as
 * `ASN  |  ASname  |  saddr  |  utc  |  category`. Read with a pattern anchored on the last three fields rather
 * than by splitting on `|`: AS names may themselves hold a `|` (or a quote), which would shift the columns.
 * `utc` is a last-seen time. An address announced by several ASes (MOAS) is listed once per AS.
 */
export const dataplaneSshpwauth: SourceDefinition = {
  id: 'dataplane-sshpwauth',
  name: 'DataPlane.org SSH password authentication',
  homepage: 'https://dataplane.org/',
  license: 'Free for non-commercial use only; redistribution in whole or in part prohibited without permission',
  redistributable: false,
  enabledByDefault: false,
  disabledReason: 'licence: non-commercial use only, redistribution prohibited without DataPlane.org permission',
  tlp: 'clear',
  reliability: 0.75,
  mode: 'snap',
  schedule: '1h',
  fetch: { url: 'https://dataplane.org/sshpwauth.txt' },
  shape: {
    kind: 'line',
    pattern:
      '\\|\\s*(?<value>[0-9A-Fa-f:.]+)\\s*\\|\\s*(?<lastSeen>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})\\s*\\|\\s*(?<tags>[^|\\s]+)\\s*$',
  },
};
