import type { Readable } from 'node:stream';
import { stixObjectRecords } from './stix-objects.js';
import type { ParsedItem } from './raw-record.js';
import { parseSourceTime } from './source-time.js';
import type { TaxiiShape } from '../catalog/source-definition.js';
import type { FetchContext } from '../transport/fetch-context.js';
import { bodyText } from './body-text.js';
import type { RecordItem } from './record.js';
import { parseJson } from './json-text.js';
import { TAXII_MEDIA_TYPE } from '../../stix/constants.js';

/** A parsed STIX record (stix-objects.ts) as a shape item. */
export function fromParsed(item: ParsedItem): RecordItem {
  if (!('record' in item)) return item;
  const r = item.record;
  const confidence = r.confidence === undefined ? undefined : Number(r.confidence);
  return {
    record: {
      line: r.line,
      values: [{ value: r.value }],
      typeName: r.type,
      tags: r.tags ?? [],
      malware: r.malware ?? [],
      sectors: r.sectors ?? [],
      confidence: confidence !== undefined && Number.isFinite(confidence) ? confidence : undefined,
      firstSeen: r.firstSeen === undefined ? undefined : parseSourceTime(r.firstSeen),
      lastSeen: r.lastSeen === undefined ? undefined : parseSourceTime(r.lastSeen),
      reference: r.reference,
      tlp: r.tlp,
    },
  };
}

function objectsOf(doc: unknown): unknown[] | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const objects = (doc as { objects?: unknown }).objects;
  return Array.isArray(objects) ? objects : (doc as { objects?: unknown }).objects === undefined ? [] : undefined;
}

/** A STIX 2.1 bundle (shape S): indicators with STIX patterns, vulnerabilities; other objects are counted as skipped. */
export async function* readStixBundle(body: Readable): AsyncGenerator<RecordItem> {
  const json = parseJson(await bodyText(body));
  if (!json.ok) throw new Error(`not a JSON document: ${json.message.slice(0, 120)}`);
  const doc = json.value;
  const objects = (doc as { type?: unknown })?.type === 'bundle' ? objectsOf(doc) : undefined;
  if (!objects) throw new Error('not a STIX bundle (no "type": "bundle" with an "objects" array)');
  let line = 0;
  for (const o of objects) for (const item of stixObjectRecords(o, ++line)) yield fromParsed(item);
}

/**
 * A TAXII 2.1 collection (shape S, our own client): GET its objects endpoint (§5.4) with `added_after` = the last
 * successful run and `limit`, following `next` while `more` is true.
 */
export async function* readTaxii(shape: TaxiiShape, objectsUrl: string, ctx: FetchContext, headers: Record<string, string>): AsyncGenerator<RecordItem> {
  const url = new URL(objectsUrl);
  url.searchParams.set('added_after', new Date(ctx.since).toISOString());
  url.searchParams.set('limit', String(shape.pageSize ?? 1000));
  let line = 0;
  for (let page = 1; page <= 10_000; page++) {
    const text = await bodyText(await ctx.get(url.toString(), { accept: TAXII_MEDIA_TYPE, ...headers }));
    const json = parseJson(text);
    if (!json.ok) throw new Error(`TAXII page ${page} is not JSON: ${json.message.slice(0, 120)}`);
    const envelope = json.value as { objects?: unknown; more?: unknown; next?: unknown };
    const objects = objectsOf(envelope);
    if (!objects) throw new Error(`TAXII page ${page} is not an envelope (no "objects" array)`);
    for (const o of objects) for (const item of stixObjectRecords(o, ++line)) yield fromParsed(item);
    if (envelope.more !== true || typeof envelope.next !== 'string' || envelope.next === '') return;
    url.searchParams.set('next', envelope.next);
  }
}
