import type { IocType } from '../../domain/ioc-types.js';
import { isIocType } from '../../domain/ioc-types.js';
import { detectType } from '../../domain/normalize.js';

/**
 * What every delimited feed means by "no value" (issue 12): URLhaus and ThreatFox write `None`, MalwareBazaar `n/a`,
 * others `null`, `-` or nothing. Compared trimmed and case-insensitively, on whole cells and on each item of a list
 * cell; a source's own `nulls` add to these.
 */
export const DELIMITED_NULLS: readonly string[] = ['', 'none', 'null', 'n/a', '-'];

/**
 * The one record model of ingestion (issue 14): what every format hands the pipeline, a feed's (through its
 * FieldMap, map-fields.ts) and a file's (through file-record.ts) alike: values (with a type when the source fixes
 * one) and the fields around them, times as epoch ms. A file import is a source whose transport is a file.
 */
export interface SourceRecord {
  line: number;
  values: Array<{ value: string; type?: IocType | undefined }>;
  /** The source's own type name (lowercase), when the map reads one and has no typeMap. */
  typeName?: string | undefined;
  tags: string[];
  malware: string[];
  sectors: string[];
  confidence?: number | undefined;
  firstSeen?: number | undefined;
  lastSeen?: number | undefined;
  reference?: string | undefined;
  /** The source's own end of validity, epoch ms. */
  expires?: number | undefined;
  /** A TLP marking the record carries (STIX, MISP), overriding the source's default. */
  tlp?: string | undefined;
}

/** What a format yields: a record, a record skipped on purpose (counted by reason), or an unreadable one. */
export type RecordItem = { record: SourceRecord } | { skipped: string } | { problem: { line: number; reason: string } };

/** Names other tools give IOC types (OTX, MISP, STIX object types, our own), lowercase. */
const TYPE_ALIASES: Record<string, IocType | 'ip'> = {
  ip: 'ip', 'ip-src': 'ip', 'ip-dst': 'ip', ipaddress: 'ip', ip_address: 'ip',
  'ipv4-addr': 'ipv4', ipv4address: 'ipv4',
  'ipv6-addr': 'ipv6',
  hostname: 'domain', host: 'domain', 'domain-name': 'domain', fqdn: 'domain',
  uri: 'url', link: 'url',
  'filehash-md5': 'md5', 'filehash-sha1': 'sha1', 'filehash-sha256': 'sha256',
  'sha-1': 'sha1', 'sha-256': 'sha256',
  vulnerability: 'cve',
  'email-addr': 'email', 'email-src': 'email', 'email-dst': 'email', emailaddress: 'email',
};

/** A type name as a source writes it → our type (`fallback` when it names none), or 'invalid'. */
export function typeOf(raw: string | undefined, value: string, fallback: IocType | undefined): IocType | undefined | 'invalid' {
  if (raw === undefined || raw.trim() === '') return fallback;
  const t = raw.trim().toLowerCase();
  if (isIocType(t)) return t;
  const alias = TYPE_ALIASES[t];
  if (alias === 'ip') {
    const detected = detectType(value);
    return detected === 'ipv4' || detected === 'ipv6' ? detected : 'ipv4';
  }
  return alias ?? 'invalid';
}

const MAX_LABELS = 32;
const MAX_LABEL_LENGTH = 128;

/** The words a feed writes for "no value" (None, null, n/a, -): no label. */
const NO_VALUE = new Set(DELIMITED_NULLS);

/** Tags, malware names, sectors: trimmed, deduplicated, no "no value" words or control characters, at most 32. */
export function labels(list: readonly string[] | undefined): string[] {
  if (!list || list.length === 0) return [];
  return [...new Set(list.map((s) => s.trim()).filter((s) => s.length > 0 && s.length <= MAX_LABEL_LENGTH && !NO_VALUE.has(s.toLowerCase()) && !/[\p{Cc}]/u.test(s)))].slice(0, MAX_LABELS);
}
