import { fmtNumber } from '../../format';
import type { RunCounts } from './types';

/** "120 records, 5 new, 0 rejected" and the rest of a run's counts that are not zero. */
export function runCountsText(r: RunCounts): string {
  const parts = [`${fmtNumber(r.records ?? 0)} records`, `${fmtNumber(r.new ?? 0)} new`];
  if (r.updated) parts.push(`${fmtNumber(r.updated)} updated`);
  if (r.delisted) parts.push(`${fmtNumber(r.delisted)} delisted`);
  parts.push(`${fmtNumber(r.rejected ?? 0)} rejected`);
  if (r.excluded) parts.push(`${fmtNumber(r.excluded)} excluded`);
  if (r.allowlisted) parts.push(`${fmtNumber(r.allowlisted)} allow-listed`);
  return parts.join(', ');
}

/** An outcome as a word with its colour class. */
export function Outcome({ outcome }: { outcome: string | undefined }) {
  const cls = outcome === 'ok' || outcome === 'not-modified' ? 'ok' : outcome === 'failed' ? 'error' : outcome === 'skipped' ? 'warn' : 'muted';
  return <span class={`outcome ${cls}`}>{outcome ?? 'never run'}</span>;
}
