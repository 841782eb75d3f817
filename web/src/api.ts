/**
 * The console's only way to the server: the public REST API under /api/v1, same origin. The session cookie
 * (HttpOnly, SameSite=Strict) is sent by the browser and never seen by this code; changes carry the CSRF token that
 * POST/GET /api/v1/session answered, in `X-CSRF-Token`. Errors come back as RFC 9457 problems.
 */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  required_role?: string;
  required_plan?: string;
  [k: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
}

let csrfToken: string | undefined;
/** Set by the session (sign-in, or GET /api/v1/session at load); cleared at sign-out. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when any request answers 401: the session has ended (expired, signed out elsewhere, key revoked). */
let onUnauthorized: (() => void) | undefined;
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined | readonly string[]>;
  /** JSON body (objects, arrays) or text (sent as text/plain). */
  body?: unknown;
  accept?: string;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const u = new URL(path.startsWith('/') ? path : `/api/v1/${path}`, window.location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v) u.searchParams.append(k, String(x));
    else u.searchParams.set(k, String(v));
  }
  return u.pathname + u.search;
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string') {
      headers['content-type'] = 'text/plain; charset=utf-8';
      body = opts.body;
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(apiUrl(path, opts.query), { method, headers, body, credentials: 'same-origin', signal: opts.signal, redirect: 'error' });
  if (!res.ok) {
    let problem: Problem = { status: res.status, title: res.statusText };
    try {
      const p = (await res.json()) as Partial<Problem>;
      if (p && typeof p === 'object') problem = { ...problem, ...p, status: res.status };
    } catch {
      // not JSON: keep the status line
    }
    if (res.status === 401 && !path.endsWith('session')) onUnauthorized?.();
    throw new ApiError(problem);
  }
  return res;
}

/** A JSON answer (undefined for 204). */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A text answer (CSV, NDJSON, STIX as text) for export. */
export async function apiText(path: string, opts: RequestOptions = {}): Promise<{ text: string; type: string }> {
  const res = await send(path, opts);
  return { text: await res.text(), type: res.headers.get('content-type') ?? 'application/octet-stream' };
}
