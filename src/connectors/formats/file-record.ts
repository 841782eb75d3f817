import { BAND_RANGES, isConfidenceBand } from '../../domain/confidence.js';
import type { IocType } from '../../domain/ioc-types.js';
import { parseIsoTime } from '../../domain/iso-time.js';
import { normalize, normalizeAny } from '../../domain/normalize.js';
import { isSector } from '../../domain/sectors.js';
import { parseTlp } from '../../domain/tlp.js';
import type { RawRecord } from './raw-record.js';
import { labels, type SourceRecord, typeOf } from './record.js';

function confidenceOf(raw: string | number | undefined): number | null | 'invalid' {
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return null;
  if (typeof raw === 'string' && isConfidenceBand(raw.trim().toLowerCase())) {
    return BAND_RANGES[raw.trim().toLowerCase() as keyof typeof BAND_RANGES].canonical;
  }
  const n = typeof raw === 'number' ? raw : Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? Math.round(n) : 'invalid';
}

/**
 * A file's record (its cells as strings, raw-record.ts) → the one record model, checked as an import checks it:
 * a type, confidence, TLP or time that does not read refuses the record, and the reason names the field (a value
 * that does not normalize is named first, as the converter would). Sectors are our own names only.
 */
export function fileRecord(r: RawRecord, defaultType: IocType | undefined): { record: SourceRecord } | { problem: { line: number; reason: string } } {
  const type = typeOf(r.type, r.value, defaultType);
  const refuse = (reason: string) => {
    const n = type === undefined ? normalizeAny(r.value) : normalize(type as IocType, r.value);
    return { problem: { line: r.line, reason: n.ok ? reason : n.reason } };
  };
  if (type === 'invalid') return { problem: { line: r.line, reason: `unknown type ${JSON.stringify(r.type?.slice(0, 40))}` } };
  const confidence = confidenceOf(r.confidence);
  if (confidence === 'invalid') return refuse(`confidence ${JSON.stringify(String(r.confidence).slice(0, 40))} is not 0–100 or low/medium/high`);
  if (r.tlp !== undefined && !parseTlp(r.tlp)) return refuse(`tlp ${JSON.stringify(r.tlp.slice(0, 40))} is not a TLP level (clear, green, amber, amber+strict, red)`);
  let firstSeen: number | undefined;
  let lastSeen: number | undefined;
  if (r.firstSeen !== undefined) {
    firstSeen = parseIsoTime(r.firstSeen);
    if (firstSeen === undefined) return refuse(`first_seen ${JSON.stringify(r.firstSeen.slice(0, 40))} is not an ISO 8601 date-time`);
  }
  if (r.lastSeen !== undefined) {
    lastSeen = parseIsoTime(r.lastSeen);
    if (lastSeen === undefined) return refuse(`last_seen ${JSON.stringify(r.lastSeen.slice(0, 40))} is not an ISO 8601 date-time`);
  }
  return {
    record: {
      line: r.line,
      values: [{ value: r.value, type }],
      tags: r.tags ?? [],
      malware: r.malware ?? [],
      sectors: labels(r.sectors?.map((s) => s.toLowerCase())).filter(isSector),
      confidence: confidence ?? undefined,
      tlp: r.tlp,
      firstSeen,
      lastSeen,
      reference: r.reference,
    },
  };
}
