import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { AddedChart } from '../components/dashboard/AddedChart';
import { fmtNumber, fmtTime } from '../format';
import { ATTENTION, fmtSeconds, healthState, perDaySeries, utcDay, type AddedPerDay, type HealthState } from '../lib/dashboard-data';
import { Link } from '../router';

/** GET /api/v1/stats. */
interface Stats {
  computed_at: string;
  totals: {
    all: number;
    by_status: Record<string, number>;
    by_type: Record<string, number>;
    by_band: Record<string, number>;
  };
  added_per_day: AddedPerDay[];
  added_since?: string;
}

/** The parts of a GET /api/v1/sources item shown here. */
interface Source {
  id: string;
  name: string;
  enabled: boolean;
  schedule: string | null;
  health: { last_success_at: string | null; last_success_age_seconds: number | null; consecutive_failures: number; stale: boolean };
  last_run: {
    started_at: string;
    finished_at: string | null;
    outcome: string;
    records: number;
    new: number;
    rejected: number;
    error: string | null;
  } | null;
}

const ORDER: HealthState[] = ['failing', 'stale', 'running', 'never run', 'ok', 'disabled'];

/**
 * Dashboard: totals by type, band and status, IOCs added per day by source, and the health of every source. Two
 * cheap reads (/stats is kept by triggers, /sources by the run log): never a count over the IOC table.
 */
export function Dashboard(_props: { params: Record<string, string> }) {
  const [stats, setStats] = useState<Stats | undefined>();
  const [sources, setSources] = useState<Source[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    const ctl = new AbortController();
    const fail = (e: unknown) => {
      if (!ctl.signal.aborted) setError(e instanceof ApiError ? e.message : 'The server could not be reached.');
    };
    api<Stats>('stats', { signal: ctl.signal }).then(setStats, fail);
    api<{ data: Source[] }>('sources', { signal: ctl.signal }).then((r) => setSources(r.data), fail);
    return () => ctl.abort();
  }, []);

  return (
    <section class="dashboard">
      <h1>Dashboard</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {!stats && !error && <p role="status">Loading figures…</p>}
      {stats && <Totals stats={stats} />}
      {stats && <AddedPerDayView stats={stats} />}
      <SourceHealth sources={sources} />
    </section>
  );
}

