import type { SourceDefinition } from '../source-definition.js';

/**
 * abuse.ch Feodo Tracker: botnet C2 servers (Emotet, QakBot, Pikabot, BumbleBee…) seen in the last 30 days, JSON.
 * One entry per IP and port, so an address can appear twice. `last_online` is a bare date (midnight UTC), which
 * can fall before a same-day `first_seen`; `hostname` and `last_online` may be null.
 *
 * Offline C2s. The JSON lists every C2 of the last 30 days with a `status` of `online` or `offline`, while Feodo's own
 * blocklist (`ipblocklist_recommended.txt`) carries only the online ones. An `offline` entry is therefore no active
 * C2: it is kept at a native confidence of 25 (score 0.8 × 25% = 20, the low band, instead of 80), aged from its
 * `last_online` (or its `first_seen` when it was never seen online, never from the time of the run), and valid for
 * 7 days after that; past them it is skipped, so its Feodo sighting ends at once and, listed by nobody else, the IOC
 * is revoked. Online entries carry a native confidence of 100 (the same score as none), so that a C2 back online
 * regains its full score. An address listed on two ports with two statuses in one download gets the confidence of
 * the entry read last.
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
      demote: { where: { status: ['offline'] }, confidence: 25, validDays: 7 },
    },
  },
  defaults: { type: 'ipv4', tags: ['botnet_cc'], confidence: 100 },
};
