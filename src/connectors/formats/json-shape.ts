import type { Readable } from 'node:stream';
import { FieldReader, readPath } from './map-fields.js';
import type { JsonShape } from '../catalog/source-definition.js';
import { withQuery } from '../catalog/url-template.js';
import type { FetchContext } from '../transport/fetch-context.js';
import { bodyText } from './body-text.js';
import type { RecordItem } from './record.js';
import { parseJson } from './json-text.js';

const DEFAULT_MAX_PAGES = 100;

/** The records of a document: `records` is a dotted path whose `[]` segments iterate (parents kept for `^`). */
function* walk(node: unknown, segments: readonly string[], parents: unknown[]): Generator<{ row: unknown; parents: unknown[] }> {
  if (segments.length === 0) {
    if (Array.isArray(node)) for (const item of node) yield { row: item, parents };
    else if (node !== null && node !== undefined) yield { row: node, parents };
    return;
  }
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === '*') {
    // abuse.ch: {"<id>": [ {…} ], …}; the key is readable as `^key`.
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) yield* walk(value, rest, [...parents, { key }]);
    return;
  }
  const iterate = head.endsWith('[]');
  const child = readPath(node, [], iterate ? head.slice(0, -2) : head);
  if (iterate && rest.length > 0) {
    if (!Array.isArray(child)) return;
    for (const item of child) yield* walk(item, rest, [...parents, item]);
    return;
  }
  yield* walk(child, rest, parents);
}

export function splitRecordsPath(path: string): string[] {
  return path === '' ? [] : path.split('.').filter(Boolean);
}

/** The records of one parsed document, mapped. Items are numbered across pages for error reports. */
export function* documentItems(doc: unknown, shape: JsonShape, reader: FieldReader, first: number): Generator<RecordItem> {
  let line = first;
  for (const { row, parents } of walk(doc, splitRecordsPath(shape.records), [])) {
    line++;
    if (row === null || typeof row !== 'object') {
      yield { problem: { line, reason: 'record is not a JSON object' } };
      continue;
    }
    yield reader.map(row, parents, shape.fields, line);
  }
}

function parse(text: string, page: number): unknown {
  const json = parseJson(text);
  if (!json.ok) throw new Error(`page ${page} is not JSON: ${json.message.slice(0, 120)}`);
  return json.value;
}

/** A JSON document (shape J), or a paged API (shape A): `next` URLs or offsets, a pause between pages. */
export async function* readJson(body: Readable, shape: JsonShape, firstUrl: string, ctx: FetchContext): AsyncGenerator<RecordItem> {
  const reader = new FieldReader();
  let doc = parse(await bodyText(body), 1);
  let seen = 0;
  const paging = shape.paging;
  for (let page = 1; ; page++) {
    for (const item of documentItems(doc, shape, reader, seen)) {
      seen++;
      yield item;
    }
    if (!paging || page >= (paging.maxPages ?? DEFAULT_MAX_PAGES)) return;
    let next: string | undefined;
    if (paging.nextUrl) {
      const v = readPath(doc, [], paging.nextUrl);
      next = typeof v === 'string' && v !== '' ? v : undefined;
    } else if (paging.offset) {
      const { param, sizeParam, size, total } = paging.offset;
      const t = Number(readPath(doc, [], total));
      if (Number.isFinite(t) && page * size < t) {
        next = withQuery(firstUrl, { [param]: String(page * size), [sizeParam]: String(size) });
      }
    }
    if (!next) return;
    if (paging.delayMs) await ctx.sleep(paging.delayMs);
    doc = parse(await bodyText(await ctx.get(next)), page + 1);
  }
}
