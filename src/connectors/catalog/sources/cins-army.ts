import type { SourceDefinition } from '../source-definition.js';

/** CINS Army list (Sentinel IPS): IPv4 addresses with a poor Rogue Packet score, one a line, no banner. Plain HTTP only. */
export const cinsArmy: SourceDefinition = {
  id: 'cins-army',
  name: 'CINS Army list',
  homepage: 'https://cinsscore.com/',
  license: 'CINS Army list: free to use (https://cinsscore.com/#list)',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.7,
  mode: 'snap',
  schedule: '6h',
  fetch: { url: 'http://cinsscore.com/list/ci-badguys.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'ipv4' },
};
