import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';

/**
 * Sign in with the account email and an API key (the TAXII Basic credentials). The key goes to POST /api/v1/session
 * once and is exchanged for an HttpOnly session cookie: it is never stored by the page, nor put in a URL.
 */
export function SignIn() {
  const { signIn } = useSession();
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(email.trim(), key.trim());
      setKey('');
      const next = query.get('next');
      // Only a path of this console: never an absolute URL from the query (an open redirect).
      navigate(next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The server could not be reached.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>SOC Defenders</h1>
      <form onSubmit={submit} aria-describedby={error ? 'signin-error' : undefined}>
        <h2>Sign in</h2>
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required spellcheck={false} value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        {error && (
          <p id="signin-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">
          Use the email of your account and one of its keys (<code>sk_live_…</code>). An admin creates accounts and keys with{' '}
          <code>socd accounts create</code> and <code>socd keys create</code>.
        </p>
      </form>
    </main>
  );
}
