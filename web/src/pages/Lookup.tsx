import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Value } from '../components/Value';
import { defang, fmtNumber } from '../format';
import { iocPath } from '../lib/ioc';
import { countVerdicts, LISTED_VERDICTS, listedValues, verdictWords, type LookupItem } from '../lib/lookup-verdicts';
import { clip } from '../lib/version-diff';
import { Link } from '../router';
import { useSession } from '../session';

interface Answer {
  data: LookupItem[];
  rejected: Array<{ input: string; reason: string }>;
  limit: number;
}

/** Longest text the page sends (the server bounds the body too; this keeps a stray paste from freezing the tab). */
const MAX_TEXT = 2_000_000;

/**
 * Lookup: paste any text (an email, a log, a ticket); the server takes the values out of it (refanged, normalized)
 * and answers each one's verdict. The listed ones can be copied, one per line, as real values.
 */
export function Lookup(_props: { params: Record<string, string> }) {
  const { me } = useSession();
  const [text, setText] = useState('');
  const [answer, setAnswer] = useState<Answer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | undefined>();
  const batch = me?.limits.lookup_batch;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setCopied(undefined);
    try {
      setAnswer(await api<Answer>('lookup', { method: 'POST', body: text }));
    } catch (err) {
      setAnswer(undefined);
      if (err instanceof ApiError && err.status === 413) {
        setError(
          `Too many values in one look-up: this account's plan (${me?.account.plan ?? '?'}) takes at most ${fmtNumber(batch ?? 0)} values at a time. ` +
            `Split the text and look up each part${me?.account.plan === 'free' ? ', or ask for the Pro plan (larger look-ups)' : ''}. (${err.message})`,
        );
      } else setError(err instanceof ApiError ? err.message : 'The server could not be reached.');
    } finally {
      setBusy(false);
    }
  };

  const copyListed = async () => {
    if (!answer) return;
    try {
      await navigator.clipboard.writeText(listedValues(answer.data));
      setCopied(`Copied ${answer.data.filter((i) => LISTED_VERDICTS.has(i.verdict)).length} listed values.`);
    } catch {
      setCopied('The clipboard is not available here: select the values in the table instead.');
    }
  };

  const listed = answer ? answer.data.filter((i) => LISTED_VERDICTS.has(i.verdict)).length : 0;
  const counts = answer ? countVerdicts(answer.data) : undefined;

  return (
    <section class="lookup">
      <h1>Lookup</h1>
      <form onSubmit={submit}>
        <label for="lookup-text">Text or values to look up</label>
        <p id="lookup-hint" class="hint">
          Paste anything: addresses, networks, URLs, domains, emails, hashes and CVE ids are found in it (defanged values too).
          {batch !== undefined && <> Your plan looks up at most <strong data-limit={batch}>{fmtNumber(batch)}</strong> values at a time.</>}
        </p>
        <textarea
          id="lookup-text"
          aria-describedby="lookup-hint"
          rows={10}
          spellcheck={false}
          value={text}
          maxLength={MAX_TEXT}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || text.trim() === ''}>{busy ? 'Looking up…' : 'Look up'}</button>
          <button type="button" disabled={busy || text === ''} onClick={() => { setText(''); setAnswer(undefined); setError(undefined); }}>Clear</button>
        </div>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {answer && (
        <section aria-labelledby="verdicts-h">
          <h2 id="verdicts-h">Verdicts</h2>
          <p role="status">
            {answer.data.length === 0
              ? 'No value found in the text.'
              : `${answer.data.length} value${answer.data.length === 1 ? '' : 's'}: ` +
                [...counts!.entries()].map(([v, n]) => `${n} ${verdictWords(v).toLowerCase()}`).join(', ') + '.'}
          </p>
          {answer.data.length > 0 && (
            <p>
              <button type="button" disabled={listed === 0} onClick={() => void copyListed()}>Copy the listed ones ({listed})</button>{' '}
              {copied && <span role="status">{copied}</span>}
            </p>
          )}
          {answer.data.length > 0 && <Verdicts items={answer.data} />}
          {answer.rejected.length > 0 && (
            <>
              <h3>Not looked up</h3>
              <ul class="rejected">
                {answer.rejected.map((r, i) => (
                  <li key={i}><code>{r.input}</code>: {r.reason}</li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
    </section>
  );
}

/** Rows drawn at first: a 10,000-value answer renders in one go only when asked (the summary and the copy cover all). */
const FIRST_ROWS = 1000;

function Verdicts({ items: all }: { items: LookupItem[] }) {
  const [showAll, setShowAll] = useState(false);
  const items = showAll ? all : all.slice(0, FIRST_ROWS);
  return (
    <div class="scroll">
      <table class="verdicts">
        <thead>
          <tr>
            <th scope="col">Value</th>
            <th scope="col">Type</th>
            <th scope="col">Verdict</th>
            <th scope="col">Score</th>
            <th scope="col">Sources</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item, i) => (
            <tr key={`${item.type}:${item.value}:${i}`} data-verdict={item.verdict} data-value={item.value}>
              <td><Value value={item.value} type={item.type} /></td>
              <td>{item.type}</td>
              <td>
                <span class={`verdict verdict-${item.verdict}`}>{verdictWords(item.verdict)}</span>
                {item.matched && (
                  <div class="muted small">
                    {item.verdict === 'listed-network' ? 'network ' : item.verdict === 'listed-host' ? 'host ' : 'matched '}
                    <code>{defang(item.matched.value, item.matched.type)}</code>
                  </div>
                )}
                {item.allowlist_entry && <div class="muted small">entry {item.allowlist_entry.value}: {item.allowlist_entry.reason}</div>}
              </td>
              <td class="num">{item.score !== undefined ? <>{item.score} <span class="muted">{item.confidence}</span></> : '—'}</td>
              <td>{item.sources?.length ? item.sources.map((s) => s.source).join(', ') : '—'}</td>
              <td>
                {item.ioc_ids[0] ? (
                  <Link href={iocPath(item.ioc_ids[0])} aria-label={`Details of ${clip(defang(item.matched?.value ?? item.value, item.matched?.type ?? item.type), 100)}`}>Details</Link>
                ) : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length < all.length && (
        <p>
          {fmtNumber(items.length)} of {fmtNumber(all.length)} values shown.{' '}
          <button type="button" onClick={() => setShowAll(true)}>Show all {fmtNumber(all.length)}</button>
        </p>
      )}
    </div>
  );
}
