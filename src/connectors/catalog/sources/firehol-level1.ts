import type { SourceDefinition } from '../source-definition.js';

/**
 * FireHOL level 1: a union of DShield, Feodo, Spamhaus DROP/EDROP, SSLBL and the full bogons, as IPv4 addresses
 * and CIDRs. It repeats its components, so it does not count again next to them; the bogon CIDRs it carries
 * (0.0.0.0/8, 10.0.0.0/8, 224.0.0.0/3…) are dropped by the exclusion rules, not here.
 */
export const fireholLevel1: SourceDefinition = {
  id: 'firehol-level1',
  name: 'FireHOL level 1',
  homepage: 'https://iplists.firehol.org/?ipset=firehol_level1',
  license: 'FireHOL aggregate; each component list keeps its own terms (see iplists.firehol.org)',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.6,
  // SSLBL's IP list (deprecated) and fullbogons have no catalog entry; the sslbl source is certificate hashes.
  aggregateOf: ['dshield', 'feodo', 'spamhaus-drop'],
  mode: 'snap',
  schedule: '1h',
  fetch: { url: 'https://iplists.firehol.org/files/firehol_level1.netset' },
  shape: { kind: 'line' },
  defaults: { type: 'ipv4' },
};
