import type { Principal } from '../auth/authenticator.js';
import { hasRole } from '../domain/roles.js';
import { planAllows } from '../auth/plans.js';
import type { Grant, WritableCollectionConfig } from '../config/config.js';
import { BUILTIN_COLLECTIONS } from '../domain/collections.js';
import { STIX_MEDIA_TYPE } from '../stix/constants.js';
import type { LoadedCollection } from '../store/types.js';

/** The API root of the built-in and configured collections. */
export const OUR_ROOT = 'api';

/** A collection as TAXII serves it, with what a given key may do there (§5.2: can_read/can_write per requester). */
export interface TaxiiCollection {
  id: string;
  /** Empty for collections loaded without one. */
  alias: string;
  title: string;
  description: string;
  /** The API root it belongs to. */
  root: string;
  /** Its name in the version log's membership table. */
  key: string;
  writable: boolean;
  /** §5.2 media_types: STIX 2.1, or those a loaded collection was loaded with. */
  mediaTypes: string[];
  canRead(who: Principal): boolean;
  canWrite(who: Principal): boolean;
}

/**
 * A grant names plans, roles (held or implied: an admin has analyst's grants) and/or account emails; `admin` among
 * the plans is the admin role (the plan of earlier versions, domain/plans.ts).
 */
const granted = (g: Grant, who: Principal) =>
  g.plans.some((p) => (p === 'admin' ? hasRole(who.roles, 'admin') : p === who.plan)) ||
  (g.roles ?? []).some((r) => hasRole(who.roles, r)) ||
  g.accounts.includes(who.email.toLowerCase());

/** The built-in read-only collections, then the writable ones of the configuration, in a fixed order. */
export class CollectionRegistry {
  readonly all: readonly TaxiiCollection[];

  constructor(writable: readonly WritableCollectionConfig[], loaded: readonly LoadedCollection[] = []) {
    const builtins: TaxiiCollection[] = BUILTIN_COLLECTIONS.map((c) => ({
      id: c.id,
      alias: c.alias,
      title: c.title,
      description: c.description,
      root: OUR_ROOT,
      key: c.alias,
      writable: false,
      mediaTypes: [STIX_MEDIA_TYPE],
      canRead: (who) => planAllows(who.plan, 'taxii'),
      canWrite: () => false,
    }));
    const taken = new Set(builtins.flatMap((c) => [c.id, c.alias]));
    const configured = writable.map((c): TaxiiCollection => {
      if (taken.has(c.id) || taken.has(c.alias)) throw new Error(`TAXII collection ${c.alias} (${c.id}) reuses the id or alias of another collection`);
      taken.add(c.id).add(c.alias);
      return {
        id: c.id,
        alias: c.alias,
        title: c.title,
        description: c.description,
        root: c.root,
        key: c.alias,
        writable: true,
        mediaTypes: [STIX_MEDIA_TYPE],
        canRead: (who) => planAllows(who.plan, 'taxii') && granted(c.read, who),
        canWrite: (who) => planAllows(who.plan, 'taxii') && granted(c.write, who),
      };
    });
    // Loaded from another server: its permissions apply to every key allowed on TAXII (the rule).
    const imported = loaded
      .filter((c) => !taken.has(c.id))
      .map((c): TaxiiCollection => ({
        id: c.id,
        alias: c.alias ?? '',
        title: c.title,
        description: c.description ?? '',
        root: c.root,
        key: c.id,
        writable: c.canWrite,
        mediaTypes: c.mediaTypes ?? [STIX_MEDIA_TYPE],
        canRead: (who) => planAllows(who.plan, 'taxii') && c.canRead,
        canWrite: (who) => planAllows(who.plan, 'taxii') && c.canWrite,
      }));
    this.all = [...builtins, ...configured, ...imported];
  }

  /** By id or alias (docs/taxii-conformance.md §1), within one API root. */
  find(root: string, ref: string): TaxiiCollection | undefined {
    const r = ref.toLowerCase();
    return this.all.find((c) => c.root === root && (c.id === r || (c.alias !== '' && c.alias === r)));
  }

  /** Visible to a key in a root: it may read or write there (docs/taxii-conformance.md §2: the others are omitted and answer 404). */
  visible(root: string, who: Principal): TaxiiCollection[] {
    return this.all.filter((c) => c.root === root && (c.canRead(who) || c.canWrite(who)));
  }
}
