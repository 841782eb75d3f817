import type { SourceDefinition } from '../source-definition.js';

/**
 * TweetFeed: IOCs that security researchers posted on X/Twitter today, collected by 0xDanielLopez. CSV without a
 * header: `date,user,type,value,tags,tweet_url`; `tags` is a space-separated list of hashtags (`#C2 #NanoCore`),
 * often empty, split on `#` so the tags lose the hash. The same tweet usually yields a URL and its domain or IP.
 * Posted domains sometimes are well-known platforms hosting the lure (sites.google.com): the exclusion rules drop
 * those domains, the URLs stay.
 */
export const tweetfeed: SourceDefinition = {
  id: 'tweetfeed',
  name: 'TweetFeed',
  homepage: 'https://tweetfeed.live/',
  license: 'TweetFeed (github.com/0xDanielLopez/TweetFeed): public posts served as is, best effort; no licence stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.5,
  mode: 'inc',
  schedule: '1h',
  fetch: { url: 'https://raw.githubusercontent.com/0xDanielLopez/TweetFeed/master/today.csv' },
  shape: {
    kind: 'delimited',
    header: 'none',
    columns: ['date', 'user', 'type', 'value', 'tags', 'tweet_url'],
    fields: {
      value: 'value',
      type: 'type',
      typeMap: { url: 'url', domain: 'domain', ip: 'ipv4', md5: 'md5', sha256: 'sha256' },
      tags: { from: 'tags', split: '#' },
      firstSeen: 'date',
      reference: 'tweet_url',
    },
  },
};
