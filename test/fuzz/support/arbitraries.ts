/** Hostile and structured inputs shared by the fuzz properties. */
import fc from 'fast-check';

/** Any UTF-16 code unit, lone surrogates included. */
export const codeUnit: fc.Arbitrary<string> = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Characters that break parsers: controls, quotes, escapes, separators, bidi and zero-width, look-alikes. */
export const NASTY_CHARS: readonly string[] = [
  '\u0000', '\t', '\n', '\r', '\u000b', '\u000c', '\u001b', '\u007f', '\u0085', '\u00a0', '\u00ad',
  '\u1680', '\u2000', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2028', '\u2029', '\u202a', '\u202e',
  '\u2060', '\u2066', '\u3000', '\u3002', '\uff0e', '\uff61', '\ufeff', '\ufffd', '\ud800', '\udc00', '\ud83d\ude00',
  '"', "'", '\\', '`', '/', '?', '#', '%', '@', ':', ';', ',', '=', '[', ']', '{', '}', '(', ')', '<', '>', '*', '.',
  '-', '_', '+', '|', '~', '^', '$', '!', '&', ' ', 'K', 'ſ', 'ß', 'İ', 'ı', 'Ⅸ', '①', 'а', 'ё', 'ᴀ', 'Ａ', '０',
];

/** Fragments of the syntaxes we parse, recombined into near-valid inputs. */
export const NASTY_TOKENS: readonly string[] = [
  '[.]', '(.)', '{.}', '[dot]', '(dot)', '[DOT]', '[:]', '[@]', '[at]', '(at)', '[://]', 'hxxp', 'hXXps', 'fxp', '://',
  'http', 'https', 'ftp', 'file', 'javascript', 'data', 'mailto', 'http:', 'http://', 'HTTP://', 'ftp://', 'xn--', 'xn--nxasmq6b',
  '::', '::ffff:', '64:ff9b::', '%eth0', '/128', '/32', '/0', '/', ':443', ':65536', ':0', '127.0.0.1', '0x7f', '0177',
  '255', '256', '1.2.3.4', '2001:db8::1', '[2001:db8::1]', '[IPv6:', 'IPv6:', '@', 'user@', 'example.com', 'EXAMPLE.COM',
  'bücher', 'раураl', 'ｅｘａｍｐｌｅ', '。', '．', 'com', 'a', '-', '_dmarc', '..', '.', 'CVE-', 'cve-', '2024', '1999', '0000',
  'd41d8cd98f00b204e9800998ecf8427e', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', '\\', '\\\\', "\\'", "'", '"', '""',
  '/*', '*/', '//', '\n', '\r\n', '\u0000', '\u200b', '\u202e', '\ud800', '\ufeff', ' ', '\t', '%00', '%2e', '?', '#', '&',
];

const nastyChar = fc.constantFrom(...NASTY_CHARS);
const nastyToken = fc.constantFrom(...NASTY_TOKENS);

/** Strings of a few to a few hundred characters, from several generators. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 80 }), weight: 2 },
  { arbitrary: fc.string({ unit: codeUnit, maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: fc.oneof(nastyChar, fc.string({ unit: 'grapheme-ascii', maxLength: 3 })), maxLength: 60 }), weight: 3 },
  { arbitrary: fc.array(fc.oneof(nastyToken, nastyChar, fc.string({ maxLength: 4 })), { maxLength: 24 }).map((a) => a.join('')), weight: 4 },
);

/** A short unit repeated up to several thousand times: the shape of most algorithmic-complexity attacks. */
export const repeatedString: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(nastyToken, nastyChar, fc.string({ maxLength: 6 })), fc.integer({ min: 1, max: 3000 }), fc.string({ maxLength: 10 }))
  .map(([unit, n, tail]) => unit.repeat(n) + tail);

/** Hostile strings, sometimes long. */
export const anyString: fc.Arbitrary<string> = fc.oneof({ arbitrary: hostileString, weight: 8 }, { arbitrary: repeatedString, weight: 1 });

/** Applies random edits (insert, delete, replace, duplicate a slice) to `base`: mutation fuzzing of valid inputs. */
export function mutated(base: fc.Arbitrary<string>, maxEdits = 4): fc.Arbitrary<string> {
  const edit = fc.record({
    op: fc.constantFrom('insert', 'delete', 'replace', 'duplicate', 'truncate'),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 8 }),
    text: fc.oneof(nastyToken, nastyChar, fc.string({ maxLength: 3 })),
  });
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: maxEdits })).map(([s, edits]) => {
    let out = s;
    for (const e of edits) {
      const at = out.length === 0 ? 0 : e.at % (out.length + 1);
      switch (e.op) {
        case 'insert':
          out = out.slice(0, at) + e.text + out.slice(at);
          break;
        case 'delete':
          out = out.slice(0, at) + out.slice(at + e.len);
          break;
        case 'replace':
          out = out.slice(0, at) + e.text + out.slice(at + e.len);
          break;
        case 'duplicate':
          out = out.slice(0, at + e.len) + out.slice(at, at + e.len) + out.slice(at + e.len);
          break;
        case 'truncate':
          out = out.slice(0, at);
          break;
      }
    }
    return out;
  });
}

/** Pieces of defanging tokens, so that insertions can build nested and overlapping tokens (`[[.]]`, `(d[.]ot)`). */
export const TOKEN_FRAGMENTS: readonly string[] = ['[', ']', '{', '}', '(', ')', '.', 'dot', 'DoT', 'at', '@', ':', '//', '://', 'hxxp', 'fxp', '[.]', '(.)', '{.}', '[at]', '(at)', '[:]'];

const fragment = fc.oneof(
  { arbitrary: fc.constantFrom('[', ']', '{', '}', '(', ')'), weight: 3 },
  { arbitrary: fc.constantFrom('[.]', '(.)', '{.}', '[dot]', '(dot)', '[at]', '(at)', '[@]', '[:]', '[://]'), weight: 3 },
  { arbitrary: fc.constantFrom(...TOKEN_FRAGMENTS), weight: 1 },
);

/** Inserts bursts of 1–6 token fragments at random places in `base`. */
export function withFragments(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const burst = fc.array(fragment, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
  return fc.tuple(base, fc.array(fc.tuple(fc.nat(), burst), { minLength: 1, maxLength: 3 })).map(([s, inserts]) => {
    let out = s;
    for (const [at, text] of inserts) {
      const i = at % (out.length + 1);
      out = out.slice(0, i) + text + out.slice(i);
    }
    return out;
  });
}

/** Splits `text` into 1–6 chunks at arbitrary (seeded) code-unit offsets, as a network read would. */
export const chunkCuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 5 });

export function cutBytes(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    if (c > from) chunks.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  chunks.push(bytes.subarray(from));
  return chunks.filter((c) => c.length > 0);
}

/** Characters a scanner treats specially, for the work-ratio checks. */
export const WORK_UNITS: readonly string[] = [
  'a', '.', '[', '[.', '[.]', '[[.]', '((', '(dot', '(.)', '{.', ':', '::', '%', '@', '"', '\\', '"\\', '\\"', ';', ',', ';q=',
  "'", "\\'", '/*', '*/', '//', '(', '[(', 'a:b.', 'AND ', "h'", "t'", '0', '-', '.5', 'xn--', '\u3002', 'x'.repeat(7),
];
