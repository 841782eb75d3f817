import type { Readable } from 'node:stream';
import { type ParsedItem, type RawRecord, splitList } from './raw-record.js';
import { stixObjectRecords } from './stix-objects.js';
import { parseJson } from './json-text.js';
import { bodyText } from './body-text.js';
import { numberedLines } from './lines.js';

const pick = (o: Record<string, unknown>, ...names: string[]): unknown => {
  for (const n of names) if (o[n] !== undefined && o[n] !== null && o[n] !== '') return o[n];
  return undefined;
};
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** One JSON item: a bare string, or an object with a value field (our own REST output reads back as is). */
export function jsonItemRecord(item: unknown, line: number): ParsedItem {
  if (typeof item === 'string') return { record: { line, value: item } };
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { problem: { line, reason: 'expected a string or an object with a "value" field' } };
  }
  const o = item as Record<string, unknown>;
  const value = text(pick(o, 'value', 'indicator', 'ioc', 'observable'));
  if (value === undefined) return { problem: { line, reason: 'object has no "value" (or "indicator", "ioc") string' } };
  // A string or a number; an object or an array here would reach Number() later and throw or overflow the stack.
  const confidence = pick(o, 'score', 'confidence');
  const record: RawRecord = {
    line,
    value,
    type: text(pick(o, 'type', 'ioc_type')),
    tags: splitList(pick(o, 'tags', 'labels')),
    malware: splitList(pick(o, 'malware', 'malware_family')),
    sectors: splitList(pick(o, 'sectors', 'industry', 'industries')),
    // Our REST answers carry both a band (confidence) and the integer (score): the integer is the finer one.
    confidence: typeof confidence === 'string' || typeof confidence === 'number' ? confidence : undefined,
    tlp: text(pick(o, 'tlp')),
    firstSeen: text(pick(o, 'first_seen', 'firstSeen', 'first_seen_utc')),
    lastSeen: text(pick(o, 'last_seen', 'lastSeen')),
    reference: text(pick(o, 'reference', 'link')),
    validUntil: text(pick(o, 'valid_until', 'validUntil')),
  };
  return { record };
}

/**
 * A JSON document: an array of items, `{"data": [...]}` (our REST list), or a STIX 2.1 bundle.
 * Items are numbered from 1 in error reports.
 */
export async function* parseJsonDocument(input: Readable): AsyncGenerator<ParsedItem> {
  // bodyText drops a UTF-8 byte order mark (common in files saved on Windows), which JSON.parse refuses.
  const json = parseJson(await bodyText(input));
  if (!json.ok) {
    yield { problem: { line: 0, reason: `not valid JSON: ${json.message}` } };
    return;
  }
  let doc = json.value;
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    if (o.type === 'bundle' && Array.isArray(o.objects)) {
      for (const [i, obj] of o.objects.entries()) yield* stixObjectRecords(obj, i + 1);
      return;
    }
    if (Array.isArray(o.data)) doc = o.data;
    else if (Array.isArray(o.objects)) {
      // A TAXII envelope.
      for (const [i, obj] of o.objects.entries()) yield* stixObjectRecords(obj, i + 1);
      return;
    }
  }
  if (!Array.isArray(doc)) {
    yield { problem: { line: 0, reason: 'expected a JSON array, {"data": [...]} or a STIX bundle' } };
    return;
  }
  for (const [i, item] of doc.entries()) yield jsonItemRecord(item, i + 1);
}

/** NDJSON / JSON Lines: one item per line, blank lines ignored. */
export async function* parseNdjson(input: Readable): AsyncGenerator<ParsedItem> {
  for await (const { text: raw, line } of numberedLines(input)) {
    if (raw.trim() === '') continue;
    const json = parseJson(raw);
    if (!json.ok) {
      yield { problem: { line, reason: `not valid JSON: ${json.message}` } };
      continue;
    }
    const item = json.value;
    const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    if (typeof item === 'object' && item !== null && typeof (item as { type?: unknown }).type === 'string' && typeof id === 'string' && id.includes('--')) {
      yield* stixObjectRecords(item, line);
    } else yield jsonItemRecord(item, line);
  }
}
