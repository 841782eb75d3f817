import type { SourceDefinition } from '../source-definition.js';

/**
 * abuse.ch ThreatFox: IOCs of the last 48 hours (IP:port C2s, domains, URLs, file hashes) with a native confidence.
 * Cells are separated by `", "` (a space before each opening quote), nulls are `None` (the shared delimited rule), lines end in CRLF and a
 * `# Number of entries` trailer closes the file. An `ip:port` value keeps only the address (the lookahead matches
 * a dotted quad followed by `:port` at the end); every other value is kept whole, so URLs keep their ports.
 * `malware_printable` reads `Unknown malware` when the family is unknown: that is no family, not one named so.
 */
export const threatfox: SourceDefinition = {
  id: 'threatfox',
  name: 'abuse.ch ThreatFox',
  homepage: 'https://threatfox.abuse.ch/',
  license: 'abuse.ch Terms of Use (https://abuse.ch/terms-of-use/); data published as CC0',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'inc',
  schedule: '1h',
  minInterval: '5m',
  fetch: { url: 'https://threatfox.abuse.ch/export/csv/recent/' },
  shape: {
    kind: 'delimited',
    header: 'commented',
    fields: {
      value: { from: 'ioc_value', match: '^(?<v>(?:\\d{1,3}\\.){3}\\d{1,3}(?=:\\d{1,5}$)|.+)' },
      type: 'ioc_type',
      typeMap: {
        'ip:port': 'ipv4',
        domain: 'domain',
        url: 'url',
        md5_hash: 'md5',
        sha1_hash: 'sha1',
        sha256_hash: 'sha256',
      },
      tags: { from: 'tags', split: ',' },
      // `Unknown malware` (fk_malware `unknown`) is ThreatFox's word for "no family": no malware name at all.
      malware: { from: 'malware_printable', match: '^(?![Uu]nknown [Mm]alware$)(.+)$' },
      confidence: 'confidence_level',
      firstSeen: 'first_seen_utc',
      lastSeen: 'last_seen_utc',
      reference: 'https://threatfox.abuse.ch/ioc/{ioc_id}/',
    },
  },
};
