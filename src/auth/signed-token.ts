import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Opaque, stateless, signed tokens for cursors (REST) and `next` (TAXII): any node that shares the secret can
 * continue any walk, and nothing is kept in memory. The payload is bound to a hash of the filters it was made for.
 */
export class TokenSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update(`socd-token:${secret}`).digest();
  }

  sign(payload: unknown): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The payload, or undefined when the token is malformed or was not signed with this secret. */
  verify(token: string): unknown {
    if (token.length > 2048) return undefined;
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    // Compared as text: decoding base64 first would let a trailing character slip through.
    const given = Buffer.from(token.slice(dot + 1), 'utf8');
    const expected = Buffer.from(this.mac(body), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }

  /** A MAC of `data` for another purpose than tokens (`label` keeps the purposes apart): the console's CSRF token. */
  tag(label: string, data: string): string {
    return createHmac('sha256', this.key).update(`${label}\0${data}`).digest('base64url');
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 32);
  }
}

/** A short, stable digest of a canonical filter description. */
export function filterDigest(canonical: string): string {
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}
