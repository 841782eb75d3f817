/**
 * Shared infrastructure is not an indicator. A phishing page on Cloudflare, a Weebly site or a Google Sites page
 * resolves to an address that serves millions of other sites: blocking it blocks half the web, and about 15% of
 * the addresses PhishStats lists are such. An address inside these ranges is context (where the URL was hosted),
 * not an IOC: the exclusions drop it (reason "CDN/shared hosting range (<provider>)") and keep the URL or domain
 * of the same record, tagged `hosted-on:<provider>`. Config `exclusions.cdn: false` turns this list off.
 *
 * The ranges are the providers' own publications where they publish one (named per provider below), as of 2025.
 * Lists change: a range missing here only means an address is stored as an IOC as before; add networks with
 * config `exclusions.networks`. Where a full list is huge or unpublished, a documented subset of the main blocks
 * is kept and says so.
 */
export interface CdnProvider {
  /** Shown in the exclusion reason: "CDN/shared hosting range (Cloudflare)". */
  name: string;
  /** The tag a URL or domain of the same record gets: `hosted-on:<slug>`. */
  slug: string;
  cidrs: readonly string[];
}

export const CDN_PROVIDERS: readonly CdnProvider[] = [
  {
    // https://www.cloudflare.com/ips-v4 and https://www.cloudflare.com/ips-v6 (the complete published lists).
    name: 'Cloudflare',
    slug: 'cloudflare',
    cidrs: [
      '173.245.48.0/20', '103.21.244.0/22', '103.22.200.0/22', '103.31.4.0/22', '141.101.64.0/18', '108.162.192.0/18',
      '190.93.240.0/20', '188.114.96.0/20', '197.234.240.0/22', '198.41.128.0/17', '162.158.0.0/15', '104.16.0.0/13',
      '104.24.0.0/14', '172.64.0.0/13', '131.0.72.0/22',
      '2400:cb00::/32', '2606:4700::/32', '2803:f800::/32', '2405:b500::/32', '2405:8100::/32', '2a06:98c0::/29',
      '2c0f:f248::/32',
    ],
  },
  {
    // https://api.fastly.com/public-ip-list (`addresses` and `ipv6_addresses`, complete).
    name: 'Fastly',
    slug: 'fastly',
    cidrs: [
      '23.235.32.0/20', '43.249.72.0/22', '103.244.50.0/24', '103.245.222.0/23', '103.245.224.0/24', '104.156.80.0/20',
      '140.248.64.0/18', '140.248.128.0/17', '146.75.0.0/17', '151.101.0.0/16', '157.52.64.0/18', '167.82.0.0/17',
      '167.82.128.0/20', '167.82.160.0/20', '167.82.224.0/20', '172.111.64.0/18', '185.31.16.0/22', '199.27.72.0/21',
      '199.232.0.0/16',
      '2a04:4e40::/32', '2a04:4e42::/32',
    ],
  },
  {
    // Akamai publishes no list of its edge addresses. A subset: the main blocks registered to Akamai Technologies
    // (ARIN NET-23-0-0-0-1, NET-23-32-0-0-1, NET-23-192-0-0-1, NET-104-64-0-0-1, NET-184-24-0-0-1…; RIPE
    // AKAMAI-PA ranges 2.16.0.0/13, 88.221.0.0/16, 92.122.0.0/15, 95.100.0.0/15), announced by AS20940/AS16625.
    name: 'Akamai',
    slug: 'akamai',
    cidrs: [
      '2.16.0.0/13', '23.0.0.0/12', '23.32.0.0/11', '23.64.0.0/14', '23.192.0.0/11', '72.246.0.0/15', '88.221.0.0/16',
      '92.122.0.0/15', '95.100.0.0/15', '96.6.0.0/15', '96.16.0.0/15', '104.64.0.0/10', '173.222.0.0/15',
      '184.24.0.0/13', '184.50.0.0/15', '184.84.0.0/14',
      '2600:1400::/24', '2a02:26f0::/29',
    ],
  },
  {
    // Amazon CloudFront: https://ip-ranges.amazonaws.com/ip-ranges.json, service CLOUDFRONT, region GLOBAL. A
    // subset: the larger global edge blocks (/22 and wider), not the hundred-odd small regional ones, and not
    // CLOUDFRONT_ORIGIN_FACING (addresses that only fetch from origins, never serve a site).
    name: 'Amazon CloudFront',
    slug: 'cloudfront',
    cidrs: [
      '3.160.0.0/14', '13.32.0.0/15', '13.35.0.0/16', '13.224.0.0/14', '13.249.0.0/16', '18.64.0.0/14', '18.154.0.0/15',
      '18.160.0.0/15', '18.164.0.0/15', '18.172.0.0/15', '18.238.0.0/15', '18.244.0.0/15', '52.84.0.0/15',
      '52.124.128.0/17', '52.222.128.0/17', '54.182.0.0/16', '54.192.0.0/16', '54.230.0.0/17', '54.239.128.0/18',
      '54.240.128.0/18', '64.252.64.0/18', '64.252.128.0/18', '65.8.0.0/16', '65.9.0.0/17', '70.132.0.0/18',
      '71.152.0.0/17', '99.84.0.0/16', '99.86.0.0/16', '108.138.0.0/15', '108.156.0.0/14', '143.204.0.0/16',
      '144.220.0.0/16', '204.246.164.0/22', '204.246.168.0/22', '204.246.176.0/20', '205.251.208.0/20',
      '216.137.32.0/19',
      '2600:9000::/28',
    ],
  },
  {
    // Google front ends: the Google-owned serving ranges of https://www.gstatic.com/ipranges/goog.json that are not
    // Google Cloud customer space (cloud.json). They serve Google's own sites and Google-hosted user pages (Sites,
    // Blogger, Firebase Hosting, Forms), where phishing is common. A subset of goog.json; 8.8.8.8 and 8.8.4.4 are
    // excluded as resolvers already.
    name: 'Google',
    slug: 'google',
    cidrs: [
      '64.233.160.0/19', '66.102.0.0/20', '74.125.0.0/16', '108.177.0.0/17',
      '142.250.0.0/15', '172.217.0.0/16', '172.253.0.0/16', '173.194.0.0/16', '209.85.128.0/17', '216.58.192.0/19',
      '216.239.32.0/19',
      '2404:6800::/32', '2607:f8b0::/32', '2800:3f0::/32', '2a00:1450::/32', '2c0f:fb50::/32',
    ],
  },
  {
    // Weebly (Square Online) site hosting: the prefixes of AS27647 (WEEBLY), ARIN NET-199-34-228-0-1 and
    // NET-74-115-48-0-1.
    name: 'Weebly',
    slug: 'weebly',
    cidrs: ['74.115.49.0/24', '74.115.50.0/23', '185.148.180.0/24', '199.34.228.0/22'],
  },
  {
    // Imperva (Incapsula): https://my.imperva.com/api/integration/v1/ips (`ipRanges`, `ipv6Ranges`, complete).
    name: 'Imperva Incapsula',
    slug: 'incapsula',
    cidrs: [
      '45.60.0.0/16', '45.64.64.0/22', '45.223.0.0/16', '103.28.248.0/22', '107.154.0.0/16', '131.125.128.0/17',
      '149.126.72.0/21', '185.11.124.0/22', '192.230.64.0/18', '198.143.32.0/19', '199.83.128.0/21',
      '2a02:e980::/29',
    ],
  },
  {
    // Sucuri website firewall: the ranges Sucuri documents for origin allow-lists (docs.sucuri.net, "Sucuri
    // firewall IP addresses"): 192.124.249.0/24 and the GoDaddy-era blocks.
    name: 'Sucuri',
    slug: 'sucuri',
    cidrs: [
      '66.248.200.0/22', '185.93.228.0/22', '192.88.134.0/23', '192.124.249.0/24', '192.161.0.0/24', '193.19.224.0/23',
      '208.109.0.0/22',
      '2a02:fe80::/29',
    ],
  },
  {
    // GitHub Pages: the addresses GitHub documents for custom domains (185.199.108-111.153 and
    // 2606:50c0:8000-8003::153, the `pages` entries of https://api.github.com/meta), as their blocks.
    name: 'GitHub Pages',
    slug: 'github-pages',
    cidrs: ['185.199.108.0/22', '2606:50c0:8000::/46'],
  },
  {
    // Shopify and Squarespace storefronts: the shared addresses both document for custom domains (Shopify
    // 23.227.38.65, Squarespace 198.185.159.144-145 and 198.49.23.144-145), as their /24s.
    name: 'Shopify',
    slug: 'shopify',
    cidrs: ['23.227.38.0/24'],
  },
  {
    name: 'Squarespace',
    slug: 'squarespace',
    cidrs: ['198.49.23.0/24', '198.185.159.0/24'],
  },
];

