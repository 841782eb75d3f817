import { TAXII_VERSION } from './constants.js';

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

/** An Accept header (RFC 9110 §12.5.1) as media ranges: commas, parameters, quoted values and `q`. */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  // Split on commas outside quotes.
  for (const part of header.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const [type, ...rawParams] = part.split(';');
    const params = new Map<string, string>();
    let q = 1;
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const name = p.slice(0, eq).trim().toLowerCase();
      const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (name === 'q') {
        const n = Number(value);
        q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
      } else params.set(name, value.toLowerCase());
    }
    const t = (type ?? '').trim().toLowerCase();
    if (t) ranges.push({ type: t, params, q });
  }
  return ranges;
}

/**
 * Whether a TAXII 2.1 answer is acceptable (TAXII 2.1 §1.6.8, App. B, and TAXII.md §1): no Accept header, or an
 * entry with q > 0 that is `application/taxii+json` without a version or with version=2.1, `*∕*` or
 * `application/*` (ours: 406 on `*∕*` broke OpenCTI). Otherwise the client gets 406.
 */
export function acceptsTaxii(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  return parseAccept(header).some((r) => {
    if (r.q <= 0) return false;
    if (r.type === '*/*' || r.type === 'application/*') return true;
    if (r.type !== 'application/taxii+json') return false;
    const version = r.params.get('version');
    return version === undefined || version === TAXII_VERSION;
  });
}
