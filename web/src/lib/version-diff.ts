/**
 * What changed between two versions of a STIX object (IOC detail, version history). Pure: no DOM, compiled by both
 * the web build and the root tsconfig (NodeNext), unit-tested in test/web/version-diff.test.ts.
 *
 * Top-level properties are compared; `modified` is left out (every version changes it, the history shows it anyway).
 * Values are compared by their canonical JSON (object keys sorted), so a list in another order is a change but the
 * same object written with its keys in another order is not.
 */
export interface FieldChange {
  field: string;
  /** Canonical JSON of the value before (undefined when added). */
  before?: string;
  /** Canonical JSON of the value after (undefined when removed). */
  after?: string;
}

export interface VersionDiff {
  added: FieldChange[];
  removed: FieldChange[];
  changed: FieldChange[];
}

/** Properties every version changes by definition: not worth listing as a change. */
const IGNORED = new Set(['modified']);

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'undefined';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** The fields added, removed and changed from `before` to `after` (each list sorted by field name). */
export function diffVersions(before: Record<string, unknown>, after: Record<string, unknown>): VersionDiff {
  const diff: VersionDiff = { added: [], removed: [], changed: [] };
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const field of fields) {
    if (IGNORED.has(field)) continue;
    const had = Object.hasOwn(before, field) && before[field] !== undefined;
    const has = Object.hasOwn(after, field) && after[field] !== undefined;
    if (!had && has) diff.added.push({ field, after: canonicalJson(after[field]) });
    else if (had && !has) diff.removed.push({ field, before: canonicalJson(before[field]) });
    else if (had && has) {
      const b = canonicalJson(before[field]);
      const a = canonicalJson(after[field]);
      if (a !== b) diff.changed.push({ field, before: b, after: a });
    }
  }
  return diff;
}

/** Versions newest first (as GET /api/v1/iocs/{id}/versions answers): each with its diff from the one before it (the oldest: null, it is the first). */
export function versionHistory<V extends { object: Record<string, unknown> }>(newestFirst: readonly V[]): Array<{ version: V; diff: VersionDiff | null }> {
  return newestFirst.map((version, i) => {
    const older = newestFirst[i + 1];
    return { version, diff: older ? diffVersions(older.object, version.object) : null };
  });
}

/** A value's canonical JSON cut to `max` characters for display (the whole object is shown below it anyway). */
export function clip(text: string | undefined, max = 200): string {
  if (text === undefined) return '';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