/** One range of the table, parsed by the caller (exclusions.ts owns address parsing). */
export interface ParsedRange {
  v6: boolean;
  start: bigint;
  end: bigint;
}

/**
 * Disjoint address ranges with a label each, sorted by start: a look-up is one binary search (IPv4 in plain
 * numbers, IPv6 in bigints), not a scan, because it runs once per ingested address.
 */
export class RangeTable<L> {
  private readonly v4Start: Float64Array;
  private readonly v4End: Float64Array;
  private readonly v4Label: L[];
  private readonly v6Start: bigint[];
  private readonly v6End: bigint[];
  private readonly v6Label: L[];

  constructor(entries: ReadonlyArray<{ range: ParsedRange; label: L; text: string }>) {
    const split = (v6: boolean) => {
      const list = entries.filter((e) => e.range.v6 === v6).sort((a, b) => (a.range.start < b.range.start ? -1 : a.range.start > b.range.start ? 1 : 0));
      for (let i = 1; i < list.length; i++) {
        // Sorted and disjoint, or a search could miss the range that holds an address.
        if (list[i]!.range.start <= list[i - 1]!.range.end) throw new Error(`ranges ${list[i - 1]!.text} and ${list[i]!.text} overlap`);
      }
      return list;
    };
    const v4 = split(false);
    this.v4Start = Float64Array.from(v4, (e) => Number(e.range.start));
    this.v4End = Float64Array.from(v4, (e) => Number(e.range.end));
    this.v4Label = v4.map((e) => e.label);
    const v6 = split(true);
    this.v6Start = v6.map((e) => e.range.start);
    this.v6End = v6.map((e) => e.range.end);
    this.v6Label = v6.map((e) => e.label);
  }

  get size(): number {
    return this.v4Label.length + this.v6Label.length;
  }

  /** The label of a range overlapping [start, end] (an address is start = end), IPv4 as numbers. */
  findV4(start: number, end: number): L | undefined {
    const i = firstEndingAtOrAfter(this.v4End, start);
    return i < this.v4End.length && this.v4Start[i]! <= end ? this.v4Label[i] : undefined;
  }

  findV6(start: bigint, end: bigint): L | undefined {
    const i = firstEndingAtOrAfter(this.v6End, start);
    return i < this.v6End.length && this.v6Start[i]! <= end ? this.v6Label[i] : undefined;
  }
}

/** The first index whose range ends at or after `x` (ends are sorted, since the ranges are sorted and disjoint). */
function firstEndingAtOrAfter<T extends number | bigint>(ends: ArrayLike<T>, x: T): number {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
