import { setImmediate as turn } from 'node:timers/promises';
import type { TokenSigner } from '../auth/signed-token.js';
import { type AllowEntry, AllowListMatcher, entryText, parseAllowValue } from '../domain/allowlist.js';
import { type Actor, type AuditTrail, NO_AUDIT } from '../domain/audit.js';
import type { IocType } from '../domain/ioc-types.js';
import { isoMs, parseIsoTime } from '../domain/iso-time.js';
import { AppError, InvalidParameterError, NotFoundError } from '../errors/app-error.js';
import type { AllowListStore, IngestWrites, IocReads } from '../store/store.js';
import type { IocPosition } from '../store/types.js';

/** What the allow-list service needs of the store: the list, the active IOCs to match, and their revocation. */
export type AllowListServiceStore = AllowListStore & Pick<IocReads, 'queryIocs'> & Pick<IngestWrites, 'revokeIocs'>;

/** An entry as the REST API and the CLI show it. */
export interface AllowEntryView {
  id: number;
  /** As written: a value, a CIDR, or `*.example.com`. */
  value: string;
  kind: AllowEntry['kind'];
  type: AllowEntry['type'];
  reason: string;
  /** The account that added it; null: the CLI. */
  author: number | null;
  created_at: string;
  expires_at: string | null;
  expired: boolean;
}

export const ALLOWLIST_PARAMS = ['limit', 'cursor'] as const;
/** Active IOCs read per page while looking for those a new entry matches. */
const SCAN_PAGE = 1000;
const MAX_REASON = 500;

export function allowEntryView(e: AllowEntry, now: number): AllowEntryView {
  return {
    id: e.id, value: entryText(e), kind: e.kind, type: e.type, reason: e.reason, author: e.author,
    created_at: isoMs(e.createdAt), expires_at: e.expiresAt === null ? null : isoMs(e.expiresAt),
    expired: e.expiresAt !== null && e.expiresAt <= now,
  };
}

/**
 * The allow-list without HTTP (REST routes and `socd allowlist` use it). Adding an entry revokes at once every active
 * IOC it matches: each gets its final STIX version with `revoked: true`, so polling SIEMs drop it, and the write
 * gate keeps the value from coming back (connectors/pipeline/write-observations.ts). Removing an entry revokes
 * nothing and restores nothing: a value comes back at its next sighting, as a new STIX object.
 */
