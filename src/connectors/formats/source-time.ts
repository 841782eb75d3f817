import type { FieldRule } from '../catalog/source-definition.js';

const ZONELESS = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(?:\s*(?:UTC|GMT|Z|\+00:?00))?$/i;
const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?\s*[+-]\d{2}:?\d{2}$/;
const RFC2822 = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?\s+(?:GMT|UTC|[+-]\d{4})$/i;
const DMY = /^(\d{1,2})[-./](\d{1,2})[-./](\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** The largest time value of ECMAScript Dates (±8.64e15 ms, about the year 275760). */
const MAX_TIME_MS = 8.64e15;

function utc(y: string, mo: string, d: string, h = '0', mi = '0', sec = '0', frac = ''): number | undefined {
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  const check = new Date(t);
  // Date.UTC rolls 2026-02-31 over to March: such a date is wrong, not a later day.
  return check.getUTCDate() === Number(d) && check.getUTCMonth() === Number(mo) - 1 ? t : undefined;
}

/**
 * A time as feeds write it → epoch ms, or undefined when unreadable. Without a zone it is UTC (abuse.ch, CISA and
 * most feeds publish UTC without saying so): ISO 8601 with or without `T` and zone, `YYYY-MM-DD`, epoch seconds or
 * milliseconds, `DD-MM-YYYY` / `MM/DD/YYYY` when the definition says so, and RFC 2822 dates with a zone.
 */
export function parseSourceTime(raw: unknown, format?: FieldRule['dateFormat']): number | undefined {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw <= 0) return undefined;
    const ms = format === 'epoch-ms' || (format === undefined && raw > 1e11) ? Math.floor(raw) : Math.floor(raw * 1000);
    // Past the last time a Date can hold (a huge number of seconds, or Infinity after × 1000): not a time.
    return ms <= MAX_TIME_MS ? ms : undefined;
  }
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '' || text.length > 64) return undefined;
  if (format === 'epoch-s' || format === 'epoch-ms' || /^\d{9,13}(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? parseSourceTime(n, format === 'epoch-s' || format === 'epoch-ms' ? format : undefined) : undefined;
  }
  if (format === 'DD-MM-YYYY' || format === 'MM/DD/YYYY') {
    const m = DMY.exec(text);
    if (!m) return undefined;
    const [d, mo] = format === 'DD-MM-YYYY' ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
    return utc(m[3]!, mo, d, m[4], m[5], m[6]);
  }
  const m = ZONELESS.exec(text);
  if (m) return utc(m[1]!, m[2]!, m[3]!, m[4], m[5], m[6], m[7]);
  // ISO 8601 with an offset, RFC 2822 with a zone: only those shapes, and only with a zone (never local time).
  if (ISO_OFFSET.test(text) || RFC2822.test(text)) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}
