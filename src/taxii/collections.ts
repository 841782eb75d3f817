import { BUILTIN_COLLECTIONS, type BuiltinCollection } from '../domain/collections.js';

/** Collection URLs take the id or the alias (TAXII.md §1): our seed names stay usable next to UUIDv4 ids. */
export function findCollection(ref: string): BuiltinCollection | undefined {
  const r = ref.toLowerCase();
  return BUILTIN_COLLECTIONS.find((c) => c.id === r || c.alias === r);
}

export const ALL_COLLECTION_ALIASES: readonly string[] = BUILTIN_COLLECTIONS.map((c) => c.alias);
