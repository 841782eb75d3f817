import type { SourceDefinition } from '../source-definition.js';

/**
 * Tor exit relays (TorBulkExitList), one address a line. Anonymization infrastructure, not malicious in itself:
 * STIX `indicator_types: anonymization` so consumers can treat it as context rather than a block signal.
 */
export const torExits: SourceDefinition = {
  id: 'tor-exits',
  name: 'Tor exit nodes',
  homepage: 'https://check.torproject.org/',
  license: 'The Tor Project; public list, no terms stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.85,
  mode: 'snap',
  schedule: '1h',
  fetch: { url: 'https://check.torproject.org/torbulkexitlist' },
  shape: { kind: 'line' },
  // The tag makes the STIX indicator_types `anonymization` (stix/render-ioc.ts), not malicious-activity.
  defaults: { tags: ['tor-exit'] },
};
