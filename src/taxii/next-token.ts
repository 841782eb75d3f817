import { filterDigest, type TokenSigner } from '../auth/signed-token.js';
import { badRequest } from './errors.js';

/** Where the next page starts: after this version of the log. */
export interface LogPosition {
  /** date_added of the last item served, epoch µs. */
  dateAdded: number;
  /** Its place in the log, which breaks ties of date_added. */
  seq: number;
}

/**
 * `next` (§3.5): opaque, stateless and signed, so any node continues any walk and nothing expires in memory;
 * bound to the filters (not to `limit`). A token that fails either check is a 400.
 */
export class NextTokens {
  constructor(private readonly signer: TokenSigner) {}

  issue(position: LogPosition, canonical: string): string {
    return this.signer.sign({ t: 'taxii', d: position.dateAdded, s: position.seq, f: filterDigest(canonical) });
  }

  read(token: string, canonical: string): LogPosition {
    const p = this.signer.verify(token) as { t?: unknown; d?: unknown; s?: unknown; f?: unknown } | undefined;
    if (!p || p.t !== 'taxii' || !Number.isSafeInteger(p.d) || !Number.isSafeInteger(p.s)) throw badRequest('next: not a token this server issued');
    if (p.f !== filterDigest(canonical)) throw badRequest('next: the token was issued for other filters; keep the filters of the first page (limit may change)');
    return { dateAdded: p.d as number, seq: p.s as number };
  }
}
