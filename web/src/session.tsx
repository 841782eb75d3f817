import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, setUnauthorizedHandler } from './api';

/** GET /api/v1/me's answer. */
export interface Me {
  account: {
    id: number;
    email: string;
    plan: 'free' | 'pro';
    roles: string[];
    effective_roles: string[];
    created_at: string;
    disabled: boolean;
    active_keys: number;
  };
  features: { rest: boolean; stix: boolean; taxii: boolean };
  limits: { lookup_batch: number; rate_limit: { max: number; window_seconds: number } };
  key: { prefix: string; name: string | null; created_at: string; last_used_at: string | null; revoked_at: string | null };
}

/** POST /api/v1/session and GET /api/v1/session answer this (GET: 204 when not signed in). */
export interface SessionAnswer {
  me: Me;
  csrf_token: string;
  expires_at: string;
}

interface SessionState {
  /** undefined while the page asks whether a session exists; null when signed out. */
  me: Me | null | undefined;
  expiresAt?: string;
  signIn(email: string, key: string): Promise<void>;
  signOut(): Promise<void>;
  /** Reloads /me (after a change of one's own keys, say). */
  refresh(): Promise<void>;
  /** Whether the account holds a role (roles nest: admin > analyst > submitter; effective_roles lists them all). */
  can(role: 'submitter' | 'analyst' | 'admin'): boolean;
}

const Ctx = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [expiresAt, setExpiresAt] = useState<string | undefined>();

  const adopt = (a: SessionAnswer | null) => {
    setCsrfToken(a?.csrf_token);
    setMe(a ? a.me : null);
    setExpiresAt(a?.expires_at);
  };

  useEffect(() => {
    setUnauthorizedHandler(() => adopt(null));
    // 204 (undefined) when not signed in.
    api<SessionAnswer | undefined>('session').then((a) => adopt(a ?? null), () => adopt(null));
    return () => setUnauthorizedHandler(undefined);
  }, []);

  const signIn = useCallback(async (email: string, key: string) => {
    adopt(await api<SessionAnswer>('session', { method: 'POST', body: { email, key } }));
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('session', { method: 'DELETE' });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
    } finally {
      adopt(null);
    }
  }, []);

  const refresh = useCallback(async () => {
    setMe(await api<Me>('me'));
  }, []);

  const can = (role: string) => !!me && me.account.effective_roles.includes(role);

  return <Ctx.Provider value={{ me, expiresAt, signIn, signOut, refresh, can }}>{children}</Ctx.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
