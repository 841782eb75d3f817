import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Value } from '../components/Value';
import { defang, fmtTime } from '../format';
import { iocPath, type Ioc } from '../lib/ioc';
import { clip } from '../lib/version-diff';
import {
  BANDS, filterQuery, hasFilters, IOC_TYPES, PAGE_SIZES, parseSearch, searchHref, SECTORS, STATUSES, type SearchFilters,
} from '../lib/search-query';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';

interface Page {
  data: Ioc[];
  pagination: { limit: number; next_cursor: string | null; has_more: boolean };
}

/**
 * Search: the filters of GET /api/v1/iocs as a form whose state is the page URL (a search is a link), results paged
 * with the keyset cursor (Next / First, never offsets), and the selection's export (CSV, JSON; STIX on Pro).
 */
export function Search(_props: { params: Record<string, string> }) {
  const { query } = useLocation();
  const state = parseSearch(query);
  const key = searchHref(state);
  const [draft, setDraft] = useState<SearchFilters>(state.filters);
  const [page, setPage] = useState<Page | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [sources, setSources] = useState<string[]>([]);

  // The form follows the URL (back/forward, a followed link).
  useEffect(() => setDraft(state.filters), [key]);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(undefined);
    api<Page>('iocs', { query: { ...filterQuery(state.filters), limit: state.limit, cursor: state.cursor || undefined }, signal: ctl.signal })
      .then((p) => setPage(p), (e: unknown) => {
        if (ctl.signal.aborted) return;
        setPage(undefined);
        setError(e instanceof ApiError ? e.message : 'The server could not be reached.');
      })
      .finally(() => !ctl.signal.aborted && setLoading(false));
    return () => ctl.abort();
  }, [key]);

  useEffect(() => {
    api<{ data: Array<{ id: string }> }>('sources').then((r) => setSources(r.data.map((s) => s.id)), () => setSources([]));
  }, []);

  const submit = (e: Event) => {
    e.preventDefault();
    navigate(searchHref({ filters: draft, limit: state.limit, cursor: '' }));
  };
  const set = (k: keyof SearchFilters) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <section class="search">
      <h1>Search</h1>
      <form class="search-filters" onSubmit={submit} role="search" aria-label="IOC filters">
        <div class="field">
          <label for="f-q">Value</label>
          <input id="f-q" type="search" value={draft.q} onInput={set('q')} placeholder="exact value, defanged is fine" spellcheck={false} maxLength={2048} />
        </div>
        <div class="field">
          <label for="f-type">Type</label>
          <select id="f-type" value={draft.type} onChange={set('type')}>
            <option value="">any</option>
            <Options choices={IOC_TYPES} current={draft.type} />
          </select>
        </div>
        <div class="field">
          <label for="f-band">Confidence band</label>
          <select id="f-band" value={draft.confidence} onChange={set('confidence')}>
            <option value="">any</option>
            <Options choices={BANDS} current={draft.confidence} />
          </select>
        </div>
        <div class="field">
          <label for="f-sector">Sector</label>
          <select id="f-sector" value={draft.industry} onChange={set('industry')}>
            <option value="">any</option>
            <Options choices={SECTORS} current={draft.industry} />
          </select>
        </div>
        <div class="field">
          <label for="f-source">Source</label>
          <input id="f-source" list="f-source-list" value={draft.source} onInput={set('source')} spellcheck={false} maxLength={200} />
          <datalist id="f-source-list">
            {sources.map((s) => <option key={s} value={s} />)}
          </datalist>
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" value={draft.status === 'active' ? '' : draft.status} onChange={set('status')}>
            <option value="">active (default)</option>
            <Options choices={STATUSES.filter((s) => s !== 'active')} current={draft.status === 'active' ? '' : draft.status} />
          </select>
        </div>
        <div class="field">
          <label for="f-since">Added since</label>
          {/* A date picker, or text when the link carries a date-time (the API takes both). */}
          <input id="f-since" type={draft.since === '' || /^\d{4}-\d{2}-\d{2}$/.test(draft.since) ? 'date' : 'text'} value={draft.since} onInput={set('since')} maxLength={40} />
        </div>
        <div class="actions">
          <button type="submit" class="primary">Search</button>
          <button type="button" onClick={() => navigate('/search')} disabled={!hasFilters(state.filters) && !state.cursor}>Clear</button>
        </div>
      </form>

      <Exports filters={state.filters} />

      {error && <p class="error" role="alert">{error}</p>}
      <p role="status" class="muted">
        {loading ? 'Searching…' : page ? `${page.data.length} IOC${page.data.length === 1 ? '' : 's'} on this page${state.cursor ? ' (not the first)' : ''}${page.pagination.has_more ? '; more follow' : ''}.` : ''}
      </p>
      {page && <Results page={page} />}
      {page && (
        <nav class="pager" aria-label="Result pages">
          <button type="button" disabled={!state.cursor} onClick={() => navigate(searchHref({ ...state, cursor: '' }))}>First page</button>
          <button
            type="button"
            disabled={!page.pagination.has_more || !page.pagination.next_cursor}
            onClick={() => navigate(searchHref({ ...state, cursor: page.pagination.next_cursor ?? '' }))}
          >
            Next page
          </button>
          <label for="f-limit">Per page</label>
          <select id="f-limit" value={String(state.limit)} onChange={(e) => navigate(searchHref({ ...state, limit: Number(e.currentTarget.value), cursor: '' }))}>
            {PAGE_SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </nav>
      )}
    </section>
  );
}

