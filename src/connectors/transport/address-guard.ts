import dns, { type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a download may go (issue 13 §10). Addresses fall in classes ordered from the most public down; a download
 * starts at the class of its configured URL and may never reach a less public one: not by a redirect, and not by a
 * name that resolves (at connect time, so DNS rebinding does not get round it) to such an address. Tests and
 * air-gapped mirrors configure loopback or private hosts on purpose: from there, the same class or a more public
 * one is fine.
 */
export type AddressClass = 'public' | 'private' | 'loopback' | 'special';

/** public > private (RFC 1918, CGNAT, ULA) > loopback > special (link-local, cloud metadata, multicast, reserved…). */
const RANK: Readonly<Record<AddressClass, number>> = { public: 3, private: 2, loopback: 1, special: 0 };

function table(v4: readonly string[], v6: readonly string[]): BlockList {
  const list = new BlockList();
  for (const net of v4) {
    const [a, p] = net.split('/');
    list.addSubnet(a!, Number(p), 'ipv4');
  }
  for (const net of v6) {
    const [a, p] = net.split('/');
    list.addSubnet(a!, Number(p), 'ipv6');
  }
  return list;
}

const PRIVATE = table(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], ['fc00::/7']);
const LOOPBACK = table(['127.0.0.0/8'], ['::1/128']);
/** IANA special-purpose space that is neither private nor loopback (RFC 6890 and successors). */
const SPECIAL = table(
  ['0.0.0.0/8', '169.254.0.0/16', '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '198.18.0.0/15', '198.51.100.0/24',
    '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4'],
  ['::/128', 'fe80::/10', 'ff00::/8', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', '3fff::/20'],
);
/** Outside 2000::/3 (and the ULA, loopback ranges above) no IPv6 address is global unicast. */
const GLOBAL_V6 = table([], ['2000::/3']);

/** An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`) is that IPv4 address. */
function unmapped(address: string): string {
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return address;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The class of an IP address (brackets allowed); anything that is not an address is `special`. */
export function addressClass(address: string): AddressClass {
  const a = unmapped(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  const family = isIP(a);
  if (family === 0) return 'special';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LOOPBACK.check(a, type)) return 'loopback';
  if (PRIVATE.check(a, type)) return 'private';
  if (SPECIAL.check(a, type)) return 'special';
  if (type === 'ipv6' && !GLOBAL_V6.check(a, 'ipv6')) return 'special';
  return 'public';
}

/** The IP literal a URL's host is; undefined for a name (names are checked on what they resolve to, at connect time). */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? host : undefined;
}

/**
 * Why a redirect from `from` (where the download started) to `to`, whose host is at `resolvedAddress`, must not be
 * followed; undefined when it may. `fromAddress` is what the starting host resolved to; without it the start is its
 * IP literal, or public for a name (the strictest reading). Only http and https are followed.
 */
export function redirectRefusal(from: string | URL, to: string | URL, resolvedAddress: string, fromAddress?: string): string | undefined {
  const f = new URL(from);
  const t = new URL(to);
  if (t.protocol !== 'http:' && t.protocol !== 'https:') return `a redirect to ${t.protocol} is never followed (http and https only)`;
  const literal = fromAddress ?? literalAddress(f);
  // A name without its address is held to be public, the strictest reading; `localhost` is loopback (RFC 6761).
  const start = literal ? addressClass(literal) : /^(.+\.)?localhost\.?$/i.test(f.hostname) ? 'loopback' : 'public';
  return lessPublic(t.host, resolvedAddress, start);
}

/** The pure rule behind every check: may a download that started at `from` go to `to` at `resolvedAddress`? */
export const redirectAllowed = (from: string | URL, to: string | URL, resolvedAddress: string, fromAddress?: string): boolean =>
  redirectRefusal(from, to, resolvedAddress, fromAddress) === undefined;

function lessPublic(host: string, address: string, start: AddressClass): string | undefined {
  const cls = addressClass(address);
  if (RANK[cls] >= RANK[start]) return undefined;
  return `${host} is at ${address}, a ${cls} address: less public than where the download started (${start}), so it is not reached`;
}

/** What a refused address fails with (found in the cause chain of a failed fetch). */
export class AddressRefused extends Error {
  override name = 'AddressRefused';
  readonly code = 'ESOCD_ADDRESS';
}

/**
 * The address rule of one download (all its hops and retries). The floor is the class of the configured URL: its IP
 * literal, or else what its name resolves to on the first connection; from then on every connection, to any host,
 * must reach an address of that class or a more public one.
 */
export class AddressGuard {
  private floor: AddressClass | undefined;
  private readonly startHost: string;

  constructor(start: URL) {
    this.startHost = start.hostname.toLowerCase();
    const literal = literalAddress(start);
    if (literal) this.floor = addressClass(literal);
  }

  get startClass(): AddressClass | undefined {
    return this.floor;
  }

  /** The URL whose host is an IP literal, checked before it is requested (no DNS lookup happens for those). */
  checkLiteral(url: URL): void {
    const literal = literalAddress(url);
    if (literal === undefined) return;
    // Before any connection has told where a named start is, it is held to be public (the strictest reading).
    const why = lessPublic(url.host, literal, this.floor ?? 'public');
    if (why) throw new AddressRefused(why);
  }

  /** The resolver's answers for `hostname` that may be reached (the floor is set by the first answer for the start host). */
  admit(hostname: string, answers: readonly LookupAddress[]): LookupAddress[] {
    if (this.floor === undefined) {
      // The configured host: it is where we start, whatever class it is (a mirror on 10.x is configured so on purpose).
      // Any other host before it (cannot happen: the first request goes to the start) is held to public.
      this.floor = hostname.toLowerCase() === this.startHost && answers.length
        ? answers.map((a) => addressClass(a.address)).reduce((best, c) => (RANK[c] > RANK[best] ? c : best), 'special' as AddressClass)
        : 'public';
    }
    const floor = this.floor;
    const ok = answers.filter((a) => RANK[addressClass(a.address)] >= RANK[floor]);
    if (!ok.length) throw new AddressRefused(answers.length ? lessPublic(hostname, answers[0]!.address, floor)! : `${hostname} has no address`);
    return ok;
  }

  /** A `lookup` for net/tls.connect: the check happens on the address actually connected to (DNS rebinding defeated). */
  lookup = (hostname: string, options: dns.LookupOptions, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, answers) => {
      if (err) return callback(err, '');
      let ok: LookupAddress[];
      try {
        ok = this.admit(hostname, answers);
      } catch (e) {
        return callback(e as Error, '');
      }
      if (options.all) callback(null, ok);
      else callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

/** An undici dispatcher (what `fetch`'s `dispatcher` option takes): closed when its download is over. */
export interface GuardedDispatcher {
  destroy(): Promise<void>;
}

type AgentClass = new (options: { connect: { lookup: AddressGuard['lookup'] } }) => GuardedDispatcher;
let agentClass: AgentClass | null | undefined;

/**
 * A dispatcher for Node's own `fetch` whose connections resolve through the guard. Node bundles undici without
 * exporting it; its Agent class is the constructor of the global dispatcher (shared across undici copies under a
 * registered symbol). Null when that is not an Agent (someone installed a proxy dispatcher): the caller then checks
 * names before each request instead (weaker: a rebinding between the check and the connection is not caught).
 */
export async function guardedDispatcher(guard: AddressGuard): Promise<GuardedDispatcher | null> {
  if (agentClass === undefined) {
    const key = Symbol.for('undici.globalDispatcher.1');
    const slot = globalThis as unknown as Record<symbol, unknown>;
    if (!slot[key]) await fetch('data:,').then((r) => r.arrayBuffer(), () => undefined);
    const global = slot[key];
    const ctor = global ? (Object.getPrototypeOf(global) as { constructor?: unknown }).constructor : undefined;
    agentClass = typeof ctor === 'function' && ctor.name === 'Agent' ? (ctor as AgentClass) : null;
  }
  return agentClass ? new agentClass({ connect: { lookup: guard.lookup } }) : null;
}

/** The fallback of guardedDispatcher: resolve the name and check it before the request. */
export async function precheckName(guard: AddressGuard, url: URL): Promise<void> {
  if (literalAddress(url) !== undefined) return;
  let answers: LookupAddress[];
  try {
    answers = await dns.promises.lookup(url.hostname, { all: true });
  } catch {
    return; // the request itself fails on the name, with the resolver's code
  }
  guard.admit(url.hostname, answers);
}
