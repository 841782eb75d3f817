/** A code point as a reason names it: `U+0007`, `U+1F600`. */
export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
