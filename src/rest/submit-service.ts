import { Readable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import type { Config } from '../config/config.js';
import { MissingValueColumnError, parseDelimited } from '../connectors/formats/delimited.js';
import { jsonItemRecord } from '../connectors/formats/json-records.js';
import { parseJson } from '../connectors/formats/json-text.js';
import type { ParsedItem } from '../connectors/formats/raw-record.js';
import { submitItems, type SubmittedItem, type SubmitSummary, summarize } from '../connectors/pipeline/submission.js';
import { type GateStore, loadAllowList } from '../connectors/pipeline/write-observations.js';
import type { ExclusionRules } from '../domain/exclusions.js';
import { type LimitTier, limitTier, type Plan } from '../domain/plans.js';
import type { Role } from '../domain/roles.js';
import { InvalidParameterError, TooLargeError, UnsupportedMediaTypeError } from '../errors/app-error.js';
import type { AllowListStore, IocLookup, SourceRunStore } from '../store/store.js';
import type { SourceRecord } from '../store/types.js';

/** What a submission needs of the store: the gate's writes, the allow-list, the source and its runs, the new ids. */
export type SubmitStore = GateStore & AllowListStore & Pick<IocLookup, 'lookupValues'> & Pick<SourceRunStore, 'listSources' | 'upsertSource' | 'startRun' | 'finishRun'>;

export const SUBMIT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type SubmitFormat = (typeof SUBMIT_FORMATS)[number];
export const SUBMIT_MEDIA_TYPES: Record<SubmitFormat, string> = { json: 'application/json', ndjson: 'application/x-ndjson', csv: 'text/csv' };

/** The most bytes a submission body may have (the route's body limit: a 413 beyond). */
export const SUBMIT_MAX_BYTES = 5 * 1024 * 1024;

/**
 * What a submitting account's own source starts as (docs: README "Submitting IOCs"): a person's report is less sure
 * than a curated feed's, so reliability 0.6; TLP:AMBER for items that carry none, since a submission is often from
 * an internal case; redistributable, so the values are served like any feed's (over STIX and TAXII too).
 */
export const SUBMIT_SOURCE_DEFAULTS = { reliability: 0.6, tlp: 'amber', redistributable: true, aggregate: false } as const;

/** The source an account submits to: named by its id, which never changes, unlike its email. */
export const submitSourceId = (accountId: number): string => `submit-${accountId}`;

export interface Submitter {
  accountId: number;
  email: string;
  plan: Plan;
  /** The admin role has the limits of `plans.admin` (domain/plans.ts limitTier). */
  roles: readonly Role[];
}

export interface SubmitAnswer {
  source: string;
  summary: SubmitSummary;
  /** In input order; `line` (CSV, NDJSON) is the body's line the item came from, `id` the IOC's STIX id once stored. */
  items: Array<SubmittedItem & { id?: string; line?: number }>;
}

/** The format a Content-Type names (its parameters ignored), or a 415. */
export function submitFormatOf(contentType: string | undefined): SubmitFormat {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const found = SUBMIT_FORMATS.find((f) => SUBMIT_MEDIA_TYPES[f] === media || (f === 'ndjson' && (media === 'application/jsonl' || media === 'application/jsonlines')));
  if (!found) {
    throw new UnsupportedMediaTypeError(`a submission is ${Object.values(SUBMIT_MEDIA_TYPES).join(', ')}; got ${JSON.stringify(media.slice(0, 80) || 'no Content-Type')}`, Object.values(SUBMIT_MEDIA_TYPES));
  }
  return found;
}

/**
 * POST /api/v1/iocs without HTTP: the body read as its format says (the import's item fields and CSV columns,
 * connectors/formats/), the plan's cap, the account's source and a run for the submission, then the one write
 * (connectors/pipeline/submission.ts). The write never depends on the client's connection: once the body is read,
 * the accepted items are stored even if the client has gone.
 */
export class SubmitService {
  constructor(
    private readonly store: SubmitStore,
    private readonly exclusions: ExclusionRules,
    private readonly plans: Config['plans'],
    private readonly clock: () => number = Date.now,
  ) {}

  async submit(body: unknown, format: SubmitFormat, who: Submitter): Promise<SubmitAnswer> {
    const tier = limitTier(who.plan, who.roles);
    const limit = this.plans[tier].submitBatch;
    const items = await readItems(body, format, limit, tier);
    if (items.length === 0) throw new InvalidParameterError('body', 'holds no IOCs: send at least one item');
    const now = this.clock();
    const source = await this.sourceOf(who);
    const allowlist = await loadAllowList(this.store, now);
    const run = await this.store.startRun(source, now);
    let results: SubmittedItem[];
    try {
      results = await submitItems(this.store, source, items, { exclusions: this.exclusions, allowlist, now, run });
    } catch (err) {
      await this.finish(run, [], err instanceof Error ? err.message : String(err));
      throw err;
    }
    const summary = summarize(results);
    await this.finish(run, results);
    const ids = await this.idsOf(results);
    return {
      source,
      summary,
      items: results.map((r) => {
        const id = r.value !== undefined && r.type !== undefined && ['created', 'updated', 'unchanged'].includes(r.status) ? ids.get(`${r.type} ${r.value}`) : undefined;
        const from = items[r.index];
        const line = format === 'json' || from === undefined ? undefined : 'record' in from ? from.record.line : 'problem' in from ? from.problem.line : undefined;
        return { ...r, ...(line !== undefined ? { line } : {}), ...(id ? { id } : {}) };
      }),
    };
  }

  /**
   * The account's source, made on first use. Its name is served to every consumer (STIX external references, the
   * MISP feed's event titles): it names the account by id, never by email (the audit log says who submitted).
   */
  private async sourceOf(who: Submitter): Promise<string> {
    const id = submitSourceId(who.accountId);
    const name = `Submissions of account ${who.accountId}`;
    const known = (await this.store.listSources()).find((s) => s.id === id);
    if (!known) {
      const record: SourceRecord = { id, name, ...SUBMIT_SOURCE_DEFAULTS };
      await this.store.upsertSource(record);
    } else if (known.name !== name) await this.store.upsertSource({ ...known, name });
    return id;
  }

  private async finish(run: number, results: readonly SubmittedItem[], error?: string): Promise<void> {
    const s = summarize(results);
    await this.store.finishRun(run, {
      outcome: error === undefined ? 'ok' : 'failed', records: results.length, inserted: s.created, updated: s.updated, unchanged: s.unchanged,
      delisted: 0, rejected: s.rejected, excluded: s.excluded, allowlisted: s.allowlisted, bytes: 0, error: error?.slice(0, 500) ?? null, etag: null, lastModified: null,
      finishedAt: this.clock(),
    });
  }

  /** The STIX ids of the stored items, by `type value`, looked up in slices. */
  private async idsOf(results: readonly SubmittedItem[]): Promise<Map<string, string>> {
    const keys = new Map<string, { type: NonNullable<SubmittedItem['type']>; value: string }>();
    for (const r of results) if (r.type !== undefined && r.value !== undefined && r.status !== 'rejected') keys.set(`${r.type} ${r.value}`, { type: r.type, value: r.value });
    const ids = new Map<string, string>();
    const all = [...keys.values()];
    for (let at = 0; at < all.length; at += 500) {
      for (const ioc of await this.store.lookupValues(all.slice(at, at + 500))) ids.set(`${ioc.type} ${ioc.value}`, ioc.id);
    }
    return ids;
  }
}

function tooMany(limit: number, plan: LimitTier, what: string): TooLargeError {
  const who = plan === 'admin' ? 'with the admin role' : `on the ${plan} plan`;
  return new TooLargeError(`a submission takes at most ${limit} IOCs ${who}; ${what}: split it`, { limit, plan });
}

/** The body's items in order, each a record or a problem; a body that is not its format as a whole is a 400. */
async function readItems(body: unknown, format: SubmitFormat, limit: number, plan: LimitTier): Promise<ParsedItem[]> {
  switch (format) {
    case 'json': {
      const list = Array.isArray(body) ? body : typeof body === 'object' && body !== null && Array.isArray((body as { iocs?: unknown }).iocs) ? (body as { iocs: unknown[] }).iocs : undefined;
      if (!list) throw new InvalidParameterError('body', 'expected a JSON array of IOCs (strings or objects with a "value"), or {"iocs": [...]}');
      if (list.length > limit) throw tooMany(limit, plan, `this one has ${list.length}`);
      const items: ParsedItem[] = [];
      for (const [i, item] of list.entries()) {
        items.push(jsonItemRecord(item, i + 1));
        if (i % 1000 === 999) await turn();
      }
      return items;
    }
    case 'ndjson': {
      const text = typeof body === 'string' ? body : '';
      const items: ParsedItem[] = [];
      let line = 0;
      for (const raw of text.split(/\r?\n|\r/)) {
        line++;
        if (raw.trim() === '') continue;
        if (items.length === limit) throw tooMany(limit, plan, 'this one has more');
        const json = parseJson(raw);
        items.push(json.ok ? jsonItemRecord(json.value, line) : { problem: { line, reason: `not valid JSON: ${json.message}` } });
        if (items.length % 1000 === 0) await turn();
      }
      return items;
    }
    case 'csv': {
      const text = typeof body === 'string' ? body : '';
      const items: ParsedItem[] = [];
      try {
        for await (const item of parseDelimited(Readable.from([text]))) {
          if (items.length === limit) throw tooMany(limit, plan, 'this one has more');
          items.push(item);
        }
      } catch (err) {
        if (err instanceof MissingValueColumnError) throw new InvalidParameterError('body', err.message);
        throw err;
      }
      return items;
    }
  }
}
