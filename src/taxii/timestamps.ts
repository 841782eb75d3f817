/**
 * TAXII timestamps (§3.2 and docs/taxii-conformance.md §1): RFC 3339 UTC with microseconds. We keep them as epoch µs integers
 * end to end (a JavaScript Date holds milliseconds only), emit exactly six fractional digits and read 0 to 9.
 */

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/i;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `2026-05-17T00:00:00.000000Z` from epoch µs. */
export function formatTaxiiTimestamp(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000;
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** Epoch µs, or undefined for anything that is not a real UTC timestamp. Digits past the µs are dropped. */
export function parseTaxiiTimestamp(raw: string): number | undefined {
  if (raw.length > 40) return undefined;
  const m = TIMESTAMP.exec(raw);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : DAYS[month - 1]!)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const micros = Number((m[7] ?? '').padEnd(6, '0').slice(0, 6));
  return Date.UTC(year, month - 1, day, hour, minute, second) * 1000 + micros;
}
