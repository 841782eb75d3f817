import type { SourceDefinition } from '../source-definition.js';

/**
 * StopForumSpam: email addresses used to register spam accounts on forums and blogs, reported in the last 24 hours
 * (`listed_email_1`), one a line inside a zip archive. A rolling one-day window, not the whole database: an address
 * that leaves it is not delisted, so the mode is `inc` (the upstream catalog says snap; docs/sources.md §1). Malformed addresses (spammers type
 * anything) are rejected by the normalizer.
 */
export const stopforumspam: SourceDefinition = {
  id: 'stopforumspam',
  name: 'StopForumSpam (emails, last 24 hours)',
  homepage: 'https://www.stopforumspam.com/',
  license: 'StopForumSpam free data downloads; terms on stopforumspam.com',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.6,
  mode: 'inc',
  schedule: '1d',
  // The download files are rebuilt about once a day and SFS throttles repeated downloads of them.
  minInterval: '6h',
  fetch: { url: 'https://www.stopforumspam.com/downloads/listed_email_1.zip', zipMember: '*' },
  shape: { kind: 'line' },
  defaults: { type: 'email', tags: ['spam'] },
};
