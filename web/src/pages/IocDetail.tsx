import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { ConfirmedAction } from '../components/ioc/ConfirmedAction';
import { Value } from '../components/Value';
import { defang, fmtTime } from '../format';
import type { IocDetail as Ioc } from '../lib/ioc';
import { clip, versionHistory, type FieldChange } from '../lib/version-diff';
import { Link, navigate } from '../router';
import { useSession } from '../session';

/** GET /api/v1/iocs/{id}/versions (Pro). */
interface Version {
  modified: string;
  date_added: string;
  revoked: boolean;
  object: Record<string, unknown>;
}
interface Versions {
  data: Version[];
  more: boolean;
}

type VersionsState = { kind: 'loading' } | { kind: 'ok'; versions: Versions } | { kind: 'pro' } | { kind: 'error'; message: string };

/**
 * One IOC: its value, score and sources (first/last seen, reference as text), its STIX version history with what
 * changed between versions (Pro), the current STIX object, and the analyst's Revoke and Allow-list actions.
 */
export function IocDetail({ params }: { params: Record<string, string> }) {
  const { me, can } = useSession();
  const idOrValue = params.id ?? '';
  const [ioc, setIoc] = useState<Ioc | undefined>();
  const [error, setError] = useState<{ status: number; message: string } | undefined>();
  const [versions, setVersions] = useState<VersionsState>({ kind: 'loading' });

  const load = useCallback(async (signal?: AbortSignal) => {
    setError(undefined);
    let found: Ioc;
    try {
      found = await api<Ioc>(`iocs/${encodeURIComponent(idOrValue)}`, { signal });
    } catch (e) {
      if (signal?.aborted) return;
      setIoc(undefined);
      setError(e instanceof ApiError ? { status: e.status, message: e.message } : { status: 0, message: 'The server could not be reached.' });
      return;
    }
    if (signal?.aborted) return;
    setIoc(found);
    if (!me?.features.stix) {
      setVersions({ kind: 'pro' });
      return;
    }
    try {
      setVersions({ kind: 'ok', versions: await api<Versions>(`iocs/${encodeURIComponent(found.id)}/versions`, { signal }) });
    } catch (e) {
      if (signal?.aborted) return;
      if (e instanceof ApiError && e.problem.required_plan) setVersions({ kind: 'pro' });
      else setVersions({ kind: 'error', message: e instanceof ApiError ? e.message : 'The server could not be reached.' });
    }
  }, [idOrValue, me?.features.stix]);

  useEffect(() => {
    const ctl = new AbortController();
    setIoc(undefined);
    setVersions({ kind: 'loading' });
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  if (error) {
    return (
      <section>
        <h1>IOC</h1>
        <p class="error" role="alert">{error.status === 404 ? 'No IOC has this id or value.' : error.message}</p>
        <p>
          {/* A button, not a link: no <a href> is built from a value. */}
          <button type="button" onClick={() => navigate(`/search?q=${encodeURIComponent(idOrValue)}`)}>Search for it</button> or <Link href="/lookup">look it up</Link>.
        </p>
      </section>
    );
  }
  if (!ioc) {
    return (
      <section>
        <h1>IOC</h1>
        <p role="status">Loading…</p>
      </section>
    );
  }

  const current = versions.kind === 'ok' ? versions.versions.data[0]?.object : undefined;
  return (
    <section class="ioc-detail" data-status={ioc.status}>
      <h1>
        IOC <span class="h1-value">{clip(defang(ioc.value, ioc.type), 120)}</span>
      </h1>
      <dl class="facts">
        <dt>Value</dt>
        <dd><Value value={ioc.value} type={ioc.type} /></dd>
        <dt>Type</dt>
        <dd>{ioc.type}</dd>
        <dt>Score</dt>
        <dd>{ioc.score} / 100 <span class="badge">{ioc.confidence}</span></dd>
        <dt>Status</dt>
        <dd data-field="status">{ioc.status === 'revoked' ? <strong class="error">revoked</strong> : ioc.status}</dd>
        <dt>STIX id</dt>
        <dd><code>{ioc.id}</code></dd>
        <dt>TLP</dt>
        <dd>{ioc.tlp}</dd>
        <dt>Valid until</dt>
        <dd>{fmtTime(ioc.valid_until)}</dd>
        <dt>First / last seen</dt>
        <dd>{fmtTime(ioc.first_seen)} / {fmtTime(ioc.last_seen)}</dd>
        <dt>Added</dt>
        <dd>{fmtTime(ioc.added_at)}</dd>
        <dt>Tags</dt>
        <dd>{ioc.tags.length ? ioc.tags.join(', ') : '—'}</dd>
        <dt>Malware</dt>
        <dd>{ioc.malware.length ? ioc.malware.join(', ') : '—'}</dd>
        <dt>Sectors</dt>
        <dd>{ioc.sectors.length ? ioc.sectors.join(', ') : '—'}</dd>
      </dl>

      <h2>Sources</h2>
      <div class="scroll">
        <table class="sightings">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">Times seen</th>
              <th scope="col">Confidence</th>
              <th scope="col">Reference</th>
              <th scope="col">Delisted</th>
            </tr>
          </thead>
          <tbody>
            {ioc.sightings.map((s) => (
              <tr key={s.source}>
                <th scope="row">{s.source}</th>
                <td>{fmtTime(s.first_seen)}</td>
                <td>{fmtTime(s.last_seen)}</td>
                <td class="num">{s.count}</td>
                <td class="num">{s.confidence ?? '—'}</td>
                {/* Source-written text: shown, never a link. */}
                <td class="ref">{s.reference ?? '—'}</td>
                <td>{s.ended_at ? fmtTime(s.ended_at) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <Actions ioc={ioc} canAct={can('analyst')} reload={() => load()} />

      <h2>Version history</h2>
      {versions.kind === 'loading' && <p role="status">Loading versions…</p>}
      {versions.kind === 'pro' && (
        <p class="notice">The STIX version history and the STIX object of an IOC need the Pro plan; this account ({me?.account.plan}) sees the REST fields above.</p>
      )}
      {versions.kind === 'error' && <p class="error" role="alert">{versions.message}</p>}
      {versions.kind === 'ok' && <History versions={versions.versions} />}

      {current && (
        <>
          <h2>Current STIX object</h2>
          <pre class="json" tabIndex={0} aria-label="Current STIX object (JSON)">{JSON.stringify(current, null, 2)}</pre>
        </>
      )}
    </section>
  );
}

function Actions({ ioc, canAct, reload }: { ioc: Ioc; canAct: boolean; reload: () => Promise<void> }) {
  if (!canAct) {
    return <p class="muted">Revoking and allow-listing need the analyst role.</p>;
  }
  const shown = defang(ioc.value, ioc.type);
  return (
    <section class="actions-panel" aria-labelledby="actions-h">
      <h2 id="actions-h">Analyst actions</h2>
      {ioc.status === 'revoked' ? (
        <p>This IOC is revoked: TAXII and REST clients received its final version. It comes back if a source reports it again; allow-list it to keep it out.</p>
      ) : (
        <ConfirmedAction
          id="revoke"
          label="Revoke"
          reasonHint="e.g. false positive: our CDN edge, ticket SOC-4711"
          consequence={`Revoke ${clip(shown, 120)}? It gets a final STIX version with revoked: true and leaves every active list.`}
          run={async (reason) => {
            await api(`iocs/${encodeURIComponent(ioc.id)}/revoke`, { method: 'POST', body: { reason } });
            await reload();
            return 'Revoked.';
          }}
        />
      )}
      <ConfirmedAction
        id="allow"
        label="Allow-list"
        reasonHint="e.g. our partner's mail server"
        consequence={`Add ${clip(shown, 120)} to the allow-list? It is revoked now and no source can list it again while the entry stands.`}
        run={async (reason) => {
          const r = await api<{ revoked: number }>('allowlist', { method: 'POST', body: { value: ioc.value, reason } });
          await reload();
          return `Allow-listed; ${r.revoked} IOC${r.revoked === 1 ? '' : 's'} revoked.`;
        }}
      />
    </section>
  );
}

function History({ versions }: { versions: Versions }) {
  const history = versionHistory(versions.data);
  return (
    <>
      <ol class="versions">
        {history.map(({ version, diff }, i) => (
          <li key={`${version.modified}-${i}`}>
            <strong>{fmtTime(version.modified)}</strong>
            {i === 0 && <span class="badge">current</span>}
            {version.revoked && <span class="badge error">revoked</span>}
            {!diff ? (
              <span class="muted"> first version</span>
            ) : diff.added.length + diff.removed.length + diff.changed.length === 0 ? (
              <span class="muted"> no field changed but modified</span>
            ) : (
              <ul class="diff">
                {diff.changed.map((c) => <Change key={`c-${c.field}`} kind="changed" c={c} />)}
                {diff.added.map((c) => <Change key={`a-${c.field}`} kind="added" c={c} />)}
                {diff.removed.map((c) => <Change key={`r-${c.field}`} kind="removed" c={c} />)}
              </ul>
            )}
          </li>
        ))}
      </ol>
      {versions.more && <p class="muted">Older versions are not shown (the newest 100 are).</p>}
    </>
  );
}

function Change({ kind, c }: { kind: 'added' | 'removed' | 'changed'; c: FieldChange }) {
  return (
    <li class={`diff-${kind}`}>
      <span class="diff-kind">{kind}</span> <code>{c.field}</code>
      {kind === 'changed' && <>: <code>{clip(c.before)}</code> → <code>{clip(c.after)}</code></>}
      {kind === 'added' && <>: <code>{clip(c.after)}</code></>}
      {kind === 'removed' && <> (was <code>{clip(c.before)}</code>)</>}
    </li>
  );
}

