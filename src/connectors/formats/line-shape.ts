import type { Readable } from 'node:stream';
import type { LineShape } from '../catalog/source-definition.js';
import { parseSourceTime } from './source-time.js';
import { numberedLines } from './lines.js';
import type { RecordItem } from './record.js';

const DEFAULT_COMMENTS = ['#', ';', '//'];

/** One value per line (docs/sources.md §2, shape L): comments, a keep filter, a pattern with named groups, header lines. */
export async function* readLines(body: Readable, shape: LineShape): AsyncGenerator<RecordItem> {
  const comments = shape.comments ?? DEFAULT_COMMENTS;
  const keep = shape.keep ? new RegExp(shape.keep) : undefined;
  const pattern = shape.pattern ? new RegExp(shape.pattern) : undefined;
  for await (const { text: raw, line } of numberedLines(body)) {
    if (line <= (shape.skipLines ?? 0)) continue;
    const text = raw.trim();
    if (text === '' || comments.some((c) => text.startsWith(c))) continue;
    if (keep && !keep.test(text)) continue;
    if (!pattern) {
      const space = text.search(/\s/);
      yield { record: { line, values: [{ value: space === -1 ? text : text.slice(0, space) }], tags: [], malware: [], sectors: [] } };
      continue;
    }
    const m = pattern.exec(text);
    const g = m?.groups;
    if (!g?.value) {
      yield { problem: { line, reason: `line does not match the source's pattern: ${JSON.stringify(text.slice(0, 80))}` } };
      continue;
    }
    const confidence = g.confidence === undefined ? undefined : Number(g.confidence);
    yield {
      record: {
        line,
        values: [{ value: g.value }],
        tags: g.tags ? g.tags.split(',').map((t) => t.trim()).filter(Boolean) : [],
        malware: g.malware ? [g.malware.trim()] : [],
        sectors: [],
        confidence: confidence !== undefined && Number.isFinite(confidence) ? Math.max(0, Math.min(100, confidence)) : undefined,
        firstSeen: g.firstSeen ? parseSourceTime(g.firstSeen, shape.dateFormat) : undefined,
        lastSeen: g.lastSeen ? parseSourceTime(g.lastSeen, shape.dateFormat) : undefined,
      },
    };
  }
}
