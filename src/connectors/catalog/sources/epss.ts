import type { SourceDefinition } from '../source-definition.js';

/**
 * FIRST EPSS: the daily probability (0–1) that each CVE is exploited in the next 30 days, gzipped CSV. Enrichment
 * only: the score becomes the native confidence (×100) of CVEs we already hold. Line 1 is
 * `#model_version:…,score_date:…`, a comment; the header `cve,epss,percentile` follows.
 */
export const epss: SourceDefinition = {
  id: 'epss',
  name: 'FIRST Exploit Prediction Scoring System (EPSS)',
  homepage: 'https://www.first.org/epss/',
  license: 'FIRST EPSS usage terms: free to use and share with attribution (https://www.first.org/epss/user-guide)',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'snap',
  schedule: '1d',
  enrichOnly: true,
  fetch: { url: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz' },
  shape: {
    kind: 'delimited',
    header: 'first',
    fields: {
      value: 'cve',
      confidence: { from: 'epss', scale: 100 },
    },
  },
  defaults: { type: 'cve' },
};
