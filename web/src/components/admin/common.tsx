import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type RequestOptions } from '../../api';

/**
 * Small pieces shared by the admin and integration pages (Sources, Access, TAXII): a loader hook, an error note that
 * turns a plan or role refusal into an explanation (never a raw 403), a copy button and a keyset "load more" list.
 */

export interface Paged<T> {
  data: T[];
  pagination: { limit: number; next_cursor: string | null; has_more: boolean };
}

/** What an error says to a person: the problem's detail, or that the server could not be reached. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return 'The server could not be reached.';
}

/** An API error as the page shows it: a plan or role refusal is explained; anything else is an alert. */
export function ProblemNote({ error, what }: { error: unknown; what?: string }) {
  if (error instanceof ApiError && error.status === 403 && error.problem.required_plan) {
    return (
      <p class="notice">
        {what ? `${what} needs` : 'This needs'} the Pro plan (yours does not include it). Ask an administrator to move your account to
        the Pro plan.
      </p>
    );
  }
  if (error instanceof ApiError && error.status === 403 && error.problem.required_role) {
    return (
      <p class="notice">
        {what ? `${what} needs` : 'This needs'} the {String(error.problem.required_role)} role, which your account does not hold.
      </p>
    );
  }
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** GETs `path` now and when `deps` change; `reload` asks again. Answers of a superseded request are dropped. */
export function useApi<T>(path: string | null, query?: RequestOptions['query'], deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(path !== null);
  const seq = useRef(0);
  const load = useCallback(async () => {
    if (path === null) return;
    const mine = ++seq.current;
    setLoading(true);
    try {
      const d = await api<T>(path, { query });
      if (mine !== seq.current) return;
      setData(d);
      setError(undefined);
    } catch (e) {
      if (mine !== seq.current) return;
      setError(e);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, JSON.stringify(query ?? {}), ...deps]);
  useEffect(() => {
    void load();
    return () => {
      seq.current++;
    };
  }, [load]);
  return { data, setData, error, loading, reload: load };
}

/**
 * A keyset-paged list (`pagination.next_cursor` → `cursor`): the first page when `query` changes, then "Load more"
 * appends the next one. Never an offset.
 */
export function usePaged<T>(path: string | null, query: Record<string, string | undefined> = {}) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  const key = JSON.stringify(query);

  const fetchPage = useCallback(
    async (cursor: string | null, append: boolean) => {
      if (path === null) return;
      const mine = ++seq.current;
      setLoading(true);
      try {
        const page = await api<Paged<T>>(path, { query: { ...query, cursor: cursor ?? undefined } });
        if (mine !== seq.current) return;
        setItems((old) => (append ? [...old, ...page.data] : page.data));
        setNext(page.pagination.has_more ? page.pagination.next_cursor : null);
        setError(undefined);
      } catch (e) {
        if (mine === seq.current) setError(e);
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [path, key],
  );

  useEffect(() => {
    void fetchPage(null, false);
    return () => {
      seq.current++;
    };
  }, [fetchPage]);

  return {
    items,
    setItems,
    error,
    loading,
    hasMore: next !== null,
    more: () => next !== null && fetchPage(next, true),
    reload: () => fetchPage(null, false),
  };
}

/** Copies `text` (a URL, a snippet; never a secret the page keeps) and says so. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('copied');
    } catch {
      setDone('failed');
    }
    setTimeout(() => setDone(undefined), 1500);
  };
  return (
    <button type="button" class="copy" onClick={copy} aria-label={label}>
      {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}