/** A select's options, plus the current value when a link carries one the page does not list (a comma list of types, say): the form then shows what is searched. */
function Options({ choices, current }: { choices: readonly string[]; current: string }) {
  return (
    <>
      {choices.map((c) => <option key={c} value={c}>{c}</option>)}
      {current && !choices.includes(current) && <option value={current}>{current}</option>}
    </>
  );
}

function Results({ page }: { page: Page }) {
  if (page.data.length === 0) return <p>No IOC matches these filters.</p>;
  return (
    <div class="scroll">
      <table class="results">
        <thead>
          <tr>
            <th scope="col">Value</th>
            <th scope="col">Type</th>
            <th scope="col">Score</th>
            <th scope="col">Sources</th>
            <th scope="col">Added</th>
            <th scope="col">Status</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {page.data.map((ioc) => (
            <tr key={ioc.id} data-id={ioc.id}>
              <td><Value value={ioc.value} type={ioc.type} /></td>
              <td>{ioc.type}</td>
              <td class="num">{ioc.score} <span class="muted">{ioc.confidence}</span></td>
              <td>{ioc.sources.join(', ')}</td>
              <td>{fmtTime(ioc.added_at)}</td>
              <td>{ioc.status}</td>
              <td>
                <Link href={iocPath(ioc.id)} aria-label={`Details of ${clip(defang(ioc.value, ioc.type), 100)}`}>Details</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The whole selection as a download: GET forms to the export routes, the filters as hidden fields (same origin, so
 * the session cookie goes with them; Content-Disposition: attachment keeps the page). Forms, not links: no <a href>
 * is ever built from a searched value.
 */
function Exports({ filters }: { filters: SearchFilters }) {
  const { me } = useSession();
  const q = filterQuery(filters);
  const hidden = Object.entries(q).map(([k, v]) => <input key={k} type="hidden" name={k} value={v} />);
  return (
    <section class="exports" aria-labelledby="export-h">
      <h2 id="export-h">Export this selection</h2>
      <div class="inline">
        <form method="get" action="/api/v1/iocs/export" class="export-form" data-export="file">
          {hidden}
          <button type="submit" name="format" value="csv">CSV</button>
          <button type="submit" name="format" value="json">JSON</button>
        </form>
        {me?.features.stix ? (
          <form method="get" action="/api/v1/iocs/stix" class="export-form" data-export="stix">
            {hidden}
            <button type="submit">STIX 2.1 bundle</button>
          </form>
        ) : (
          <p class="notice inline-notice">STIX export needs the Pro plan.</p>
        )}
      </div>
    </section>
  );
}
