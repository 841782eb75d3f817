import { TAXII_VERSION } from './constants.js';

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

/** Longest Accept header read (real clients send well under 1 KB); a longer one is not acceptable (406). */
export const MAX_ACCEPT_LENGTH = 4096;

/**
 * An Accept header (RFC 9110 §12.5.1) as media ranges: commas, parameters, quoted values and `q`. One pass over
 * the characters (no backtracking regex: a crafted header costs linear time), at most MAX_ACCEPT_LENGTH of them.
 */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  if (header.length > MAX_ACCEPT_LENGTH) return ranges;
  // Split into elements on commas and into parts on semicolons, both outside quoted strings.
  let parts: string[] = [];
  let current = '';
  let quoted = false;
  const endPart = () => {
    parts.push(current);
    current = '';
  };
  const endElement = () => {
    endPart();
    const range = toRange(parts);
    if (range) ranges.push(range);
    parts = [];
  };
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < header.length) current += header[++i];
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endElement();
    else if (c === ';') endPart();
    else current += c;
  }
  endElement();
  return ranges;
}

function toRange([type, ...rawParams]: string[]): MediaRange | undefined {
  const t = (type ?? '').trim().toLowerCase();
  if (!t) return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p.slice(eq + 1).trim();
    if (name === 'q') {
      const n = Number(value);
      q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
    } else params.set(name, value.toLowerCase());
  }
  return { type: t, params, q };
}

/**
 * Whether a TAXII 2.1 answer is acceptable (TAXII 2.1 §1.6.8, App. B, and docs/taxii-conformance.md §1): no Accept header, or an
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
