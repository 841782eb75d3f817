/** What an Authorization header carries, before any database look-up. */
export type Credentials =
  | { scheme: 'bearer'; key: string }
  | { scheme: 'basic'; username: string; key: string };

export type CredentialsResult = { ok: true; credentials: Credentials } | { ok: false; reason: string };

const MAX_HEADER = 4096;

/** Parses `Bearer KEY` or `Basic base64(email:KEY)` (RFC 6750, RFC 7617). Never throws. */
export function parseAuthorization(header: string | undefined): CredentialsResult {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing Authorization header' };
  if (header.length > MAX_HEADER) return { ok: false, reason: 'Authorization header too long' };
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (!m) return { ok: false, reason: 'malformed Authorization header; use "Bearer KEY" or HTTP Basic' };
  const scheme = m[1]!.toLowerCase();
  const token = m[2]!;
  if (scheme === 'bearer') return { ok: true, credentials: { scheme: 'bearer', key: token } };
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return { ok: false, reason: 'Basic credentials are not valid base64' };
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'Basic credentials must be EMAIL:KEY' };
    return { ok: true, credentials: { scheme: 'basic', username: decoded.slice(0, colon), key: decoded.slice(colon + 1) } };
  }
  return { ok: false, reason: `unsupported authorization scheme ${JSON.stringify(m[1])}; use Bearer or Basic` };
}
