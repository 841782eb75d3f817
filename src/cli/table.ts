/** A plain aligned text table for terminal listings. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/**
 * `text` in at most `max` characters: cut at the last word boundary that fits, with `…` (a word is never cut in
 * two unless it alone is longer than half the room). Runs of white space become one space.
 */
export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const room = flat.slice(0, max); // max - 1 characters and the ellipsis, or a boundary right after them
  let cut = room.lastIndexOf(' ');
  if (cut < max / 2) cut = max - 1;
  return `${flat.slice(0, cut).replace(/[\s,;:.(–-]+$/, '')}…`;
}
