/**
 * What identifies a version of any STIX object a TAXII client sends or a server export holds: its id, its spec
 * version and its version timestamp. Shared by add-objects, the medallion loader and the query parser.
 */

/**
 * A STIX identifier: `type--UUID`. The OASIS identifier schema (common/identifier.json) allows upper-case hex digits
 * in the UUID, so do we; ids are kept and compared exactly as sent.
 */
export const STIX_IDENTIFIER = /^[a-z][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The STIX Cyber-observable Objects of STIX 2.1 §6. 2.0 had none at the top level. */
export const CYBER_OBSERVABLE_TYPES: ReadonlySet<string> = new Set([
  'artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr',
  'ipv6-addr', 'mac-addr', 'mutex', 'network-traffic', 'process', 'software', 'url', 'user-account',
  'windows-registry-key', 'x509-certificate',
]);

type Obj = Record<string, unknown>;

/**
 * The spec version of an object: its `spec_version`; without one, an SCO is 2.1 (`spec_version` is optional on SCOs,
 * STIX 2.1 §6.1), while an SDO, SRO or marking definition is 2.0 (2.0 had no such property; 2.1 requires it on them).
 * A custom object without `created` is taken for an SCO.
 */
export function specVersionOf(o: Obj): string {
  if (typeof o.spec_version === 'string') return o.spec_version;
  const sco = CYBER_OBSERVABLE_TYPES.has(String(o.type)) || (typeof o.created !== 'string' && typeof o.modified !== 'string');
  return sco ? '2.1' : '2.0';
}

/**
 * The version of an object, epoch ms (TAXII 2.1 §5.3, manifest-record `version`): STIX `modified`; for an object
 * that is not versioned, its `created`; with neither (most SCOs) null, and the server versions it by the time it
 * added it (its `date_added`), as medallion does. NaN when a timestamp is there but unreadable.
 */
export function versionOf(o: Obj): number | null {
  const text = typeof o.modified === 'string' ? o.modified : typeof o.created === 'string' ? o.created : undefined;
  return text === undefined ? null : Date.parse(text);
}
