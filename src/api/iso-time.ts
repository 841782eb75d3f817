const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses an ISO 8601 / RFC 3339 date or date-time to epoch ms. A time without an offset is UTC.
 * Rejects impossible dates (2026-02-30) that `Date.parse` would roll over.
 */
export function parseIsoTime(raw: string): number | undefined {
  if (raw.length > 40) return undefined;
  const m = ISO.exec(raw.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  // Date.UTC reads years 0–99 as 1900–1999; nothing we store predates the epoch anyway.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, frac ? Math.floor(Number(`0${frac}`) * 1000) : 0);
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const zh = Number(zm[2]), zmin = Number(zm[3]);
    if (zh > 23 || zmin > 59) return undefined;
    offset = (zm[1] === '+' ? 1 : -1) * (zh * 60 + zmin) * 60_000;
  }
  return utc - offset;
}

/** RFC 3339 UTC with millisecond precision, as STIX wants it. */
export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}
