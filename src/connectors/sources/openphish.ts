import type { SourceDefinition } from '../source-definition.js';

/** OpenPhish Community Feed: live phishing URLs, one a line, refreshed about every 12 hours. */
export const openphish: SourceDefinition = {
  id: 'openphish',
  name: 'OpenPhish Community Feed',
  homepage: 'https://openphish.com/',
  license: 'OpenPhish Community Feed terms: non-commercial use only (https://openphish.com/terms.html)',
  redistributable: false,
  enabledByDefault: false,
  disabledReason: 'licence: the Community Feed is for non-commercial use only and may not be redistributed',
  tlp: 'clear',
  reliability: 0.9,
  mode: 'snap',
  schedule: '12h',
  fetch: { url: 'https://openphish.com/feed.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'url' },
};
