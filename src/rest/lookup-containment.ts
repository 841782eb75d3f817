import { urlHost } from '../domain/allowlist.js';
import type { IocType } from '../domain/ioc-types.js';
import { BUCKET_BITS, bucketPrefixes, type Cidr, cidrContains, containingNetworks, parentDomains, parseCidr, textRange } from '../domain/network.js';
import { normalizeAny } from '../domain/normalize.js';
import type { IocLookup } from '../store/store.js';

export interface Key {
  type: IocType;
  value: string;
}

type Family = 'ipv4' | 'ipv6';

const bucketOf = (c: Cidr) => `${c.v6 ? 6 : 4}:${c.start >> BigInt((c.v6 ? 128 : 32) - (c.v6 ? BUCKET_BITS.ipv6 : BUCKET_BITS.ipv4))}`;

/**
 * Which stored networks contain an address (domain/network.ts): networks shorter than the bucket by exact probes of
 * their canonical texts (one key per length in use), longer ones from the address's bucket, found by a range scan of
 * the networks' text index (`load`, one scan per distinct bucket of a chunk, remembered for the whole request) and
 * checked in memory. Revoked networks are candidates too: the verdict reads each IOC's status.
 */
export class Containment {
  private readonly short: Record<Family, number[]>;
  private readonly long: Record<Family, boolean>;
  /** Candidate networks by bucket; a bucket scanned and empty maps to []. */
  private readonly byBucket = new Map<string, Array<{ cidr: Cidr; value: string }>>();
  /** Buckets whose scan is in flight (chunks are loaded concurrently). */
  private readonly scanning = new Map<string, Promise<void>>();

  private constructor(
    private readonly store: IocLookup,
    lengths: Record<Family, readonly number[]>,
  ) {
    this.short = { ipv4: lengths.ipv4.filter((l) => l < BUCKET_BITS.ipv4), ipv6: lengths.ipv6.filter((l) => l < BUCKET_BITS.ipv6) };
    this.long = { ipv4: lengths.ipv4.some((l) => l >= BUCKET_BITS.ipv4), ipv6: lengths.ipv6.some((l) => l >= BUCKET_BITS.ipv6) };
  }

  /** The prefix lengths in use, asked once per request (an index probe per length), for the families `entries` need. */
  static async of(store: IocLookup, entries: readonly Key[]): Promise<Containment> {
    return new Containment(store, {
      ipv4: entries.some((e) => e.type !== 'ipv6') ? await store.networkPrefixLengths('ipv4') : [],
      ipv6: entries.some((e) => e.type !== 'ipv4') ? await store.networkPrefixLengths('ipv6') : [],
    });
  }

  /**
   * Scans the buckets of the addresses among `entries` (and of URL and email hosts that are addresses) not yet
   * scanned, and waits for those of its buckets that another chunk's scan, still in flight, holds.
   */
  async load(entries: readonly Key[]): Promise<void> {
    const wanted: Record<Family, Map<string, Cidr>> = { ipv4: new Map(), ipv6: new Map() };
    const waits = new Set<Promise<void>>();
    for (const e of entries) {
      const c = addressOf(e);
      if (!c) continue;
      const family: Family = c.v6 ? 'ipv6' : 'ipv4';
      // Only a network strictly longer than the bucket's length and shorter than the value can hold it.
      if (!this.long[family] || c.prefix <= BUCKET_BITS[family]) continue;
      const b = bucketOf(c);
      const inFlight = this.scanning.get(b);
      if (inFlight) waits.add(inFlight);
      else if (!this.byBucket.has(b)) wanted[family].set(b, c);
    }
    for (const family of ['ipv4', 'ipv6'] as const) {
      if (wanted[family].size === 0) continue;
      const buckets = [...wanted[family].keys()];
      const scan = this.scan(family, [...wanted[family].values()]).finally(() => {
        for (const b of buckets) this.scanning.delete(b);
      });
      for (const b of buckets) this.scanning.set(b, scan);
      waits.add(scan);
    }
    await Promise.all(waits);
  }

  private async scan(family: Family, addresses: readonly Cidr[]): Promise<void> {
    const found = new Map<string, Array<{ cidr: Cidr; value: string }>>();
    for (const c of addresses) found.set(bucketOf(c), []);
    for (const value of await this.store.networksInRanges(family, addresses.flatMap((c) => bucketPrefixes(c).map(textRange)))) {
      const cidr = parseCidr(family, value);
      if (cidr) found.get(bucketOf(cidr))?.push({ cidr, value });
    }
    for (const [b, list] of found) this.byBucket.set(b, list);
  }

  /** The values of the networks that may contain an address or network, most specific (longest prefix) first. */
  networksOf(type: Family, value: string): string[] {
    const exact = containingNetworks(type, value, this.short[type]);
    const c = parseCidr(type, value);
    const held = c ? (this.byBucket.get(bucketOf(c)) ?? []).filter((n) => n.cidr.prefix < c.prefix && cidrContains(n.cidr, c)) : [];
    if (held.length === 0) return exact;
    held.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
    // Bucket networks are all longer than the exact ones: they come first.
    return [...held.map((n) => n.value), ...exact];
  }

  /** The keys that contain a value, most specific first: networks of an address, the host of a URL, parent domains. */
  widerKeys(k: Key): Key[] {
    switch (k.type) {
      case 'ipv4':
      case 'ipv6':
        return this.networksOf(k.type, k.value).map((value) => ({ type: k.type, value }));
      case 'domain':
        return parentDomains(k.value).map((value) => ({ type: 'domain', value }));
      case 'url':
      case 'email': {
        const host = hostOf(k);
        if (!host) return [];
        if (host.type === 'domain') return [host, ...parentDomains(host.value).map((value) => ({ type: 'domain' as const, value }))];
        return [host, ...this.widerKeys(host)];
      }
      default:
        return [];
    }
  }
}

/** The host of a URL or the domain of an email, normalized: a domain or an address; undefined if neither. */
function hostOf(k: Key): Key | undefined {
  const raw = k.type === 'url' ? urlHost(k.value) : k.type === 'email' ? k.value.slice(k.value.lastIndexOf('@') + 1) : undefined;
  if (raw === undefined) return undefined;
  const literal = raw.startsWith('[') ? raw.slice(1, -1).replace(/^ipv6:/i, '') : raw;
  const n = normalizeAny(literal);
  if (!n.ok || (n.type !== 'domain' && n.type !== 'ipv4' && n.type !== 'ipv6')) return undefined;
  return { type: n.type, value: n.value };
}

/** The address (or network) a value is or is hosted on. */
function addressOf(e: Key): Cidr | undefined {
  if (e.type === 'ipv4' || e.type === 'ipv6') return parseCidr(e.type, e.value);
  const host = e.type === 'url' || e.type === 'email' ? hostOf(e) : undefined;
  return host && (host.type === 'ipv4' || host.type === 'ipv6') ? parseCidr(host.type, host.value) : undefined;
}
