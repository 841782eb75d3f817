import { useState } from 'preact/hooks';
import { fmtTime } from '../../format';
import { ProblemNote, usePaged } from '../admin/common';
import type { AuditRecord } from './types';

interface Filters {
  action: string;
  email: string;
  target: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { action: '', email: '', target: '', since: '', until: '' };

/** datetime-local (local time, no zone) → ISO 8601 UTC, as the API takes it. */
const iso = (local: string): string | undefined => {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

/**
 * The audit log (admin): newest first, keyset paged, with the API's filters (exact action or `prefix.*`, actor email,
 * exact target, since/until). Details are shown as JSON text, never interpreted.
 */
export function AuditLog() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const log = usePaged<AuditRecord>('audit', {
    limit: '50',
    action: applied.action.trim() || undefined,
    email: applied.email.trim() || undefined,
    target: applied.target.trim() || undefined,
    since: iso(applied.since),
    until: iso(applied.until),
  });
  const field = (k: keyof Filters, label: string, type = 'text', placeholder?: string) => (
    <span class="field">
      <label for={`audit-${k}`}>{label}</label>
      <input id={`audit-${k}`} type={type} value={draft[k]} placeholder={placeholder} maxLength={320} onInput={(e) => setDraft({ ...draft, [k]: e.currentTarget.value })} />
    </span>
  );

  return (
    <section aria-labelledby="audit">
      <h2 id="audit">Audit log</h2>
      <form
        class="filters"
        aria-label="Audit log filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
        }}
      >
        {field('action', 'Action', 'text', 'account.* or key.create')}
        {field('email', 'Actor email', 'email')}
        {field('target', 'Target')}
        {field('since', 'Since', 'datetime-local')}
        {field('until', 'Until', 'datetime-local')}
        <button type="submit">Filter</button>{' '}
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            setApplied(EMPTY);
          }}
        >
          Clear
        </button>
      </form>
      {log.error ? <ProblemNote error={log.error} what="The audit log" /> : null}
      <table class="audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Who</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {log.items.map((r) => (
            <tr key={r.id} data-action={r.action}>
              <td>{fmtTime(r.at)}</td>
              <td>
                <code>{r.action}</code>
              </td>
              <td class="wrap">{r.target ?? ''}</td>
              <td>
                {r.actor.email ?? <span class="muted">no account</span>}
                <div class="muted">
                  {r.actor.via}
                  {r.actor.key_prefix ? ` · ${r.actor.key_prefix}` : ''}
                  {r.actor.origin ? ` · ${r.actor.origin}` : ''}
                </div>
              </td>
              <td>
                <pre class="details">{JSON.stringify(r.details, null, 1)}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!log.loading && !log.error && log.items.length === 0 && <p class="muted">No records match.</p>}
      {log.loading && <p role="status">Loading the audit log…</p>}
      {log.hasMore && (
        <button type="button" onClick={() => void log.more()} disabled={log.loading}>
          Load older records
        </button>
      )}
    </section>
  );
}
