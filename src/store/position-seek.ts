/**
 * How a keyset walk's position on a two-column order (a, b) is written in SQL. `tuple`, `(a, b) > (x, y)`, is one range,
 * and PostgreSQL seeks to it in an (a, b) index. SQLite seeks on the first column only (`a > x`) and steps over every
 * row with `a = x` up to `y`, one index entry at a time. Where many rows share `a` that is most of the page's cost:
 * - the REST walk (added_at, id): the IOCs written in one transaction share `added_at` (up to 50,000 in an import); a
 *   page at 90 % of a group of 100,000 cost 11.7 ms, against 0.24 ms by two seeks;
 * - a blocklist (score, id), walked backwards: scores are 0-100, so a score is shared by thousands of IOCs.
 * In SQLite the position is read as two seeks instead: the rest of the same first value (`same-first`: `a = x AND b > y`),
 * then, if the page is not full, what follows it (`later`: `a > x`). readPastPosition joins them.
 */
export type PositionForm = 'tuple' | 'same-first' | 'later';

/**
 * The condition "past the position (x, y)" on the columns (a, b) in `form`, `op` being the walk's direction (`>`
 * forwards, `<` backwards). `x` is a placeholder; `y()` makes the second one, only in the forms that compare `b`, so
 * that the placeholders are handed out in the order of the text.
 */
export function positionCondition(form: PositionForm, a: string, b: string, op: '>' | '<', x: string, y: () => string): string {
  if (form === 'tuple') return `(${a}, ${b}) ${op} (${x}, ${y()})`;
  if (form === 'same-first') return `${a} = ${x} AND ${b} ${op} ${y()}`;
  return `${a} ${op} ${x}`;
}

/**
 * The rows past a position read as two seeks: those of the same first value, then, when they are fewer than `want`
 * (the rows the query asks for), those of later first values. The two sets are disjoint and both in the walk's order,
 * so their concatenation is the `tuple` form's answer. Without a position (`hasPosition` false), the one query.
 */
export function readPastPosition<T>(hasPosition: boolean, want: number, read: (form: PositionForm) => T[]): T[] {
  if (!hasPosition) return read('tuple');
  const rows = read('same-first');
  if (rows.length >= want) return rows;
  const later = read('later');
  for (let i = 0; i < later.length && rows.length < want; i++) rows.push(later[i]!);
  return rows;
}
