import type { AddOutcome, LoadedCollection, LoadedRoot, LoadedVersion, NewObject } from './types.js';
import { type Flag, flag, parseMediaTypes } from './rows.js';

/**
 * What both stores do the same when they write TAXII objects: the duplicate rule of an add, the order and the
 * versions of a load, and the rows of loaded roots and collections. The stores keep how they read and write them.
 */

const REVOKED_JSON = /"revoked"\s*:\s*true/;

/** The object's JSON says `revoked: true` (the version log's `revoked` column, for objects we did not render). */
export function isRevokedJson(json: string): boolean {
  return REVOKED_JSON.test(json);
}

/**
 * The version of an object already in the collection that makes this one a duplicate: the same version, or for an
 * object without a version of its own, the same JSON.
 */
export function sameVersion<T extends { modified: number; json: string }>(there: readonly T[], o: NewObject): T | undefined {
  return o.modified !== null ? there.find((v) => v.modified === o.modified) : there.find((v) => v.json === o.json);
}

export const duplicate = (same: { modified: number }): AddOutcome => ({ outcome: 'duplicate', modified: same.modified });

/** An object without a version of its own is versioned by the time it was added (TAXII 2.1 §5.3). */
export function versionOf(modified: number | null, dateAdded: number): number {
  return modified ?? Math.floor(dateAdded / 1000);
}

/**
 * Loaded versions oldest first, so that seq follows date_added within what is loaded (those without a date_added
 * of their own last). No latest flag: a loaded collection's last version of an object is chosen within it when
 * read (store/log-page.ts).
 */
export function loadOrder(versions: readonly LoadedVersion[]): LoadedVersion[] {
  return [...versions].sort((a, b) => (a.dateAdded ?? Number.MAX_SAFE_INTEGER) - (b.dateAdded ?? Number.MAX_SAFE_INTEGER));
}

export interface RootRow {
  name: string;
  title: string;
  description: string | null;
  max_content_length: number;
}

export const rootOf = (r: RootRow): LoadedRoot => ({ name: r.name, title: r.title, description: r.description, maxContentLength: r.max_content_length });

export interface CollectionRow<B extends Flag> {
  id: string;
  root: string;
  title: string;
  description: string | null;
  alias: string | null;
  can_read: B;
  can_write: B;
  media_types: string | null;
}

export const collectionOf = (r: CollectionRow<Flag>): LoadedCollection => ({
  id: r.id, root: r.root, title: r.title, description: r.description, alias: r.alias, canRead: flag(r.can_read), canWrite: flag(r.can_write),
  mediaTypes: parseMediaTypes(r.media_types),
});

/** The media types column of a loaded collection. */
export const mediaTypesColumn = (c: LoadedCollection): string | null => (c.mediaTypes ? JSON.stringify(c.mediaTypes) : null);

/** The discovery document of a load is kept as this setting. */
export const DISCOVERY_SETTING = 'taxii_discovery';
