import type { SourceDefinition } from '../source-definition.js';

/**
 * CERT Polska's list of dangerous domains (phishing and scams aimed at Polish users), verified by two analysts
 * before listing; a bare domain a line. A domain removed from the list was a mistake or is cleaned, and Polish
 * operators stop blocking it at once, so the list is polled often: removals matter as much as additions.
 */
export const certpl: SourceDefinition = {
  id: 'certpl',
  name: 'CERT Polska – list of dangerous domains',
  homepage: 'https://cert.pl/en/warning-list/',
  license: 'CERT Polska warning list, free for everyone to use',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.9,
  mode: 'snap',
  schedule: '15m',
  fetch: { url: 'https://hole.cert.pl/domains/v2/domains.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'domain', tags: ['phishing'] },
};
