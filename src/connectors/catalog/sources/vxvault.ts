import type { SourceDefinition } from '../source-definition.js';

/**
 * VX Vault: the last 100 URLs that served malware samples. The "list" is a web page: a title, a date line and HTML
 * around the URLs, so only lines that start with a URL are read (a link in the page chrome is not one of them).
 */
export const vxvault: SourceDefinition = {
  id: 'vxvault',
  name: 'VX Vault',
  homepage: 'http://vxvault.net/',
  license: 'VX Vault public URL list, no terms stated',
  redistributable: true,
  tlp: 'clear',
  reliability: 0.9,
  mode: 'snap',
  schedule: '1h',
  fetch: { url: 'http://vxvault.net/URL_List.php' },
  shape: { kind: 'line', keep: '^https?://' },
  defaults: { type: 'url', tags: ['malware-distribution'] },
};
