/**
 * Small integer keys for the two random look-ups of the IOC table (by value, by STIX id). An index of 8-byte
 * integers is a quarter of the size of one on the text, so a bulk load dirties a quarter of the pages per
 * commit. Keys may collide: every look-up also compares the full text, and the single writer checks before
 * it inserts.
 */

/** 53-bit FNV-1a-style hash of (type, value): a safe integer for every driver. */
export function valueKey(type: string, value: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x5bd1e995;
  const mix = (c: number) => {
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  };
  for (let i = 0; i < type.length; i++) mix(type.charCodeAt(i));
  mix(0);
  for (let i = 0; i < value.length; i++) mix(value.charCodeAt(i));
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

const UUID_HEAD = /--([0-9a-fA-F]{8})-([0-9a-fA-F]{4})/;

/** The first 48 bits of a STIX id's UUID, random in a UUIDv4. Undefined for a malformed id. */
export function stixKey(stixId: string): number | undefined {
  const m = UUID_HEAD.exec(stixId);
  return m ? parseInt(m[1]! + m[2]!, 16) : undefined;
}
