import { type IocType, stixTypeOf } from '../domain/ioc-types.js';
import { isoMs as iso } from '../domain/iso-time.js';
import type { IocVersionInput, RenderIocVersion } from '../store/types.js';
import { SPEC_VERSION } from './constants.js';
import { buildPattern } from './pattern-build.js';
import { TLP2_MARKING_IDS } from './tlp-markings.js';

const LABEL: Record<IocType, string> = {
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  domain: 'Domain',
  url: 'URL',
  md5: 'File MD5',
  sha1: 'File SHA-1',
  sha256: 'File SHA-256',
  cve: 'Vulnerability',
  email: 'Email address',
};

/** Tags that mark infrastructure as anonymizing rather than malicious (indicator-type-ov, STIX 2.1 §10.13). */
const ANONYMIZATION_TAGS = new Set(['tor', 'tor-exit', 'anonymization', 'vpn', 'proxy', 'open-proxy']);


/**
 * A batch renders thousands of versions with the same `created` and `modified` (the batch's time), and
 * `toISOString` is a large part of rendering: the last one is remembered.
 */
let lastStampMs = Number.NaN;
let lastStamp = '';
function stamp(ms: number): string {
  if (ms !== lastStampMs) {
    lastStampMs = ms;
    lastStamp = iso(ms);
  }
  return lastStamp;
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** STIX 2.1 §3.1: empty lists are prohibited, so a list property is left out when it would be empty. */
function putList(o: Record<string, unknown>, key: string, list: readonly unknown[]): void {
  if (list.length > 0) o[key] = list;
}

function description(v: IocVersionInput): string {
  const parts = [`${LABEL[v.type]} ${shorten(v.value, 2048)} reported by ${v.sources.map((s) => s.name).join(', ') || 'an operator'}.`];
  if (v.malware.length) parts.push(`Malware: ${v.malware.join(', ')}.`);
  if (v.tags.length) parts.push(`Tags: ${v.tags.join(', ')}.`);
  if (v.sectors.length) parts.push(`Sectors: ${v.sectors.join(', ')}.`);
  parts.push(`Score ${v.score}/100.`);
  return parts.join(' ');
}

/**
 * One IOC version as STIX 2.1 (docs/stix-mapping.md §1): an `indicator` (STIX 2.1 §4.7) for the eight pattern types, a `vulnerability`
 * (STIX 2.1 §4.19) for CVEs. Property order is fixed, so the same input always gives the same text.
 */
export function iocStixObject(v: IocVersionInput, identityId: string): Record<string, unknown> {
  const o: Record<string, unknown> = {
    type: stixTypeOf(v.type),
    spec_version: SPEC_VERSION,
    id: v.stixId,
    created: stamp(v.created),
    modified: stamp(Math.max(v.modified, v.created)),
    created_by_ref: identityId,
    name: v.type === 'cve' ? v.value : shorten(`${LABEL[v.type]} ${v.value}`, 256),
    description: description(v),
  };
  const references = v.sources.map((s) => ({ source_name: s.id, description: s.name }));
  if (v.type === 'cve') {
    o.external_references = [{ source_name: 'cve', external_id: v.value }, ...references];
  } else {
    o.indicator_types = v.tags.some((t) => ANONYMIZATION_TAGS.has(t.toLowerCase())) ? ['anonymization'] : ['malicious-activity'];
    o.pattern = buildPattern(v.type, v.value);
    o.pattern_type = 'stix';
    o.pattern_version = SPEC_VERSION;
    o.valid_from = iso(v.firstSeen);
    // §4.7: valid_until must be later than valid_from.
    o.valid_until = iso(Math.max(v.validUntil, v.firstSeen + 1));
    putList(o, 'external_references', references);
  }
  o.confidence = Math.max(0, Math.min(100, Math.round(v.score)));
  putList(o, 'labels', [...new Set([...v.tags, ...v.malware, ...v.sectors.map((s) => `sector:${s}`)])]);
  o.object_marking_refs = [TLP2_MARKING_IDS[v.tlp]];
  if (v.revoked) o.revoked = true;
  return o;
}

export function iocStixRenderer(identityId: string): RenderIocVersion {
  return (v) => JSON.stringify(iocStixObject(v, identityId));
}
