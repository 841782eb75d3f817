import { BAND_RANGES, isConfidenceBand } from '../../domain/confidence.js';
import { isIocType, type IocType } from '../../domain/ioc-types.js';
import { detectType, normalize, normalizeAny } from '../../domain/normalize.js';
import { isSector } from '../../domain/sectors.js';
import { parseTlp, type Tlp } from '../../domain/tlp.js';
import { parseIsoTime } from '../../domain/iso-time.js';
import type { Observation } from '../../store/types.js';
import type { RawRecord } from '../formats/raw-record.js';
import { DELIMITED_NULLS } from '../formats/delimited-shape.js';

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

export interface RecordDefaults {
  type?: IocType | undefined;
  confidence?: number | null | undefined;
  tlp?: Tlp | null | undefined;
  now: number;
}

export type Converted = { ok: true; observation: Observation } | { ok: false; reason: string };

const MAX_LABELS = 32;
const MAX_LABEL_LENGTH = 128;

/** The words a feed writes for "no value" (None, null, n/a, -), as delimited sources read them: no label. */
const NO_VALUE = new Set(DELIMITED_NULLS);

export function labels(list: readonly string[] | undefined): string[] {
  if (!list || list.length === 0) return [];
  return [...new Set(list.map((s) => s.trim()).filter((s) => s.length > 0 && s.length <= MAX_LABEL_LENGTH && !NO_VALUE.has(s.toLowerCase()) && !/[\p{Cc}]/u.test(s)))].slice(0, MAX_LABELS);
}

function confidenceOf(raw: string | number | undefined): number | null | 'invalid' {
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return null;
  if (typeof raw === 'string' && isConfidenceBand(raw.trim().toLowerCase())) {
    return BAND_RANGES[raw.trim().toLowerCase() as keyof typeof BAND_RANGES].canonical;
  }
  const n = typeof raw === 'number' ? raw : Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? Math.round(n) : 'invalid';
}

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

/** Validates and normalizes one parsed record; the reason of a refusal names the field. */
export function recordToObservation(r: RawRecord, d: RecordDefaults): Converted {
  const type = typeOf(r.type, r.value, d.type);
  if (type === 'invalid') return { ok: false, reason: `unknown type ${JSON.stringify(r.type?.slice(0, 40))}` };
  const n = type === undefined ? normalizeAny(r.value) : normalize(type, r.value);
  if (!n.ok) return { ok: false, reason: n.reason };
  const confidence = confidenceOf(r.confidence);
  if (confidence === 'invalid') return { ok: false, reason: `confidence ${JSON.stringify(String(r.confidence).slice(0, 40))} is not 0–100 or low/medium/high` };
  let tlp: Tlp | null = d.tlp ?? null;
  if (r.tlp !== undefined) {
    const parsed = parseTlp(r.tlp);
    if (!parsed) return { ok: false, reason: `tlp ${JSON.stringify(r.tlp.slice(0, 40))} is not a TLP level (clear, green, amber, amber+strict, red)` };
    tlp = parsed;
  }
  let firstSeen: number | undefined;
  let lastSeen: number | undefined;
  if (r.firstSeen !== undefined) {
    firstSeen = parseIsoTime(r.firstSeen);
    if (firstSeen === undefined) return { ok: false, reason: `first_seen ${JSON.stringify(r.firstSeen.slice(0, 40))} is not an ISO 8601 date-time` };
  }
  if (r.lastSeen !== undefined) {
    lastSeen = parseIsoTime(r.lastSeen);
    if (lastSeen === undefined) return { ok: false, reason: `last_seen ${JSON.stringify(r.lastSeen.slice(0, 40))} is not an ISO 8601 date-time` };
  }
  firstSeen ??= lastSeen ?? d.now;
  lastSeen = Math.max(lastSeen ?? d.now, firstSeen);
  return {
    ok: true,
    observation: {
      type: n.type,
      value: n.value,
      confidence: confidence ?? d.confidence ?? null,
      tags: labels(r.tags),
      malware: labels(r.malware),
      sectors: labels(r.sectors?.map((s) => s.toLowerCase())).filter(isSector),
      tlp,
      firstSeen,
      lastSeen,
      reference: r.reference?.slice(0, 2048) ?? null,
    },
  };
}
