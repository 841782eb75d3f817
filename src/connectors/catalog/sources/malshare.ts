import type { SourceDefinition } from '../source-definition.js';

/**
 * MalShare: hashes of the malware samples added to the MalShare repository today. `malshare.current.all.txt` gives
 * one sample a line as `md5<TAB>sha1<TAB>sha256`, so each line yields three hash IOCs of one file.
 */
export const malshare: SourceDefinition = {
  id: 'malshare',
  name: 'MalShare daily hashes',
  homepage: 'https://malshare.com/',
  license: 'MalShare public daily hash lists; no licence stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.7,
  mode: 'inc',
  schedule: '6h',
  fetch: { url: 'https://malshare.com/daily/malshare.current.all.txt' },
  shape: {
    kind: 'delimited',
    delimiter: '\t',
    header: 'none',
    columns: ['md5', 'sha1', 'sha256'],
    fields: {
      value: [
        { value: 'md5', type: 'md5' },
        { value: 'sha1', type: 'sha1' },
        { value: 'sha256', type: 'sha256' },
      ],
    },
  },
};
