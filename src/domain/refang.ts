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

/** Char codes that can start a token: only these positions are compared against the token lists. */
const BRACKET_OPENERS: readonly number[] = [0x5b /* [ */, 0x7b /* { */];
const PAREN_OPENERS: readonly number[] = [0x28 /* ( */];

/** Defanged scheme spellings, longest first so `hxxps` wins over `hxxp`. */
const SCHEMES: readonly Token[] = [
  ['hxxps', 'https'],
  ['hxxp', 'http'],
  ['fxp', 'ftp'],
];

export function refang(raw: string): string {
  // Nested tokens (`[[.]]`) leave a token behind after one pass: repeat until nothing changes (each pass shortens
  // the text, and nesting deeper than a few levels is no defanging anyone writes), so refang(refang(x)) = refang(x).
  let current = refangOnce(raw);
  for (let pass = 0; pass < 8; pass++) {
    const next = refangOnce(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

function refangOnce(raw: string): string {
  const trimmed = raw.trim();
  const unbracketed = replaceTokens(trimmed, BRACKET_TOKENS, BRACKET_OPENERS);
  const withScheme = refangScheme(unbracketed);
  const authorityEnd = urlAuthorityEnd(withScheme);
  const head = replaceTokens(withScheme.slice(0, authorityEnd), PAREN_TOKENS, PAREN_OPENERS);
  return head + withScheme.slice(authorityEnd);
}

/** One pass over `s`; only positions holding one of `openers` are compared against the tokens. */
function replaceTokens(s: string, tokens: readonly Token[], openers: readonly number[]): string {
  const out: string[] = [];
  let copiedUpTo = 0;
  let i = 0;
  while (i < s.length) {
    const token = openers.includes(s.charCodeAt(i)) ? matchToken(s, i, tokens) : undefined;
    if (token === undefined) {
      i += 1;
      continue;
    }
    out.push(s.slice(copiedUpTo, i), token[1]);
    i += token[0].length;
    copiedUpTo = i;
  }
  if (copiedUpTo === 0) return s;
  out.push(s.slice(copiedUpTo));
  return out.join('');
}

function matchToken(s: string, at: number, tokens: readonly Token[]): Token | undefined {
  for (const token of tokens) {
    if (matchesAt(s, at, token[0])) return token;
  }
  return undefined;
}

/** ASCII case-insensitive `s.startsWith(lowerToken, at)` without allocating (this runs per opener). */
function matchesAt(s: string, at: number, lowerToken: string): boolean {
  if (at + lowerToken.length > s.length) return false;
  for (let i = 0; i < lowerToken.length; i += 1) {
    let c = s.charCodeAt(at + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerToken.charCodeAt(i)) return false;
  }
  return true;
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
  // RFC 3986 §3.1 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). One quantifier: linear.
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(s);
  if (!scheme) return s.length;
  const end = s.slice(scheme[0].length).search(/[/?#]/);
  return end < 0 ? s.length : scheme[0].length + end;
}
