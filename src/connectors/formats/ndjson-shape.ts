import type { Readable } from 'node:stream';
import { FieldReader } from './map-fields.js';
import type { NdjsonShape } from '../catalog/source-definition.js';
import { numberedLines } from './lines.js';
import type { RecordItem } from './record.js';
import { parseJson } from './json-text.js';

/** One JSON object per line (shape NJ). A line that is not an object is a problem; one without the value is skipped. */
export async function* readNdjson(body: Readable, shape: NdjsonShape): AsyncGenerator<RecordItem> {
  const reader = new FieldReader();
  for await (const { text: raw, line } of numberedLines(body)) {
    const text = raw.trim();
    if (text === '') continue;
    const json = parseJson(text);
    if (!json.ok) {
      yield { problem: { line, reason: `not JSON: ${JSON.stringify(text.slice(0, 80))}` } };
      continue;
    }
    const row = json.value;
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      yield { problem: { line, reason: 'not a JSON object' } };
      continue;
    }
    yield reader.map(row, [], shape.fields, line);
  }
}
