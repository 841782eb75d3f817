import type { SourceDefinition } from '../source-definition.js';

/**
 * ICS Advisory Project: CISA ICS advisories as one CSV, giving the critical-infrastructure sectors each CVE
 * affects. Enrichment only (adds sectors to CVEs we hold). `CVE_Number` is a `, ` list, in older rows a list separated by
 * spaces, and `CVE-NA` when the advisory has no CVE (no value, not a bad one); recent rows list sectors with `; `, older
 * rows with `, ` (`Multiple Critical Sectors` names none, and `Nuclear Reactors, Materials, and Waste` keeps its
 * first part); dates are M/D/YYYY; the header ends with empty column names and some rows carry junk in those columns.
 */
export const icsAdvisories: SourceDefinition = {
  id: 'ics-advisories',
  name: 'ICS Advisory Project (CISA ICS advisories)',
  homepage: 'https://github.com/icsadvprj/ICS-Advisory-Project',
  license: 'Open Database License (ODbL) v1.0',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'snap',
  schedule: '1d',
  enrichOnly: true,
  fetch: {
    url: 'https://raw.githubusercontent.com/icsadvprj/ICS-Advisory-Project/main/ICS-CERT_ADV/CISA_ICS_ADV_Master.csv',
  },
  shape: {
    kind: 'delimited',
    header: 'first',
    nulls: ['CVE-NA'],
    fields: {
      value: { from: 'CVE_Number', split: [',', ';', ' '] },
      sectors: { from: 'Critical_Infrastructure_Sector', split: [';', ','] },
      firstSeen: { from: 'Original_Release_Date', dateFormat: 'MM/DD/YYYY' },
      lastSeen: { from: 'Last_Updated', dateFormat: 'MM/DD/YYYY' },
      reference: 'https://www.cisa.gov/news-events/ics-advisories/{ICS-CERT_Number}',
    },
  },
  defaults: { type: 'cve' },
};
