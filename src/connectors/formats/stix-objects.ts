import { parsePattern } from '../../stix/pattern-parse.js';
import { tlpOfMarkings } from '../../stix/tlp-markings.js';
import type { ParsedItem } from './raw-record.js';

const SECTOR_LABEL = /^sector:(.+)$/;
const CVE_NAME = /^CVE-\d{4}-\d{4,}$/i;

/**
 * STIX 2.1 objects to records: an indicator's pattern (the simple forms, STIX 2.1 §9) gives its values; a
 * vulnerability gives its CVE. Anything else is skipped and counted by type, not an error.
 */
export function* stixObjectRecords(obj: unknown, line: number): Generator<ParsedItem> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    yield { problem: { line, reason: 'STIX object is not a JSON object' } };
    return;
  }
  const o = obj as Record<string, unknown>;
  const type = typeof o.type === 'string' ? o.type : '(no type)';
  if (o.revoked === true) {
    yield { skipped: `${type} (revoked)` };
    return;
  }
  const labels = Array.isArray(o.labels) ? o.labels.filter((l): l is string => typeof l === 'string') : [];
  const sectors = labels.map((l) => SECTOR_LABEL.exec(l)?.[1]).filter((s): s is string => s !== undefined);
  const tags = labels.filter((l) => !SECTOR_LABEL.test(l));
  const confidence = typeof o.confidence === 'number' ? o.confidence : undefined;
  const firstSeen = typeof o.valid_from === 'string' ? o.valid_from : typeof o.created === 'string' ? o.created : undefined;
  const lastSeen = typeof o.modified === 'string' ? o.modified : undefined;
  const reference = typeof o.id === 'string' ? o.id : undefined;
  // A marked object keeps its marking: importing must not loosen what the producer allowed.
  const tlp = tlpOfMarkings(o.object_marking_refs);

  if (type === 'indicator') {
    if (o.pattern_type !== undefined && o.pattern_type !== 'stix') {
      // Not String(): a deeply nested array overflows the stack, an object with a "toString" key throws.
      const patternType = typeof o.pattern_type === 'string' ? o.pattern_type.slice(0, 40) : typeof o.pattern_type;
      yield { skipped: `indicator (pattern_type ${patternType})` };
      return;
    }
    if (typeof o.pattern !== 'string') {
      yield { problem: { line, reason: `${reference ?? 'indicator'}: no pattern` } };
      return;
    }
    const parsed = parsePattern(o.pattern);
    if (!parsed.ok) {
      yield { problem: { line, reason: `${reference ?? 'indicator'}: ${parsed.reason}` } };
      return;
    }
    for (const term of parsed.terms) {
      yield { record: { line, value: term.value, type: term.type, tags, sectors, confidence, tlp, firstSeen, lastSeen, reference } };
    }
    return;
  }
  if (type === 'vulnerability') {
    const refs = Array.isArray(o.external_references) ? (o.external_references as Array<Record<string, unknown>>) : [];
    const fromRef = refs.find((r) => r?.source_name === 'cve' && typeof r.external_id === 'string')?.external_id as string | undefined;
    const cve = fromRef ?? (typeof o.name === 'string' && CVE_NAME.test(o.name) ? o.name : undefined);
    if (!cve) {
      yield { skipped: 'vulnerability (no CVE id)' };
      return;
    }
    yield { record: { line, value: cve, type: 'cve', tags, sectors, confidence, tlp, firstSeen, lastSeen, reference } };
    return;
  }
  yield { skipped: type };
}
