import { DAY_MS } from '../../domain/durations.js';

export interface TemplateValues {
  now: number;
  since: number;
  /** End of the fetched window (`{until}`); the run's time when the source has no windows. */
  until?: number | undefined;
  apiKey?: string | undefined;
}

function formatTime(t: number, format: string): string {
  const iso = new Date(t).toISOString();
  switch (format) {
    case 'ISO':
      return iso;
    case 'YYYY-MM-DD':
      return iso.slice(0, 10);
    case 'YYYYMMDD':
      return iso.slice(0, 10).replace(/-/g, '');
    default:
      throw new Error(`unknown date format ${JSON.stringify(format)} in a URL template (ISO, YYYY-MM-DD, YYYYMMDD)`);
  }
}

/**
 * Fills a URL template: `{apiKey}`, `{date:FMT}` (today, UTC), `{date-N:FMT}` (N days ago), `{since:FMT}`,
 * `{until:FMT}` (the window's end, default now), `{now:FMT}`. Values go in as they are (NVD wants `:` unencoded). An unknown placeholder is an error.
 */
export function expandUrl(template: string, v: TemplateValues): string {
  return template.replace(/\{([a-zA-Z]+)(?:-(\d+))?(?::([A-Za-z-]+))?\}/g, (whole, name: string, minus: string | undefined, format: string | undefined) => {
    switch (name) {
      case 'apiKey':
        if (v.apiKey === undefined) throw new Error('the URL needs {apiKey} and no key is configured');
        return encodeURIComponent(v.apiKey);
      case 'date':
        return formatTime(v.now - Number(minus ?? 0) * DAY_MS, format ?? 'YYYY-MM-DD');
      case 'since':
        return formatTime(v.since, format ?? 'ISO');
      case 'until':
        return formatTime(v.until ?? v.now, format ?? 'ISO');
      case 'now':
        return formatTime(v.now, format ?? 'ISO');
      default:
        throw new Error(`unknown placeholder ${whole} in a URL template`);
    }
  });
}

/**
 * [since, until] cut into consecutive windows of at most `maxMs`, oldest first; each window starts where the previous
 * one ended and the last ends at `until`. A `since` at or after `until` gives the one window [until, until].
 */
export function timeWindows(since: number, until: number, maxMs: number): Array<{ since: number; until: number }> {
  if (!(maxMs > 0) || since >= until) return [{ since: Math.min(since, until), until }];
  const out: Array<{ since: number; until: number }> = [];
  for (let start = since; start < until; start += maxMs) out.push({ since: start, until: Math.min(start + maxMs, until) });
  return out;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** `30s`, `15m`, `6h`, `1d` → ms; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** Sets query parameters without re-encoding the others (`new URL` would turn NVD's `:` into `%3A`). */
export function withQuery(url: string, params: Readonly<Record<string, string>>): string {
  const hash = url.indexOf('#');
  let base = hash === -1 ? url : url.slice(0, hash);
  for (const key of Object.keys(params)) {
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`([?&])${escaped}=[^&]*(&|$)`);
    // One at a time: a global replace would consume the `&` a following duplicate needs.
    while (pattern.test(base)) base = base.replace(pattern, (_m, lead: string, tail: string) => (tail ? lead : ''));
  }
  const extra = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return `${base}${base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?'}${extra}`;
}
