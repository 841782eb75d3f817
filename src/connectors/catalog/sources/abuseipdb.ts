import type { SourceDefinition } from '../source-definition.js';

/**
 * AbuseIPDB blacklist (API v2): `data[] {ipAddress, countryCode, abuseConfidenceScore, lastReportedAt}`.
 * Needs a key in the `Key` header. The free tier allows 5 downloads a day and returns only score-100 entries,
 * so it runs every 6 h and never twice within 5 h, even from `socd ingest`.
 */
export const abuseipdb: SourceDefinition = {
  id: 'abuseipdb',
  name: 'AbuseIPDB blacklist',
  homepage: 'https://www.abuseipdb.com/',
  license: 'AbuseIPDB Terms of Service (API key required)',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'snap',
  schedule: '6h',
  minInterval: '5h',
  apiKey: { env: 'SOCD_ABUSEIPDB_KEY', header: 'Key' },
  fetch: {
    url: 'https://api.abuseipdb.com/api/v2/blacklist',
    // Without it the endpoint may answer in plain text.
    headers: { Accept: 'application/json' },
  },
  shape: {
    kind: 'json',
    records: 'data',
    fields: {
      value: 'ipAddress',
      confidence: 'abuseConfidenceScore',
      lastSeen: 'lastReportedAt',
    },
  },
};
