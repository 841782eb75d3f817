import dns, { type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { addressClass, literalAddress } from '../connectors/transport/address-guard.js';
import { addressInRanges, type Cidr } from '../domain/network.js';

/**
 * Where a webhook may post (README "Webhooks", SSRF): URLs are set by users, so a webhook must not become a way to
 * reach the server's own network or a cloud metadata service. Public addresses only, over https, unless the operator
 * allows more (SOCD_WEBHOOK_ALLOW_PRIVATE): `true` for private and loopback addresses (link-local, metadata and the
 * other special ranges stay refused), or a list of addresses/CIDRs allowed whatever their class. Plain http is for
 * allowed non-public targets only. Checked when a webhook is saved and again at every delivery, on the address
 * actually connected to (a name that resolves elsewhere later — DNS rebinding — is caught there).
 */
export interface TargetPolicy {
  allowPrivate: boolean;
  allow: readonly Cidr[];
}

export const PUBLIC_ONLY: TargetPolicy = { allowPrivate: false, allow: [] };

const MAX_URL = 2048;

/** Why an address may not be posted to, or undefined when it may. `plainHttp`: the URL is http, not https. */
export function addressRefusal(address: string, policy: TargetPolicy, plainHttp: boolean): string | undefined {
  const a = address.replace(/^\[|\]$/g, '');
  if (policy.allow.length && addressInRanges(a, policy.allow)) return undefined;
  const cls = addressClass(a);
  if (cls === 'public') return plainHttp ? `plain http to a public address (${a}) is refused: use https` : undefined;
  if (policy.allowPrivate && (cls === 'private' || cls === 'loopback')) return undefined;
  return `${a} is a ${cls} address: webhooks go to public addresses unless SOCD_WEBHOOK_ALLOW_PRIVATE allows it`;
}

/** The URL of a webhook, checked for shape: http(s), no credentials, no fragment, bounded. A reason when it is not one. */
export function parseTargetUrl(raw: unknown): URL | string {
  if (typeof raw !== 'string' || raw.trim() === '') return 'required: the https URL to post to';
  if (raw.length > MAX_URL) return `at most ${MAX_URL} characters`;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.username || url.password) return 'credentials in the URL are refused: the receiver checks the x-socd-signature header instead';
  if (url.hash) return 'a URL with a #fragment is refused';
  return url;
}

/** Resolves a name to every address it has (bounded in time: a dead resolver must not hold a request). */
export async function resolveAll(host: string, timeoutMs = 5000): Promise<LookupAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      dns.promises.lookup(host, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`resolving ${host} took longer than ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Why the webhook URL may not be used now (after resolving its name: every address must be allowed), or undefined.
 * Used when a webhook is saved; delivery checks the address it connects to (guardedLookup).
 */
export async function targetRefusal(url: URL, policy: TargetPolicy, resolve = resolveAll): Promise<string | undefined> {
  const plain = url.protocol === 'http:';
  const literal = literalAddress(url);
  if (literal) return addressRefusal(literal, policy, plain);
  let answers: LookupAddress[];
  try {
    answers = await resolve(url.hostname);
  } catch (err) {
    return `${url.hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (!answers.length) return `${url.hostname} has no address`;
  for (const a of answers) {
    const why = addressRefusal(a.address, policy, plain);
    if (why) return `${url.hostname} resolves to ${why}`;
  }
  return undefined;
}

/** What a refused address fails a delivery with. */
export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

/**
 * A `lookup` for http(s).request that hands the socket only addresses the policy allows: the check is made on the
 * address connected to, so a name cannot resolve to a public address when saved and to 169.254.169.254 when used.
 */
export function guardedLookup(policy: TargetPolicy, plainHttp: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void => {
    const check = (answers: LookupAddress[]) => {
      const ok = answers.filter((a) => addressRefusal(a.address, policy, plainHttp) === undefined);
      if (!ok.length) return callback(new TargetRefused(answers.length ? addressRefusal(answers[0]!.address, policy, plainHttp)! : `${hostname} has no address`), '');
      if (options.all) callback(null, ok);
      else callback(null, ok[0]!.address, ok[0]!.family);
    };
    const family = isIP(hostname);
    if (family) return check([{ address: hostname, family }]);
    dns.lookup(hostname, { ...options, all: true }, (err, answers) => (err ? callback(err, '') : check(answers)));
  };
}
