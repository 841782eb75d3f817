import type { SourceDefinition } from '../source-definition.js';

/**
 * PhishTank (Cisco Talos): community-verified phishing URLs that are online now, one gzipped JSON array.
 * The application key goes in the path (`/data/<key>/online-valid.json.gz`); without one the provider allows only a
 * few downloads a day and answers 509 beyond that, so the source needs a key. PhishTank asks for a descriptive
 * User-Agent (the transport sends one). `target` is the impersonated brand, or `Other` when nobody named one: the
 * brand becomes a tag, `Other` does not. `details[]` (hosting IPs) is context that goes stale, not an indicator.
 */
export const phishtank: SourceDefinition = {
  id: 'phishtank',
  name: 'PhishTank',
  homepage: 'https://phishtank.org/',
  license: 'PhishTank terms of use (free data downloads; see phishtank.org)',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.9,
  mode: 'snap',
  schedule: '1h',
  // The file is regenerated hourly; fetching it more often only spends the key's quota.
  minInterval: '1h',
  apiKey: { env: 'SOCD_PHISHTANK_KEY' },
  fetch: { url: 'http://data.phishtank.com/data/{apiKey}/online-valid.json.gz' },
  shape: {
    kind: 'json',
    records: '',
    fields: {
      value: 'url',
      tags: { from: 'target', match: '^(?!Other$)(.+)$' },
      firstSeen: 'submission_time',
      reference: 'phish_detail_url',
      where: { verified: ['yes'], online: ['yes'] },
    },
  },
  defaults: { type: 'url', tags: ['phishing'] },
};
