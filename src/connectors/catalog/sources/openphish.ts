import type { SourceDefinition } from '../source-definition.js';

/**
 * OpenPhish Community Feed: live phishing URLs, one a line, refreshed about every 12 hours. Since May 2025 OpenPhish
 * publishes it as a file in its GitHub repository `openphish/public_feed`; the old `https://openphish.com/feed.txt`
 * redirects there, and that redirect fails now and then, so the source reads the GitHub file directly.
 */
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
  fetch: { url: 'https://raw.githubusercontent.com/openphish/public_feed/refs/heads/main/feed.txt' },
  shape: { kind: 'line' },
  defaults: { type: 'url' },
};
