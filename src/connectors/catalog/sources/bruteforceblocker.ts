import type { SourceDefinition } from '../source-definition.js';

/**
 * BruteForceBlocker (danger.rulez.sk): SSH brute-forcers as `IP<tabs># YYYY-MM-DD HH:MM:SS<tab>count<tab>id`.
 * The date sits behind a `#`, so the pattern must see the whole line; it is the last report, hence `lastSeen`.
 * The date part is optional in the pattern so that a line without it still yields its address.
 */
export const bruteforceblocker: SourceDefinition = {
  id: 'bruteforceblocker',
  name: 'BruteForceBlocker',
  homepage: 'https://danger.rulez.sk/',
  license: 'danger.rulez.sk; the list states no terms',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.9,
  mode: 'snap',
  // A personal server: poll gently.
  schedule: '3h',
  fetch: { url: 'http://danger.rulez.sk/projects/bruteforceblocker/blist.php' },
  shape: {
    kind: 'line',
    pattern: '^(?<value>[^\\s#]+)(?:\\s+#\\s*(?<lastSeen>\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}))?',
  },
  defaults: { type: 'ipv4', tags: ['ssh-bruteforce'] },
};
