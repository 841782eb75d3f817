import { useState } from 'preact/hooks';
import { api } from '../../api';
import { fmtTime } from '../../format';
import { useSession } from '../../session';
import { errorText, ProblemNote, usePaged } from '../admin/common';
import { PLANS, ROLES, type Account, type Role } from './types';

/**
 * Accounts (admin): the list in id order, keyset paged; create one (email, plan, roles); change an account's plan,
 * roles and disabled state with PATCH /api/v1/accounts/{id}. The server refuses an admin removing its own admin role or
 * disabling itself (409): the page shows its answer.
 */
export function Accounts() {
  const list = usePaged<Account>('accounts', { limit: '50' });
  const [editing, setEditing] = useState<number | undefined>();
  const replace = (a: Account) => list.setItems((xs) => xs.map((x) => (x.id === a.id ? a : x)));

  return (
    <section aria-labelledby="accounts">
      <h2 id="accounts">Accounts</h2>
      <CreateAccount onCreated={() => void list.reload()} />
      {list.error ? <ProblemNote error={list.error} what="Managing accounts" /> : null}
      <table class="accounts">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Plan</th>
            <th scope="col">Roles</th>
            <th scope="col">Keys</th>
            <th scope="col">State</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((a) =>
            editing === a.id ? (
              <tr key={a.id} data-account={a.email}>
                <td colSpan={7}>
                  <EditAccount account={a} onDone={(x) => { if (x) replace(x); setEditing(undefined); }} />
                </td>
              </tr>
            ) : (
              <tr key={a.id} data-account={a.email}>
                <td>{a.email}</td>
                <td>
                  <span class="badge">{a.plan}</span>
                </td>
                <td>{a.roles.length ? a.roles.join(', ') : <span class="muted">none</span>}</td>
                <td>{a.active_keys}</td>
                <td>
                  {a.disabled ? (
                    <span class="error">
                      disabled{a.disabled_reason ? `: ${a.disabled_reason}` : ''}
                    </span>
                  ) : (
                    <span class="ok">active</span>
                  )}
                </td>
                <td>{fmtTime(a.created_at)}</td>
                <td>
                  <button type="button" onClick={() => setEditing(a.id)} aria-label={`Edit ${a.email}`}>
                    Edit
                  </button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
      {list.loading && <p role="status">Loading accounts…</p>}
      {list.hasMore && (
        <button type="button" onClick={() => void list.more()} disabled={list.loading}>
          Load more accounts
        </button>
      )}
    </section>
  );
}

function RoleBoxes({ idp, roles, onChange }: { idp: string; roles: Role[]; onChange: (r: Role[]) => void }) {
  return (
    <fieldset class="roles">
      <legend>Roles</legend>
      {ROLES.map((r) => (
        <span key={r} class="check">
          <input
            type="checkbox"
            id={`${idp}-${r}`}
            checked={roles.includes(r)}
            onChange={(e) => onChange(e.currentTarget.checked ? ROLES.filter((x) => x === r || roles.includes(x)) : roles.filter((x) => x !== r))}
          />
          <label for={`${idp}-${r}`}>{r}</label>
        </span>
      ))}
    </fieldset>
  );
}

function CreateAccount({ onCreated }: { onCreated: () => void }) {
  const [email, setEmail] = useState('');
  const [plan, setPlan] = useState<'free' | 'pro'>('free');
  const [roles, setRoles] = useState<Role[]>([]);
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      const a = await api<Account>('accounts', { method: 'POST', body: { email: email.trim(), plan, roles } });
      setMessage(`Account ${a.email} created (no keys yet).`);
      setEmail('');
      setRoles([]);
      onCreated();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="create-account" onSubmit={submit} aria-label="Create an account">
      <h3>Create an account</h3>
      <div class="row">
        <label for="new-account-email">Email</label>
        <input id="new-account-email" type="email" required maxLength={320} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="new-account-plan">Plan</label>
        <select id="new-account-plan" value={plan} onChange={(e) => setPlan(e.currentTarget.value as 'free' | 'pro')}>
          {PLANS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <RoleBoxes idp="new-account-role" roles={roles} onChange={setRoles} />
      <button type="submit" class="primary" disabled={busy}>
        Create account
      </button>
      <div role="status">{message}</div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function EditAccount({ account, onDone }: { account: Account; onDone: (a?: Account) => void }) {
  const { me } = useSession();
  const [plan, setPlan] = useState(account.plan);
  const [roles, setRoles] = useState<Role[]>(account.roles);
  const [disabled, setDisabled] = useState(account.disabled);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const idp = `acct-${account.id}`;
  const self = me?.account.id === account.id;

  const save = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    if (plan !== account.plan) body.plan = plan;
    if (roles.join(',') !== account.roles.join(',')) body.roles = roles;
    if (disabled !== account.disabled) {
      body.disabled = disabled;
      if (disabled && reason.trim()) body.reason = reason.trim();
    }
    if (Object.keys(body).length === 0) return onDone();
    setBusy(true);
    setError(undefined);
    try {
      onDone(await api<Account>(`accounts/${account.id}`, { method: 'PATCH', body }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="edit-account" onSubmit={save} aria-label={`Edit ${account.email}`}>
      <strong>{account.email}</strong>
      {self && <span class="hint"> (you: another admin must remove your admin role or disable you)</span>}
      <div class="row">
        <label for={`${idp}-plan`}>Plan</label>
        <select id={`${idp}-plan`} value={plan} onChange={(e) => setPlan(e.currentTarget.value as 'free' | 'pro')}>
          {PLANS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <RoleBoxes idp={`${idp}-role`} roles={roles} onChange={setRoles} />
      <div class="row">
        <input type="checkbox" id={`${idp}-disabled`} checked={disabled} onChange={(e) => setDisabled(e.currentTarget.checked)} />
        <label for={`${idp}-disabled`}>Disabled (every key of the account is refused)</label>
      </div>
      {disabled && !account.disabled && (
        <div class="row">
          <label for={`${idp}-reason`}>Reason</label>
          <input id={`${idp}-reason`} maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </div>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Save
      </button>{' '}
      <button type="button" onClick={() => onDone()}>
        Cancel
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
