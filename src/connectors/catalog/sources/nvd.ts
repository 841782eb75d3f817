import type { SourceDefinition } from '../source-definition.js';

/**
 * NIST NVD CVE API 2.0: CVEs modified since the last run. Both `lastModStartDate` and `lastModEndDate` are required,
 * with an explicit UTC offset (bare times are refused since 2025-07); the window may not exceed 120 days nor end in the
 * future (NVD answers 404 with a `message` header). So the window ends at the run's time, and after an outage longer
 * than 120 days the gap is walked in consecutive windows of 120 days at most (`windowDays`), each paged in turn.
 * 5 requests / 30 s without a key, 50 with one (sent as the `apiKey` header). Rejected CVE ids are not vulnerabilities.
 */
export const nvd: SourceDefinition = {
  id: 'nvd',
  name: 'NIST National Vulnerability Database',
  homepage: 'https://nvd.nist.gov/',
  license: 'Public domain (U.S. Government work); NVD terms of use: "This product uses the NVD API but is not endorsed or certified by the NVD"',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.9,
  mode: 'inc',
  schedule: '2h',
  apiKey: { env: 'SOCD_NVD_KEY', header: 'apiKey', optional: true },
  fetch: {
    url: 'https://services.nvd.nist.gov/rest/json/cves/2.0?lastModStartDate={since:ISO}&lastModEndDate={until:ISO}',
    windowDays: 120,
  },
  shape: {
    kind: 'json',
    records: 'vulnerabilities',
    fields: {
      value: 'cve.id',
      firstSeen: 'cve.published',
      lastSeen: 'cve.lastModified',
      reference: 'https://nvd.nist.gov/vuln/detail/{cve.id}',
      whereNot: { 'cve.vulnStatus': ['Rejected'] },
    },
    paging: {
      offset: { param: 'startIndex', sizeParam: 'resultsPerPage', size: 2000, total: 'totalResults' },
      // 5 requests per rolling 30 s without a key.
      delayMs: 6000,
    },
  },
  defaults: { type: 'cve' },
};
