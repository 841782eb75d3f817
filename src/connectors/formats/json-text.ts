/** The outcome of reading JSON text: the value, or why it is not JSON (the parser's own message). */
export type JsonText = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * JSON.parse behind the one guard every reader uses: it never throws, each caller says what the text was meant to
 * be (a page, a manifest, a line) in its own report.
 */
export function parseJson(text: string): JsonText {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
