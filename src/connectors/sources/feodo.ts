import type { SourceDefinition } from '../source-definition.js';

/**
 * abuse.ch Feodo Tracker: botnet C2 servers (Emotet, QakBot, Pikabot, BumbleBee…) seen in the last 30 days, JSON.
 * One entry per IP and port, so an address can appear twice. `last_online` is a bare date (midnight UTC), which
 * can fall before a same-day `first_seen`; `hostname` and `last_online` may be null.
 */
export const feodo: SourceDefinition = {
  id: 'feodo',
  name: 'abuse.ch Feodo Tracker',
  homepage: 'https://feodotracker.abuse.ch/',
  license: 'abuse.ch Terms of Use (https://abuse.ch/terms-of-use/); data published as CC0',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.8,
  mode: 'snap',
  schedule: '1h',
  minInterval: '5m',
  fetch: { url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.json' },
  shape: {
    kind: 'json',
    records: '',
    fields: {
      value: 'ip_address',
      malware: 'malware',
      firstSeen: 'first_seen',
      lastSeen: 'last_online',
      reference: 'https://feodotracker.abuse.ch/browse/host/{ip_address}/',
    },
  },
  defaults: { type: 'ipv4', tags: ['botnet_cc'] },
};
