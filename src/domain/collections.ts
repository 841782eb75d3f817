import { BAND_RANGES } from './confidence.js';
import { IOC_TYPES, type IocType, stixTypeOf } from './ioc-types.js';
import { SECTORS, type Sector } from './sectors.js';

/** What decides whether a version belongs to a built-in collection. */
export interface MemberFacts {
  type: IocType;
  score: number;
  sectors: readonly string[];
}

/**
 * A built-in, read-only view of the IOCs. `id` is a fixed UUIDv4 (Microsoft Sentinel refuses others), the
 * same on every deployment; `alias` is the seed's name, which URLs accept too.
 */
export interface BuiltinCollection {
  id: string;
  alias: string;
  title: string;
  description: string;
  member(f: MemberFacts): boolean;
  /** The IOC types whose versions may belong to it (every type when its rule is not by type). */
  iocTypes: readonly IocType[];
  /** Its rule is by type alone: it holds every version of an IOC of `iocTypes`. */
  byType: boolean;
}

const ofTypes = (...types: IocType[]) => ({ member: (f: MemberFacts) => types.includes(f.type), iocTypes: types, byType: true });
const anyType = (member: (f: MemberFacts) => boolean) => ({ member, iocTypes: IOC_TYPES, byType: false });

/** The built-in collection of every IOC. */
export const ALL_IOCS = 'all-iocs';

const BASE: BuiltinCollection[] = [
  { id: 'acb682e8-5e82-448e-9e44-0c87bf14ab23', alias: ALL_IOCS, title: 'All IOCs', description: 'Every indicator and vulnerability, all types, all confidence levels.', ...anyType(() => true) },
  { id: '0150642d-fd03-46b3-8d7f-23c8f17de8ce', alias: 'ips', title: 'IP addresses', description: 'Indicators of IPv4 and IPv6 addresses and ranges.', ...ofTypes('ipv4', 'ipv6') },
  { id: '721dfcae-b386-4dcf-ab9c-2a4281ade040', alias: 'domains', title: 'Domains', description: 'Indicators of domain names.', ...ofTypes('domain') },
  { id: '297bc0bc-deda-4360-b397-e8b880bce2cf', alias: 'urls', title: 'URLs', description: 'Indicators of URLs.', ...ofTypes('url') },
  { id: '8272a1fb-7e84-4136-8739-77980bacd6e1', alias: 'hashes', title: 'File hashes', description: 'Indicators of files by MD5, SHA-1 and SHA-256.', ...ofTypes('md5', 'sha1', 'sha256') },
  { id: 'eb387d90-16dd-4cfd-b364-874e1a6e36c8', alias: 'cves', title: 'Vulnerabilities', description: 'Vulnerabilities (CVE) seen exploited or reported by the sources.', ...ofTypes('cve') },
  { id: 'd781ca56-ffd5-4c2a-a022-b3c4652600c9', alias: 'emails', title: 'Email addresses', description: 'Indicators of email addresses.', ...ofTypes('email') },
  {
    id: 'bc4b9982-aef2-4ec9-83bf-51a381b80e13', alias: 'high-confidence', title: 'High confidence',
    description: `Indicators and vulnerabilities scored ${BAND_RANGES.high.min} or more.`, ...anyType((f) => f.score >= BAND_RANGES.high.min),
  },
];

const SECTOR_IDS: Record<Sector, string> = {
  chemical: '9ff7b08b-2b56-4578-9fdf-1b263c74bf13',
  'commercial-facilities': '6d4caff9-5d31-4017-8239-4ae69ea6dc94',
  communications: '8ec07fa3-6f61-4ae0-9d75-a49c57965e3d',
  'critical-manufacturing': 'ff1223e3-d7c7-46b8-822d-c4a6cb6be3ac',
  dams: '86cf3b37-73c4-4b61-8c8d-51de7432e4fb',
  'defense-industrial-base': 'b13a1828-e687-4dca-bfc0-9af7d7aee589',
  'emergency-services': 'dfcf7f0b-3cc1-43d3-be62-efc397b6877b',
  energy: 'e5cba1d5-210d-48ca-b335-024576a6e962',
  'financial-services': '29809f6b-8289-4530-8cdc-06306f7f645c',
  'food-agriculture': 'a91c96a6-8666-467c-88da-a40cd955a2aa',
  'government-facilities': 'decab6eb-04e2-4fb7-adcd-7c01ae8dfeae',
  'healthcare-public-health': 'c43d7d31-061a-4768-b35d-ebfa00ac2c07',
  'information-technology': '47a4be0e-6eae-4d21-938f-fedcfea89b46',
  nuclear: '16028755-b6a9-44ad-8152-3f6afc79b431',
  'transportation-systems': 'f3ce340a-4d04-41aa-9f20-55f66262c785',
  'water-wastewater': '6f49462d-bbb7-403b-9bcc-b811ca0c1f8f',
};

/** The built-in collections: the seed's eight, then one per CISA sector (`sector-<slug>`). */
export const BUILTIN_COLLECTIONS: readonly BuiltinCollection[] = [
  ...BASE,
  ...SECTORS.map((sector) => ({
    id: SECTOR_IDS[sector],
    alias: `sector-${sector}`,
    title: `Sector: ${sector}`,
    description: `Indicators and vulnerabilities that concern the ${sector} critical-infrastructure sector (CISA).`,
    ...anyType((f: MemberFacts) => f.sectors.includes(sector)),
  })),
];

/**
 * The STIX types of the IOC versions a built-in collection may hold (`indicator`, `vulnerability`); undefined for
 * another collection. Its other objects are the shared ones (the producer's identity, the TLP markings), which no
 * IOC owns.
 */
export function builtinIocStixTypes(alias: string): ReadonlySet<string> | undefined {
  const c = BUILTIN_COLLECTIONS.find((b) => b.alias === alias);
  return c && new Set(c.iocTypes.map(stixTypeOf));
}

/**
 * The built-in collection whose rule is by type and whose IOC versions are exactly those of these STIX types, if there
 * is one: with the shared objects, which every built-in collection holds, it is `all-iocs` filtered to those types
 * (`cves` for `vulnerability`).
 */
export function builtinCollectionOfStixTypes(stixTypes: ReadonlySet<string>): string | undefined {
  const wanted = IOC_TYPES.filter((t) => stixTypes.has(stixTypeOf(t)));
  return BUILTIN_COLLECTIONS.find((c) => c.byType && c.iocTypes.length === wanted.length && wanted.every((t) => c.iocTypes.includes(t)))?.alias;
}

/** The aliases of the built-in collections a version belongs to: the rows of `collection_members`. */
export function builtinMemberships(f: MemberFacts): string[] {
  return BUILTIN_COLLECTIONS.filter((c) => c.member(f)).map((c) => c.alias);
}
