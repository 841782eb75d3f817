/**
 * What a parser hands to the pipeline: strings as the file had them, plus where they came from.
 * Normalization happens after parsing, in one place (the pipeline), for every shape alike.
 */
export interface RawRecord {
  /** 1-based line of the file (or item index for a JSON array), for error reports. */
  line: number;
  value: string;
  type?: string | undefined;
  tags?: string[] | undefined;
  malware?: string[] | undefined;
  sectors?: string[] | undefined;
  confidence?: string | number | undefined;
  tlp?: string | undefined;
  firstSeen?: string | undefined;
  lastSeen?: string | undefined;
  reference?: string | undefined;
  /**
   * An end of validity as written (`valid_until`): read for submissions (POST /api/v1/iocs), which check it and keep
   * it as the submitter's claim on its sighting (store/ioc-reconcile.ts claimCap); an import ignores it, since a file's
   * source is a feed, whose validity the server derives from the score (domain/scoring.ts).
   */
  validUntil?: string | undefined;
}

/** A line the parser could not read at all. */
export interface ParseProblem {
  line: number;
  reason: string;
}

export type ParsedItem = { record: RawRecord } | { problem: ParseProblem } | { skipped: string };

/** Splits a list cell: `a;b`, `a|b` or `a,b` inside one field. */
export function splitList(cell: unknown): string[] | undefined {
  if (Array.isArray(cell)) return cell.filter((x): x is string => typeof x === 'string').map((s) => s.trim()).filter(Boolean);
  if (typeof cell !== 'string' || cell.trim() === '') return undefined;
  return cell.split(/[;|,]/).map((s) => s.trim()).filter(Boolean);
}
