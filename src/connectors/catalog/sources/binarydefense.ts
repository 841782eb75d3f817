import type { SourceDefinition } from '../source-definition.js';

/** Binary Defense Artillery banlist: IPv4 addresses caught by its honeypots, one a line under a `#` banner. */
export const binarydefense: SourceDefinition = {
  id: 'binarydefense',
  name: 'Binary Defense Artillery banlist',
  homepage: 'https://www.binarydefense.com/',
  license: 'Public use only; no commercial resale or use in paid products or services (banner of the feed)',
  redistributable: false,
  enabledByDefault: false,
  disabledReason: 'licence: public, non-commercial use only; may not be resold or used in paid services',
  tlp: 'clear',
  reliability: 0.7,
  mode: 'snap',
  schedule: '6h',
  fetch: { url: 'https://www.binarydefense.com/banlist.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'ipv4' },
};
