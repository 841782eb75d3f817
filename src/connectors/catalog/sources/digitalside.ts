import type { SourceDefinition } from '../source-definition.js';

/**
 * OSINT.DigitalSide.it: URLs, IPs and domains seen distributing malware in the author's analysis lab over the last
 * 7 days, as three plain lists read as one source (each value's type detected). Each file opens with an
 * 11-line `#` banner. The domain list keeps hosting hostnames such as `<bucket>.s3.amazonaws.com`: the exclusion
 * rules drop those as domains, while the URLs on them stay.
 */
export const digitalside: SourceDefinition = {
  id: 'digitalside',
  name: 'OSINT.DigitalSide.it Threat-Intel',
  homepage: 'https://osint.digitalside.it/',
  license: 'OSINT.DigitalSide.it Threat-Intel, open source lists released without any warranty',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.7,
  mode: 'inc',
  schedule: '6h',
  fetch: {
    url: [
      'https://osint.digitalside.it/Threat-Intel/lists/latesturls.txt',
      'https://osint.digitalside.it/Threat-Intel/lists/latestips.txt',
      'https://osint.digitalside.it/Threat-Intel/lists/latestdomains.txt',
    ],
  },
  shape: { kind: 'line' },
};
