/** The nine IOC types we store. Every list (validator, OpenAPI enum, SQL CHECK) derives from this one. */
export const IOC_TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'cve', 'email'] as const;
export type IocType = (typeof IOC_TYPES)[number];

/** The STIX type of an IOC's objects (docs/stix-mapping.md §1): a CVE is a `vulnerability`, every other type an `indicator`. */
export function stixTypeOf(type: IocType): 'indicator' | 'vulnerability' {
  return type === 'cve' ? 'vulnerability' : 'indicator';
}

export function isIocType(value: string): value is IocType {
  return (IOC_TYPES as readonly string[]).includes(value);
}

/** An IOC's status: active until revoked (by decay, a source's withdrawal or `socd revoke`); the SQL CHECK lists the same. */
export const IOC_STATUSES = ['active', 'revoked'] as const;
export type IocStatus = (typeof IOC_STATUSES)[number];
