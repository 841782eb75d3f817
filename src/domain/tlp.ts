/** TLP 2.0 levels, least restrictive first (the order matters: see `leastRestrictive`). */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type Tlp = (typeof TLP_LEVELS)[number];

/** TLP 1.0 `white` is TLP 2.0 `clear`; accepted on input, never emitted. */
export function parseTlp(raw: string): Tlp | undefined {
  const v = raw.trim().toLowerCase().replace(/^tlp:/, '');
  if (v === 'white') return 'clear';
  return (TLP_LEVELS as readonly string[]).includes(v) ? (v as Tlp) : undefined;
}

/**
 * An IOC that one source publishes under TLP:CLEAR is public, whatever another source says of it:
 * the IOC carries the least restrictive level of its sightings.
 */
export function leastRestrictive(a: Tlp, b: Tlp): Tlp {
  return TLP_LEVELS.indexOf(a) <= TLP_LEVELS.indexOf(b) ? a : b;
}
