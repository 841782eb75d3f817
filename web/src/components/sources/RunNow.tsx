import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api';
import { fmtTime } from '../../format';
import { errorText } from '../admin/common';
import { Outcome, runCountsText } from './RunCountsText';
import { isActive, type Run } from './types';

const POLL_MS = 1000;

/**
 * Run now (admin): POST …/runs queues a run (202); the page then asks GET …/runs/{id} about once a second until it is
 * neither queued nor running, and shows how it ended with its counts. A run already under way (409 run_in_progress)
 * is watched instead; a source that cannot run (409 source_not_runnable) says why.
 */
export function RunNow({ sourceId, onFinished }: { sourceId: string; onFinished: () => void }) {
  const [run, setRun] = useState<Run | undefined>();
  const [watching, setWatching] = useState<number | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const path = (runId: number) => `sources/${encodeURIComponent(sourceId)}/runs/${runId}`;

  useEffect(() => {
    if (watching === undefined) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const { run: r } = await api<{ run: Run }>(path(watching));
        if (stopped) return;
        setRun(r);
        if (isActive(r.status)) timer = setTimeout(ask, POLL_MS);
        else {
          setWatching(undefined);
          onFinished();
        }
      } catch (e) {
        if (stopped) return;
        setError(errorText(e));
        setWatching(undefined);
      }
    };
    timer = setTimeout(ask, POLL_MS);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [watching, sourceId]);

  const start = async () => {
    setBusy(true);
    setError(undefined);
    setRun(undefined);
    try {
      const { run: r } = await api<{ run: Run }>(`sources/${encodeURIComponent(sourceId)}/runs`, { method: 'POST' });
      setRun(r);
      setWatching(r.id);
    } catch (e) {
      if (e instanceof ApiError && e.problem.code === 'run_in_progress' && typeof e.problem.run_id === 'number') {
        setError(`A run of this source is already under way (run ${e.problem.run_id}): watching it.`);
        setWatching(e.problem.run_id);
      } else if (e instanceof ApiError && e.problem.code === 'source_not_runnable') {
        setError(`This source cannot run now: ${String(e.problem.reason ?? e.message)}`);
      } else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const active = watching !== undefined;
  return (
    <div class="run-now">
      <button type="button" class="primary" onClick={start} disabled={busy || active}>
        {active ? 'Running…' : 'Run now'}
      </button>
      <div role="status" aria-live="polite" class="run-status">
        {run && (
          <p>
            Run {run.id}: <Outcome outcome={run.status} />
            {isActive(run.status) ? ` (since ${fmtTime(run.started_at)})` : ` — ${runCountsText(run)}`}
            {run.error && <span class="error"> — {run.error}</span>}
          </p>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
