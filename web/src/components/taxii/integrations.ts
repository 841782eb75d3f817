/**
 * Ready-to-paste settings for TAXII clients, built from what GET /api/v1/collections answers (the discovery URL, the
 * API root, the collection id) and the account's email. The key is NEVER here: the console does not know it; every
 * setting names where it goes with the placeholder below.
 *
 * Field names are the vendors' own, from their documentation (checked when written; consoles change): where a product's
 * exact field names could not be confirmed, the entry says to follow the vendor's guide and gives the generic values.
 */
export const KEY_PLACEHOLDER = 'your API key';

export interface TaxiiContext {
  discoveryUrl: string;
  apiRootUrl: string;
  collectionId: string;
  collectionTitle: string;
  objectsUrl: string;
  email: string;
}

export interface Integration {
  id: string;
  product: string;
  /** Where the form is in the product. */
  where: string;
  fields: Array<{ name: string; value: string }>;
  /** A text snippet (code or config) with the placeholder for the key. */
  snippet?: { label: string; text: string };
  notes: string[];
}

export function integrations(c: TaxiiContext): Integration[] {
  const generic = [
    { name: 'Discovery URL', value: c.discoveryUrl },
    { name: 'API root URL', value: c.apiRootUrl },
    { name: 'Collection ID', value: c.collectionId },
    { name: 'Username', value: c.email },
    { name: 'Password', value: KEY_PLACEHOLDER },
    { name: 'TAXII version', value: '2.1' },
  ];
  return [
    {
      id: 'sentinel',
      product: 'Microsoft Sentinel',
      where: 'Data connectors › Threat Intelligence - TAXII › Open connector page',
      fields: [
        { name: 'Friendly name (for server)', value: `SOC Defenders – ${c.collectionTitle}` },
        { name: 'API root URL', value: c.apiRootUrl },
        { name: 'Collection ID', value: c.collectionId },
        { name: 'Username', value: c.email },
        { name: 'Password', value: KEY_PLACEHOLDER },
        { name: 'Import indicators', value: 'as you choose (e.g. "At most one month old")' },
        { name: 'Polling frequency', value: 'Once an hour (or as you choose)' },
      ],
      notes: ['Add one connector entry per collection. Sentinel takes the API root URL, not the discovery URL.'],
    },
    {
      id: 'splunk',
      product: 'Splunk Enterprise Security',
      where: 'Configure › Data Enrichment › Threat Intelligence Management › New › TAXII',
      fields: generic,
      notes: [
        'The form differs between ES versions (ES 8.4 and later keep the username and password under SA-ThreatIntelligence › Configuration › Credentials): see the vendor\'s guide for the field names, and give it the values above.',
      ],
    },
    {
      id: 'elastic',
      product: 'Elastic Security',
      where: 'Integrations › Custom Threat Intelligence (ti_custom, Elastic Agent), TAXII 2.1 collection',
      fields: [...generic, { name: 'Objects URL', value: c.objectsUrl }],
      notes: [
        'The Custom Threat Intelligence integration acts as a TAXII 2.1 client; the Filebeat threatintel module has no TAXII fileset. See the vendor\'s guide for its field names, with HTTP Basic authentication and the values above.',
      ],
    },
    {
      id: 'qradar',
      product: 'IBM QRadar',
      where: 'QRadar Threat Intelligence app › Add Threat Feed (TAXII)',
      fields: generic,
      notes: ['See the vendor\'s guide for the app version you run; give it the discovery URL (or the API root), the collection and the Basic credentials above.'],
    },
    {
      id: 'opencti',
      product: 'OpenCTI',
      where: 'Data › Ingestion › TAXII Feeds › Create',
      fields: [
        { name: 'TAXII server URL', value: c.apiRootUrl },
        { name: 'TAXII collection', value: c.collectionId },
        { name: 'TAXII version', value: '2.1' },
        { name: 'Authentication type', value: 'Basic user / password' },
        { name: 'Username', value: c.email },
        { name: 'Password', value: KEY_PLACEHOLDER },
      ],
      notes: ['OpenCTI asks for the API root as its "TAXII server URL". Create a dedicated OpenCTI user for the feed, as its guide recommends.'],
    },
    {
      id: 'taxii2-client',
      product: 'OASIS taxii2-client (Python)',
      where: 'pip install taxii2-client',
      fields: [],
      snippet: {
        label: 'Python',
        text: [
          'import os',
          'from taxii2client.v21 import Server, Collection, as_pages',
          '',
          `USER = ${JSON.stringify(c.email)}`,
          `KEY = os.environ["SOCD_API_KEY"]  # ${KEY_PLACEHOLDER}: keep it out of the code`,
          '',
          `server = Server(${JSON.stringify(c.discoveryUrl)}, user=USER, password=KEY)`,
          'print(server.title, [root.url for root in server.api_roots])',
          '',
          `collection = Collection(${JSON.stringify(`${c.apiRootUrl}collections/${c.collectionId}/`)}, user=USER, password=KEY)`,
          'for bundle in as_pages(collection.get_objects, per_request=1000):',
          '    for obj in bundle.get("objects", []):',
          '        print(obj["type"], obj["id"])',
        ].join('\n'),
      },
      notes: ['Set SOCD_API_KEY in the environment to one of your keys (Access page).'],
    },
  ];
}
