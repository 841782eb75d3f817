import { fmtTime } from '../../format';
import { ProblemNote, usePaged } from '../admin/common';
import { Outcome, runCountsText } from './RunCountsText';
import type { Run } from './types';

/**
 * The last runs of a source, newest first, with their counts and errors (keyset paged: "Load more"). The page remounts
 * it (a new `key`) when a run it watched ends.
 */
export function RunsTable({ sourceId }: { sourceId: string }) {
  const runs = usePaged<Run>(`sources/${encodeURIComponent(sourceId)}/runs`, { limit: '10' });
  return (
    <section aria-labelledby={`runs-${sourceId}`}>
      <h3 id={`runs-${sourceId}`}>Last runs</h3>
      {runs.error ? (
        <ProblemNote error={runs.error} />
      ) : !runs.loading && runs.items.length === 0 ? (
        <p class="muted">No runs yet.</p>
      ) : (
        <>
          <table class="runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Started</th>
                <th scope="col">Outcome</th>
                <th scope="col">Counts</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.items.map((r) => (
                <tr key={r.id}>
                  <td>{r.id}</td>
                  <td>{fmtTime(r.started_at)}</td>
                  <td>
                    <Outcome outcome={r.status} />
                  </td>
                  <td>{runCountsText(r)}</td>
                  <td class="run-error">{r.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {runs.hasMore && (
            <button type="button" onClick={() => void runs.more()} disabled={runs.loading}>
              Load more runs
            </button>
          )}
        </>
      )}
    </section>
  );
}
