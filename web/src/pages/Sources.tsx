import { useState } from 'preact/hooks';
import { fmtAge, fmtTime } from '../format';
import { useSession } from '../session';
import { ProblemNote, useApi } from '../components/admin/common';
import { Outcome, runCountsText } from '../components/sources/RunCountsText';
import { RunNow } from '../components/sources/RunNow';
import { RunsTable } from '../components/sources/RunsTable';
import { SourceSettings } from '../components/sources/SourceSettings';
import type { Source } from '../components/sources/types';

/**
 * Sources: the catalog (GET /api/v1/sources) with licence notes, enabled state, schedule and health, for every plan.
 * Administrators open a source to change its settings, run it now and watch the run end, and read its last runs;
 * others see the same list read-only, with a note saying why. Server text (names, licences, errors, homepages) is
 * rendered as text only, never as a link.
 */
export function Sources(_props: { params: Record<string, string> }) {
  const { can } = useSession();
  const admin = can('admin');
  const list = useApi<{ data: Source[] }>('sources');
  const [open, setOpen] = useState<string | undefined>();
  const [runsVersion, setRunsVersion] = useState(0);

  const replace = (s: Source) => list.setData((d) => (d ? { data: d.data.map((x) => (x.id === s.id ? s : x)) } : d));
  const sources = list.data?.data ?? [];
  const selected = sources.find((s) => s.id === open);

  return (
    <section class="sources-page">
      <h1>Sources</h1>
      {!admin && (
        <p class="notice">
          You can view the sources and their health. Enabling, scheduling, keys and <em>run now</em> need the admin role, which your
          account does not hold.
        </p>
      )}
      {list.error ? <ProblemNote error={list.error} what="The sources list" /> : null}
      {list.loading && !list.data && <p role="status">Loading sources…</p>}
      {list.data && (
        <table class="sources">
          <caption class="muted">{sources.length} sources</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">State</th>
              <th scope="col">Schedule</th>
              <th scope="col">Last run</th>
              <th scope="col">Last success</th>
              <th scope="col">Records / new / rejected / excluded</th>
              <th scope="col">Errors</th>
              <th scope="col">
                <span class="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr key={s.id} class={s.id === open ? 'selected' : undefined} data-source={s.id}>
                <td>
                  <strong>{s.name}</strong>
                  <div class="muted">
                    <code>{s.id}</code>
                    {s.custom ? ' · custom' : ''}
                  </div>
                </td>
                <td>
                  {s.enabled ? <span class="ok">enabled</span> : <span class="muted">disabled</span>}
                  {s.status_reason && <div class="muted">{s.status_reason}</div>}
                  {s.health?.stale && <div class="warn">stale</div>}
                </td>
                <td>{s.schedule}</td>
                <td>
                  {s.last_run ? (
                    <>
                      <Outcome outcome={s.last_run.outcome} />
                      <div class="muted">{fmtTime(s.last_run.started_at)}</div>
                    </>
                  ) : (
                    <span class="muted">never</span>
                  )}
                </td>
                <td>{s.health?.last_success_at ? `${fmtAge(s.health.last_success_at)} ago` : 'never'}</td>
                <td>{s.last_run ? `${s.last_run.records ?? 0} / ${s.last_run.new ?? 0} / ${s.last_run.rejected ?? 0} / ${s.last_run.excluded ?? 0}` : '—'}</td>
                <td>
                  {s.health && s.health.consecutive_failures > 0 ? (
                    <span class="error">{s.health.consecutive_failures} failed since last success</span>
                  ) : (
                    <span class="muted">none</span>
                  )}
                  {s.last_run?.error && <div class="run-error clamp" title={s.last_run.error}>{s.last_run.error}</div>}
                </td>
                <td>
                  <button
                    type="button"
                    aria-expanded={s.id === open}
                    aria-controls="source-detail"
                    onClick={() => setOpen(s.id === open ? undefined : s.id)}
                  >
                    {s.id === open ? 'Close' : admin ? 'Manage' : 'Details'}
                    <span class="visually-hidden"> {s.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && (
        <section id="source-detail" class="source-detail" aria-labelledby="source-detail-title">
          <h2 id="source-detail-title">{selected.name}</h2>
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{selected.id}</code>
            </dd>
            {selected.homepage && (
              <>
                <dt>Homepage</dt>
                <dd>
                  <code>{selected.homepage}</code>
                </dd>
              </>
            )}
            <dt>Licence</dt>
            <dd>
              {selected.license ?? '—'}
              {selected.redistributable === false && <span class="warn"> (not redistributable: kept out of STIX and TAXII)</span>}
            </dd>
            <dt>Mode</dt>
            <dd>{selected.mode === 'inc' ? 'incremental' : 'snapshot'}</dd>
            {selected.aggregate_of && selected.aggregate_of.length > 0 && (
              <>
                <dt>Aggregates</dt>
                <dd>{selected.aggregate_of.join(', ')}</dd>
              </>
            )}
            <dt>Last run</dt>
            <dd>{selected.last_run ? `${selected.last_run.outcome}: ${runCountsText(selected.last_run)}` : 'never'}</dd>
          </dl>
          {admin ? (
            <>
              <h3>Run now</h3>
              <RunNow
                key={selected.id}
                sourceId={selected.id}
                onFinished={() => {
                  void list.reload();
                  setRunsVersion((v) => v + 1);
                }}
              />
              <h3>Settings</h3>
              <SourceSettings source={selected} onSaved={replace} />
            </>
          ) : (
            <p class="hint">Settings and run now need the admin role.</p>
          )}
          <RunsTable key={`${selected.id}-${runsVersion}`} sourceId={selected.id} />
        </section>
      )}
    </section>
  );
}