export class AllowListService {
  constructor(
    private readonly store: AllowListServiceStore,
    private readonly signer: TokenSigner,
    private readonly limits: { defaultLimit: number; maxLimit: number },
    private readonly audit: AuditTrail = NO_AUDIT,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Checks and adds an entry, then revokes what it matches, and records it (`allowlist.add`). The entry's author is
   * the actor's account (null: the CLI).
   */
  async add(body: unknown, actor: Actor): Promise<{ entry: AllowEntryView; revoked: number }> {
    const author = actor.accountId;
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    for (const k of Object.keys(input)) {
      if (!['value', 'reason', 'expires_at'].includes(k)) throw new InvalidParameterError(k.slice(0, 50), 'unknown field', ['value', 'reason', 'expires_at']);
    }
    if (typeof input.value !== 'string') throw new InvalidParameterError('value', 'required: an IOC value, a CIDR or a domain suffix (*.example.com)');
    const parsed = parseAllowValue(input.value);
    if (!parsed.ok) throw new InvalidParameterError('value', parsed.why, 'an IOC value, a CIDR (203.0.113.0/24) or a domain suffix (*.example.com)');
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (reason === '' || reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(reason)) {
      throw new InvalidParameterError('reason', `required: why this is allowed, 1 to ${MAX_REASON} characters on one line`);
    }
    const now = this.clock();
    let expiresAt: number | null = null;
    if (input.expires_at !== undefined && input.expires_at !== null) {
      const t = typeof input.expires_at === 'string' ? parseIsoTime(input.expires_at) : undefined;
      if (t === undefined) throw new InvalidParameterError('expires_at', 'not an ISO 8601 date-time', 'ISO 8601, e.g. 2026-12-31T00:00:00Z');
      if (t <= now) throw new InvalidParameterError('expires_at', 'is in the past: an entry that has expired allows nothing');
      expiresAt = t;
    }
    const entry = await this.store.addAllowEntry({ ...parsed.target, reason, author, createdAt: now, expiresAt });
    if (!entry) {
      throw new AppError(409, 'conflict', `${entryText(parsed.target)} is on the allow-list already; remove that entry first to change it`, { value: entryText(parsed.target) });
    }
    const view = allowEntryView(entry, now);
    // The entry is in from here: it is recorded even if revoking what it matches fails (revoked: null then).
    let revoked: number | null = null;
    try {
      revoked = await this.revokeMatching(entry, now);
    } finally {
      await this.audit.record(actor, {
        action: 'allowlist.add',
        target: view.value,
        details: { id: view.id, kind: view.kind, type: view.type, reason: view.reason, expires_at: view.expires_at, revoked },
      });
    }
    return { entry: view, revoked };
  }

  async list(rawQuery: Record<string, unknown>) {
    for (const name of Object.keys(rawQuery)) {
      if (!(ALLOWLIST_PARAMS as readonly string[]).includes(name)) throw new InvalidParameterError(name.slice(0, 50), 'unknown parameter', ALLOWLIST_PARAMS);
    }
    const one = (name: string): string | undefined => {
      const v = rawQuery[name];
      if (v !== undefined && typeof v !== 'string') throw new InvalidParameterError(name, 'given more than once; pass it once');
      return v;
    };
    const limitText = one('limit');
    const limit = limitText === undefined ? this.limits.defaultLimit : Number(limitText);
    if (!/^\d{1,7}$/.test(limitText ?? '1') || limit < 1 || limit > this.limits.maxLimit) {
      throw new InvalidParameterError('limit', `an integer from 1 to ${this.limits.maxLimit}`);
    }
    const cursor = one('cursor');
    let after: number | undefined;
    if (cursor !== undefined) {
      const p = this.signer.verify(cursor) as { v?: unknown; k?: unknown; a?: unknown } | undefined;
      if (!p || p.v !== 1 || p.k !== 'allowlist' || !Number.isSafeInteger(p.a)) {
        throw new InvalidParameterError('cursor', 'not a cursor issued by this server', 'the pagination.next_cursor of a previous page');
      }
      after = p.a as number;
    }
    const page = await this.store.listAllowEntries({ ...(after !== undefined ? { after } : {}), limit });
    const next = page.next === null ? null : this.signer.sign({ v: 1, k: 'allowlist', a: page.next });
    const now = this.clock();
    return { data: page.items.map((e) => allowEntryView(e, now)), pagination: { limit, next_cursor: next, has_more: next !== null } };
  }

  /** Removes an entry and records it (`allowlist.remove`). */
  async remove(idText: string | number, actor: Actor): Promise<AllowEntryView> {
    const id = Number(idText);
    if (!Number.isSafeInteger(id) || id < 1 || !/^\d+$/.test(String(idText))) throw new InvalidParameterError('id', 'an allow-list entry id (a positive integer)');
    const entry = await this.store.getAllowEntry(id);
    if (!entry || !(await this.store.removeAllowEntry(id))) throw new NotFoundError(`no allow-list entry ${id}`);
    const view = allowEntryView(entry, this.clock());
    await this.audit.record(actor, {
      action: 'allowlist.remove',
      target: view.value,
      details: { id: view.id, kind: view.kind, type: view.type, reason: view.reason, expires_at: view.expires_at, author: view.author },
    });
    return view;
  }

  /** Revokes the active IOCs `entry` matches; how many were revoked. */
  async revokeMatching(entry: AllowEntry, now: number): Promise<number> {
    const matcher = new AllowListMatcher([entry], now);
    const ids = new Set<string>();
    if (entry.kind === 'value') {
      const [ioc] = (await this.store.queryIocs({ status: 'active', types: [entry.type], value: entry.value, limit: 1 })).items;
      if (ioc) ids.add(ioc.id);
    }
    // Networks and suffixes (and an address, which also matches URLs and emails on it) reach other types: their
    // active IOCs are read page by page (the type filter has an index) and matched here, a turn of the event loop
    // between pages so requests keep being answered.
    const reach: IocType[] = entry.kind === 'suffix' ? ['domain', 'url', 'email']
      : entry.type === 'ipv4' || entry.type === 'ipv6' ? [entry.type, 'url', 'email'] : [];
    for (const type of reach) {
      for (let after: IocPosition | undefined; ; ) {
        const page = await this.store.queryIocs({ status: 'active', types: [type], limit: SCAN_PAGE, ...(after ? { after } : {}) });
        for (const ioc of page.items) if (matcher.match(ioc.type, ioc.value)) ids.add(ioc.id);
        if (!page.next) break;
        after = page.next;
        await turn();
      }
    }
    const all = [...ids];
    let revoked = 0;
    for (let i = 0; i < all.length; i += SCAN_PAGE) revoked += await this.store.revokeIocs(all.slice(i, i + SCAN_PAGE), now);
    return revoked;
  }
}
