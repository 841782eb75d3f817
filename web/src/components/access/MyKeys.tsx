import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api';
import { fmtTime } from '../../format';
import { useSession } from '../../session';
import { CopyButton, errorText, ProblemNote, useApi } from '../admin/common';
import type { ApiKey, NewKey } from './types';

/**
 * The signed-in account's keys (GET /api/v1/keys): create one with a name — the key is shown ONCE, in a read-only
 * field with a Copy button and a warning, and dropped from the page's state when dismissed — and revoke one after an
 * inline confirmation (no browser dialog). Revoking the key this session signed in with ends the session.
 */
export function MyKeys() {
  const { me, refresh } = useSession();
  const keys = useApi<{ data: ApiKey[] }>('keys');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<NewKey | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const shown = useRef<HTMLInputElement>(null);
  // The new key is where keyboard and screen-reader users land: selected, ready to copy.
  useEffect(() => {
    if (created) shown.current?.focus();
  }, [created]);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      const k = await api<NewKey>('keys', { method: 'POST', body: name.trim() ? { name: name.trim() } : {} });
      setCreated(k);
      setName('');
      void keys.reload();
      void refresh().catch(() => {});
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const dismiss = () => {
    const prefix = created?.prefix;
    setCreated(undefined);
    setMessage(`The key ${prefix ?? ''} is no longer shown here.`);
  };

  const revoke = async (prefix: string) => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      await api<ApiKey>(`keys/${encodeURIComponent(prefix)}`, { method: 'DELETE' });
      setConfirming(undefined);
      setMessage(`Key ${prefix} revoked.`);
      void keys.reload();
      if (prefix !== me?.key.prefix) void refresh().catch(() => {});
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="my-keys">
      <h2 id="my-keys">Your API keys</h2>
      <p class="hint">
        A key is your password for the REST API and TAXII (HTTP Basic: your email and the key, or <code>Authorization: Bearer</code>).
      </p>
      {created && (
        <div class="new-key notice" role="region" aria-label="New key">
          <p class="warn">
            <strong>Copy this key now: it is shown only once.</strong> The server keeps only its hash; it cannot show it again.
          </p>
          <label for="new-key-value">New key {created.prefix}{created.name ? ` (${created.name})` : ''}</label>
          <div class="row">
            <input ref={shown} id="new-key-value" readOnly value={created.key} size={50} spellcheck={false} autocomplete="off" onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={created.key} label="Copy the new key" />
          </div>
          <button type="button" onClick={dismiss}>
            I have stored it — hide the key
          </button>
        </div>
      )}
      <form class="inline-form" onSubmit={create}>
        <label for="key-name">Name (what it is for)</label>
        <input id="key-name" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} placeholder="siem" />
        <button type="submit" class="primary" disabled={busy}>
          Create key
        </button>
      </form>
      <div role="status">{message}</div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {keys.error ? <ProblemNote error={keys.error} /> : null}
      {keys.data && (
        <table class="keys">
          <thead>
            <tr>
              <th scope="col">Prefix</th>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.data.map((k) => (
              <tr key={k.prefix} data-prefix={k.prefix}>
                <td>
                  <code>{k.prefix}</code>
                  {k.prefix === me?.key.prefix && <span class="badge">this session</span>}
                </td>
                <td>{k.name ?? ''}</td>
                <td>{fmtTime(k.created_at)}</td>
                <td>{fmtTime(k.last_used_at)}</td>
                <td>{k.revoked_at ? <span class="muted">revoked {fmtTime(k.revoked_at)}</span> : <span class="ok">active</span>}</td>
                <td>
                  {!k.revoked_at &&
                    (confirming === k.prefix ? (
                      <ConfirmRevoke
                        prefix={k.prefix}
                        current={k.prefix === me?.key.prefix}
                        busy={busy}
                        onYes={() => revoke(k.prefix)}
                        onNo={() => setConfirming(undefined)}
                      />
                    ) : (
                      <button type="button" class="danger" onClick={() => setConfirming(k.prefix)} aria-label={`Revoke ${k.prefix}`}>
                        Revoke
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The inline "are you sure" of a revocation (no browser dialog): focus moves to it, Cancel is one Tab away. */
function ConfirmRevoke(p: { prefix: string; current: boolean; busy: boolean; onYes: () => void; onNo: () => void }) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <span class="confirm" role="group" aria-label={`Confirm revoking ${p.prefix}`}>
      {p.current ? 'This ends your session. ' : ''}Revoke {p.prefix}? It is refused at once, everywhere.{' '}
      <button ref={yes} type="button" class="danger" disabled={p.busy} onClick={p.onYes}>
        Yes, revoke
      </button>{' '}
      <button type="button" onClick={p.onNo}>
        Cancel
      </button>
    </span>
  );
}
