/** Helpers shared by the store implementations: pure, no driver. */

/** Sorted union of two string lists; returns `current` itself when nothing new arrived (cheap change check). */
export function unionSorted(current: readonly string[], incoming: readonly string[]): readonly string[] {
  let added: string[] | undefined;
  for (const v of incoming) {
    if (!current.includes(v) && !(added?.includes(v) ?? false)) (added ??= []).push(v);
  }
  return added ? [...current, ...added].sort() : current;
}

export function parseList(json: string): string[] {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function dedupeSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** A label list as stored: deduplicated, sorted JSON. */
export function listJson(values: readonly string[]): string {
  return values.length === 0 ? '[]' : JSON.stringify(dedupeSorted(values));
}

/**
 * An IOC's stored source list (`iocs.sources`: sorted JSON, as listJson writes it) once `sourceId` has sighted it;
 * undefined when the list holds it already (nothing to write). Source ids are ASCII (source-config.ts), so this
 * order is the byte order SQLite and PostgreSQL's COLLATE "C" sort them in.
 */
export function withSource(sourcesJson: string, sourceId: string): string | undefined {
  const list = parseList(sourcesJson);
  return list.includes(sourceId) ? undefined : listJson([...list, sourceId]);
}