function Totals({ stats }: { stats: Stats }) {
  const t = stats.totals;
  const byType = Object.entries(t.by_type).sort((a, b) => b[1] - a[1]);
  return (
    <section aria-labelledby="totals-h">
      <h2 id="totals-h">Totals</h2>
      <p class="muted">As of {fmtTime(stats.computed_at)}.</p>
      <div class="cards">
        <table class="figures" aria-labelledby="by-status-h">
          <caption id="by-status-h">By status</caption>
          <thead><tr><th scope="col">Status</th><th scope="col">IOCs</th></tr></thead>
          <tbody>
            <tr><th scope="row">all</th><td class="num" data-figure="all">{fmtNumber(t.all)}</td></tr>
            {Object.entries(t.by_status).map(([k, v]) => (
              <tr key={k}><th scope="row">{k}</th><td class="num" data-figure={`status:${k}`}>{fmtNumber(v)}</td></tr>
            ))}
          </tbody>
        </table>
        <table class="figures" aria-labelledby="by-band-h">
          <caption id="by-band-h">Active, by confidence band</caption>
          <thead><tr><th scope="col">Band</th><th scope="col">IOCs</th></tr></thead>
          <tbody>
            {['high', 'medium', 'low'].filter((b) => b in t.by_band).map((b) => (
              <tr key={b}>
                <th scope="row"><Link href={`/search?confidence=${b}`}>{b}</Link></th>
                <td class="num" data-figure={`band:${b}`}>{fmtNumber(t.by_band[b]!)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table class="figures" aria-labelledby="by-type-h">
          <caption id="by-type-h">Active, by type</caption>
          <thead><tr><th scope="col">Type</th><th scope="col">IOCs</th></tr></thead>
          <tbody>
            {byType.length === 0 && <tr><td colSpan={2} class="muted">No active IOCs yet.</td></tr>}
            {byType.map(([k, v]) => (
              <tr key={k}>
                <th scope="row"><Link href={`/search?type=${encodeURIComponent(k)}`}>{k}</Link></th>
                <td class="num" data-figure={`type:${k}`}>{fmtNumber(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function AddedPerDayView({ stats }: { stats: Stats }) {
  const today = utcDay(Date.parse(stats.computed_at) || Date.now());
  const series = useMemo(() => perDaySeries(stats.added_per_day, today, 30), [stats, today]);
  const total = series.totals.reduce((a, b) => a + b, 0);
  return (
    <section aria-labelledby="added-h">
      <h2 id="added-h">IOCs added per day, last 30 days, by source</h2>
      {series.sources.length === 0 ? (
        <p class="muted" role="status">No source run added IOCs in the last 30 days.</p>
      ) : (
        <>
          <p class="muted">{fmtNumber(total)} new IOCs from {series.sources.length} source{series.sources.length === 1 ? '' : 's'} ({series.days[0]} to {series.days[series.days.length - 1]}, UTC).</p>
          <AddedChart series={series} />
          <details>
            <summary>The chart's figures as a table</summary>
            <div class="scroll">
              <table class="added-table">
                <caption>IOCs added per day (UTC) by source</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    {series.sources.map((s) => <th scope="col" key={s}>{s}</th>)}
                    <th scope="col">All</th>
                  </tr>
                </thead>
                <tbody>
                  {series.days.map((d, i) => (
                    <tr key={d}>
                      <th scope="row">{d}</th>
                      {series.counts.map((row, s) => <td class="num" key={series.sources[s]}>{fmtNumber(row[i]!)}</td>)}
                      <td class="num">{fmtNumber(series.totals[i]!)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

function SourceHealth({ sources }: { sources: Source[] | undefined }) {
  const rows = useMemo(
    () => (sources ?? []).map((s) => ({ s, state: healthState(s) })).sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || a.s.id.localeCompare(b.s.id)),
    [sources],
  );
  const attention = rows.filter((r) => ATTENTION.has(r.state)).length;
  return (
    <section aria-labelledby="health-h">
      <h2 id="health-h">Source health</h2>
      {!sources ? (
        <p role="status">Loading sources…</p>
      ) : (
        <>
          <p class={attention ? 'warn' : 'ok'}>
            {attention === 0 ? 'Every enabled source is healthy.' : `${attention} source${attention === 1 ? ' needs' : 's need'} attention (failing or stale).`}
          </p>
          <div class="scroll">
            <table class="health">
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Health</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Last success</th>
                  <th scope="col">Records</th>
                  <th scope="col">New</th>
                  <th scope="col">Rejected</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ s, state }) => (
                  <tr key={s.id} data-source={s.id} class={`health-${state.replace(' ', '-')}`}>
                    <th scope="row">
                      {s.name} <span class="muted">({s.id})</span>
                    </th>
                    <td><span class={`state state-${state.replace(' ', '-')}`}>{state}</span>{s.health.consecutive_failures > 1 && <span class="muted"> ({s.health.consecutive_failures} failures in a row)</span>}</td>
                    <td>{s.last_run ? fmtTime(s.last_run.started_at) : '—'}</td>
                    <td>
                      {s.last_run?.outcome ?? '—'}
                      {s.last_run?.error && <div class="muted small">{s.last_run.error}</div>}
                    </td>
                    <td>{s.health.last_success_at ? `${fmtSeconds(s.health.last_success_age_seconds)} ago` : 'never'}</td>
                    <td class="num">{s.last_run ? fmtNumber(s.last_run.records) : '—'}</td>
                    <td class="num">{s.last_run ? fmtNumber(s.last_run.new) : '—'}</td>
                    <td class="num">{s.last_run ? fmtNumber(s.last_run.rejected) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
