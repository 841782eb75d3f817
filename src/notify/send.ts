import http from 'node:http';
import https from 'node:https';
import { literalAddress } from '../connectors/transport/address-guard.js';
import { addressRefusal, guardedLookup, type TargetPolicy, TargetRefused } from './target.js';

/** How one POST of a delivery ended: the status when the receiver answered, else what went wrong. */
export interface PostResult {
  status: number | null;
  /** null: a 2xx; otherwise why it failed (no status, a refused address, a timeout, a non-2xx answer with its first bytes). */
  error: string | null;
}

export interface PostOptions {
  policy: TargetPolicy;
  /** The whole attempt (connect, send, answer) must end within this (default 10 s). */
  timeoutMs?: number;
  /** Bytes of the answer read at most (its start goes into the error of a non-2xx); the rest is dropped. */
  maxAnswerBytes?: number;
  userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_ANSWER_BYTES = 4096;

/**
 * POSTs a body to a webhook URL: content-type application/json and the given headers, over a fresh connection whose
 * address the policy checks (target.ts), never following a redirect (a 3xx is a failure: a receiver that moved is
 * told in the error), reading at most a few KB of the answer, within one deadline. Never throws.
 */
export function postDelivery(url: string, body: string, headers: Record<string, string>, o: PostOptions): Promise<PostResult> {
  return new Promise((resolve) => {
    let done = false;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (r: PostResult) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      resolve(r);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish({ status: null, error: 'the webhook URL does not parse' });
    }
    const plain = target.protocol === 'http:';
    const literal = literalAddress(target);
    const refused = literal ? addressRefusal(literal, o.policy, plain) : undefined;
    if (refused) return finish({ status: null, error: `refused: ${refused}` });
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const max = o.maxAnswerBytes ?? DEFAULT_ANSWER_BYTES;
    const payload = Buffer.from(body, 'utf8');
    const req = (plain ? http : https).request(target, {
      method: 'POST',
      // A connection of its own (no pooled socket resolved earlier): the guarded lookup sees every attempt.
      agent: false,
      lookup: guardedLookup(o.policy, plain),
      headers: {
        'content-type': 'application/json',
        'content-length': String(payload.length),
        'user-agent': o.userAgent ?? 'socd-webhooks',
        ...headers,
      },
    }, (res) => {
      const status = res.statusCode ?? 0;
      // Accepted: nothing in the answer matters; the socket is closed at once (a receiver need not send a body).
      if (status >= 200 && status < 300) {
        res.destroy();
        return finish({ status, error: null });
      }
      const chunks: Buffer[] = [];
      let read = 0;
      const end = () => {
        res.destroy();
        const text = Buffer.concat(chunks).toString('utf8').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 300);
        const moved = status >= 300 && status < 400 ? ` (a redirect${res.headers.location ? ` to ${String(res.headers.location).slice(0, 200)}` : ''}: never followed; update the webhook URL)` : '';
        finish({ status, error: `HTTP ${status}${moved}${text ? `: ${text}` : ''}` });
      };
      res.on('data', (c: Buffer) => {
        if (read < max) chunks.push(c.subarray(0, max - read));
        read += c.length;
        if (read >= max) end();
      });
      res.on('end', end);
      res.on('error', (err) => finish({ status, error: `the answer broke off: ${err.message}` }));
    });
    // Set once the request exists: a timer set before it would reach a request never made if making it threw.
    deadline = setTimeout(() => {
      req.destroy();
      finish({ status: null, error: `timeout: no complete answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    req.on('error', (err) => {
      const why = err instanceof TargetRefused || (err as { cause?: unknown }).cause instanceof TargetRefused ? `refused: ${err.message}` : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`;
      finish({ status: null, error: why });
    });
    req.end(payload);
  });
}
