/**
 * The Lookup page's words for the verdicts of POST /api/v1/lookup, and the values an analyst copies out ("copy the
 * listed ones"). Pure: no DOM; unit-tested in test/web/lookup-verdicts.test.ts.
 */
export type Verdict = 'listed' | 'listed-network' | 'listed-host' | 'allowlisted' | 'revoked' | 'unknown';

export interface LookupItem {
  input: string;
  type: string;
  value: string;
  verdict: Verdict;
  ioc_ids: string[];
  matched?: { type: string; value: string };
  score?: number;
  confidence?: string;
  tlp?: string;
  sources?: Array<{ source: string; first_seen: string; last_seen: string; ended_at: string | null }>;
  allowlist_entry?: { id: number; value: string; reason: string };
}

const WORDS: Record<Verdict, string> = {
  listed: 'Listed',
  'listed-network': 'Listed in a network',
  'listed-host': 'Listed host',
  allowlisted: 'Allow-listed',
  revoked: 'Revoked',
  unknown: 'Unknown',
};

/** The human words of a verdict (an unexpected one is shown as sent). */
export function verdictWords(verdict: string): string {
  return (WORDS as Record<string, string>)[verdict] ?? verdict;
}

/** Verdicts that mean "block this": the value, a network holding it or its host is listed. */
export const LISTED_VERDICTS: ReadonlySet<string> = new Set(['listed', 'listed-network', 'listed-host']);

/** The real (not defanged) values whose verdict is listed, listed-network or listed-host, one per line, in answer order. */
export function listedValues(items: readonly Pick<LookupItem, 'value' | 'verdict'>[]): string {
  return items.filter((i) => LISTED_VERDICTS.has(i.verdict)).map((i) => i.value).join('\n');
}

/** How many items have each verdict, for the summary line. */
export function countVerdicts(items: readonly Pick<LookupItem, 'verdict'>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.verdict, (counts.get(i.verdict) ?? 0) + 1);
  return counts;
}
