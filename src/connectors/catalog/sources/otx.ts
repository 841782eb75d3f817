import type { SourceDefinition } from '../source-definition.js';

/**
 * AlienVault OTX (LevelBlue): indicators of the pulses the key's account subscribes to, modified since the last run.
 * `/pulses/subscribed` returns `{results: [pulse], next}`; each pulse carries its `indicators[]` and the context that
 * applies to all of them (`tags`, `malware_families` and `industries`, all lists of plain strings on this endpoint).
 * An indicator whose `expiration` has passed is skipped (`expires`); `is_active: 0` ones are dropped here. Types
 * outside our nine (Mutex, YARA, FilePath, FileHash-PEHASH, URI…) are skipped. Industry names are free-ish text;
 * those that name a CISA sector are mapped, the rest (NGO, Legal…) dropped.
 */
export const otx: SourceDefinition = {
  id: 'otx',
  name: 'AlienVault OTX (subscribed pulses)',
  homepage: 'https://otx.alienvault.com/',
  license: 'OTX terms of service (community-shared threat data)',
  redistributable: true,
  tlp: 'green',
  reliability: 0.7,
  mode: 'inc',
  schedule: '1h',
  apiKey: { env: 'SOCD_OTX_KEY', header: 'X-OTX-API-KEY' },
  fetch: { url: 'https://otx.alienvault.com/api/v1/pulses/subscribed?limit=50&modified_since={since:ISO}' },
  shape: {
    kind: 'json',
    records: 'results[].indicators[]',
    paging: { nextUrl: 'next' },
    fields: {
      value: 'indicator',
      type: 'type',
      typeMap: {
        ipv4: 'ipv4',
        ipv6: 'ipv6',
        cidr: 'ipv4',
        domain: 'domain',
        hostname: 'domain',
        url: 'url',
        'filehash-md5': 'md5',
        'filehash-sha1': 'sha1',
        'filehash-sha256': 'sha256',
        email: 'email',
        cve: 'cve',
      },
      tags: '^tags',
      malware: '^malware_families',
      sectors: {
        from: '^industries',
        strict: true,
        map: {
          Aerospace: 'defense-industrial-base',
          Agriculture: 'food-agriculture',
          Automotive: 'critical-manufacturing',
          Aviation: 'transportation-systems',
          Banking: 'financial-services',
          Chemical: 'chemical',
          Defense: 'defense-industrial-base',
          Education: 'government-facilities',
          Energy: 'energy',
          Finance: 'financial-services',
          Financial: 'financial-services',
          Food: 'food-agriculture',
          Government: 'government-facilities',
          Healthcare: 'healthcare-public-health',
          Hospitality: 'commercial-facilities',
          Insurance: 'financial-services',
          Manufacturing: 'critical-manufacturing',
          Media: 'commercial-facilities',
          Military: 'defense-industrial-base',
          Nuclear: 'nuclear',
          'Oil and Gas': 'energy',
          Pharmaceutical: 'healthcare-public-health',
          Retail: 'commercial-facilities',
          Technology: 'information-technology',
          Telecommunications: 'communications',
          Transportation: 'transportation-systems',
          Utilities: 'energy',
          Water: 'water-wastewater',
        },
      },
      firstSeen: 'created',
      reference: 'https://otx.alienvault.com/pulse/{^id}',
      expires: 'expiration',
      whereNot: { is_active: ['0'] },
    },
  },
};
