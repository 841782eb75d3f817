/**
 * Undo "defanging", the convention threat reports use to keep indicators from being
 * clickable or auto-resolved (`hxxp://evil[.]com`, `user(at)example(dot)com`).
 *
 * Design constraints:
 * - Linear time: a single left-to-right scan with fixed-length token comparisons, no
 *   regular expression with backtracking, so hostile input cannot make it slow.
 * - Must not corrupt normal values: a value that contains none of the tokens below is
 *   returned trimmed but otherwise unchanged.
 *   - Bracket/brace tokens (`[.]`, `{.}`, `[dot]`, `[:]`, `[@]`, `[at]`, `[://]`) are replaced
 *     everywhere: `[`, `]`, `{`, `}` may not appear unencoded in a URL path, query or
 *     fragment (RFC 3986 §3.3, §3.4, §3.5), nor in a domain, IP address or dot-atom, so a
 *     real value never contains them.
 *   - Parenthesised tokens (`(.)`, `(dot)`, `(at)`) are only replaced in the scheme and
 *     authority of a URL (or anywhere in a non-URL value): `(` and `)` are sub-delims that
 *     are legal in URL paths and queries (RFC 3986 §2.2), e.g. `/wiki/Dot_(dot)`.
 *   - The scheme is only rewritten at the very start of the value (`hxxp:` → `http:`), so
 *     the letters "hxxp" inside a path are left alone.
 */

type Token = readonly [defanged: string, fanged: string];

/** Safe to replace anywhere (see module comment). Word tokens are matched case-insensitively. */
const BRACKET_TOKENS: readonly Token[] = [
  ['[://]', '://'],
  ['[.]', '.'],
  ['{.}', '.'],
  ['[dot]', '.'],
  ['[:]', ':'],
  ['[@]', '@'],
  ['[at]', '@'],
];

/** Only replaced outside a URL's path/query/fragment (see module comment). */
const PAREN_TOKENS: readonly Token[] = [
  ['(.)', '.'],
  ['(dot)', '.'],
  ['(at)', '@'],
];

/** Defanged scheme spellings, longest first so `hxxps` wins over `hxxp`. */
const SCHEMES: readonly Token[] = [
  ['hxxps', 'https'],
  ['hxxp', 'http'],
  ['fxp', 'ftp'],
];

export function refang(raw: string): string {
  const trimmed = raw.trim();
  const unbracketed = replaceTokens(trimmed, BRACKET_TOKENS, '[{');
  const withScheme = refangScheme(unbracketed);
  const authorityEnd = urlAuthorityEnd(withScheme);
  const head = replaceTokens(withScheme.slice(0, authorityEnd), PAREN_TOKENS, '(');
  return head + withScheme.slice(authorityEnd);
}

/** One pass over `s`; only positions holding one of `openers` are compared against the tokens. */
function replaceTokens(s: string, tokens: readonly Token[], openers: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < s.length) {
    const token = openers.includes(s.charAt(i)) ? matchToken(s, i, tokens) : undefined;
    if (token === undefined) {
      i += 1;
      continue;
    }
    out += s.slice(copiedUpTo, i) + token[1];
    i += token[0].length;
    copiedUpTo = i;
  }
  return copiedUpTo === 0 ? s : out + s.slice(copiedUpTo);
}

function matchToken(s: string, at: number, tokens: readonly Token[]): Token | undefined {
  return tokens.find(([defanged]) => s.slice(at, at + defanged.length).toLowerCase() === defanged);
}

/** `hxxp:` / `hXXps:` / `fxp:` at the start of the value → `http:` / `https:` / `ftp:`. */
function refangScheme(s: string): string {
  for (const [defanged, fanged] of SCHEMES) {
    const candidate = s.slice(0, defanged.length + 1).toLowerCase();
    if (candidate === `${defanged}:`) return fanged + s.slice(defanged.length);
  }
  return s;
}

/**
 * Index where a URL's authority ends (first `/`, `?` or `#` after `scheme://`, RFC 3986 §3.2),
 * or `s.length` when `s` does not start with `scheme://` (then the whole value is "authority").
 */
function urlAuthorityEnd(s: string): number {
  const sep = schemeSeparatorEnd(s);
  if (sep < 0) return s.length;
  for (let i = sep; i < s.length; i += 1) {
    const c = s.charAt(i);
    if (c === '/' || c === '?' || c === '#') return i;
  }
  return s.length;
}

/** RFC 3986 §3.1 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); returns the index after `://` or -1. */
function schemeSeparatorEnd(s: string): number {
  if (!/^[A-Za-z]/.test(s)) return -1;
  let i = 1;
  while (i < s.length && /[A-Za-z0-9+.-]/.test(s.charAt(i))) i += 1;
  return s.startsWith('://', i) ? i + 3 : -1;
}
