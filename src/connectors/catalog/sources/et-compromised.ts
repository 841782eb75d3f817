import type { SourceDefinition } from '../source-definition.js';

/**
 * Emerging Threats (Proofpoint) list of hosts seen compromised or attacking: one IPv4 a line, no banner.
 * Largely fed by BruteForceBlocker, so the two overlap; they are still scored as separate sources.
 */
export const etCompromised: SourceDefinition = {
  id: 'et-compromised',
  name: 'Emerging Threats compromised IPs',
  homepage: 'https://rules.emergingthreats.net/blockrules/',
  license: 'Emerging Threats Open (Proofpoint); the file states no terms',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'snap',
  schedule: '12h',
  fetch: { url: 'https://rules.emergingthreats.net/blockrules/compromised-ips.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'ipv4' },
};
