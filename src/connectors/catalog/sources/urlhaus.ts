import type { SourceDefinition } from '../source-definition.js';

/**
 * abuse.ch URLhaus: malware-distribution URLs added in the last 30 days (`csv_recent`).
 * The header is a `#` comment line. URLs already `offline` when we read them are skipped: the recent window keeps
 * them for 30 days and their `last_online` is often empty, which would make them look seen now.
 * `tags` mixes file types, CPU architectures and family names, so it goes to tags, never to malware; a URL without
 * tags reads `None` there, which the shared delimited null rule drops.
 */
export const urlhaus: SourceDefinition = {
  id: 'urlhaus',
  name: 'abuse.ch URLhaus',
  homepage: 'https://urlhaus.abuse.ch/',
  license: 'abuse.ch Terms of Use (https://abuse.ch/terms-of-use/); data published as CC0',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.9,
  mode: 'inc',
  schedule: '1h',
  // abuse.ch regenerates the dumps every 5 minutes and asks not to fetch more often.
  minInterval: '5m',
  fetch: { url: 'https://urlhaus.abuse.ch/downloads/csv_recent/' },
  shape: {
    kind: 'delimited',
    header: 'commented',
    fields: {
      value: 'url',
      tags: [{ from: 'tags', split: ',' }, 'threat'],
      firstSeen: 'dateadded',
      lastSeen: 'last_online',
      reference: 'urlhaus_link',
      whereNot: { url_status: ['offline'] },
    },
  },
  defaults: { type: 'url' },
};
