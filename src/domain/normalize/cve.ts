import { type Check, fail, pass } from './check.js';
import { quote } from './text.js';

/** CVE ids: CVE-YYYY-NNNN with 4 to 19 sequence digits (CVE JSON 5 schema), year 1999..2100. */
export function normalizeCve(v: string): Check<string> {
  const match = /^CVE-([0-9]+)-([0-9]+)$/i.exec(v);
  if (!match) return fail('expected CVE-YYYY-NNNN');
  const year = match[1] ?? '';
  const sequence = match[2] ?? '';
  if (year.length !== 4) return fail(`year ${quote(year)} must have 4 digits`);
  if (Number(year) < 1999 || Number(year) > 2100) return fail(`year ${year} out of range (1999..2100)`);
  if (sequence.length < 4) return fail('sequence number needs at least 4 digits');
  if (sequence.length > 19) return fail(`sequence number has ${sequence.length} digits, max 19`);
  return pass(`CVE-${year}-${sequence}`);
}
