import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionStore } from '../store/store.js';
import type { AuthResult, Authenticator } from './authenticator.js';
import type { TokenSigner } from './signed-token.js';

/** The console's session cookie (HttpOnly, SameSite=Strict, Path=/api/v1). */
export const SESSION_COOKIE = 'socd_session';
/** The header a cookie-authenticated change must carry (the token POST/GET /api/v1/session answered). */
export const CSRF_HEADER = 'x-csrf-token';

const TOKEN_BYTES = 32;
/** base64url of 32 bytes. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface OpenedSession {
  /** The cookie's value: shown to the browser once, stored only as its hash. */
  token: string;
  csrfToken: string;
  expiresAt: number;
}

/**
 * Console sign-in (issue 16): the account email and an API key — the TAXII Basic credentials — are exchanged once
 * for a random session token held in an HttpOnly cookie, so the key never stays in the page. A session lives
 * `ttlMs` and is as good as its key on every request: revoking the key, disabling the account or signing out ends
 * it at once, on every node (the store decides, nothing is cached). Changes sent with the cookie must carry the
 * CSRF token, a MAC of the session token under the server secret (TokenSigner.tag): the page reads it from the sign-in answer (or
 * GET /api/v1/session), a cross-site form cannot.
 */
export class ConsoleSessions {
  constructor(
    private readonly store: SessionStore,
    private readonly authenticator: Authenticator,
    private readonly signer: TokenSigner,
    readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Checks the credentials; on success stores a new session. Expired sessions are swept on the way. */
  async open(email: string, key: string): Promise<{ ok: true; session: OpenedSession; auth: AuthResult & { ok: true } } | { ok: false; reason: string }> {
    const auth = await this.authenticator.verify({ scheme: 'basic', username: email, key });
    if (!auth.ok) return auth;
    const now = this.clock();
    await this.store.deleteExpiredSessions(now);
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = now + this.ttlMs;
    await this.store.createSession({ tokenHash: hashToken(token), keyId: auth.principal.keyId, createdAt: now, expiresAt });
    return { ok: true, session: { token, csrfToken: this.csrfOf(token), expiresAt }, auth };
  }

  /** The principal of a session cookie, or why it is refused. */
  async resolve(token: string): Promise<AuthResult & { expiresAt?: number }> {
    if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'invalid session; sign in again' };
    const found = await this.store.findSession(hashToken(token));
    if (!found) return { ok: false, reason: 'no such session (signed out, or it expired); sign in again' };
    if (found.expiresAt <= this.clock()) return { ok: false, reason: 'the session expired; sign in again' };
    const auth = this.authenticator.admit(found.key);
    return auth.ok ? { ...auth, expiresAt: found.expiresAt } : { ok: false, reason: `${auth.reason}; the session ended with it` };
  }

  /** Ends a session (sign-out). */
  async close(token: string): Promise<void> {
    if (TOKEN_SHAPE.test(token)) await this.store.deleteSession(hashToken(token));
  }

  csrfOf(token: string): string {
    return this.signer.tag('csrf', token);
  }

  /** Whether `given` (the X-CSRF-Token header) is the CSRF token of session `token`; constant time. */
  csrfMatches(token: string, given: string | undefined): boolean {
    if (given === undefined) return false;
    const a = Buffer.from(given, 'utf8');
    const b = Buffer.from(this.csrfOf(token), 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
