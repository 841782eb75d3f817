import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Unzip, UnzipInflate } from 'fflate';
import { AddressGuard, AddressRefused, type GuardedDispatcher, guardedDispatcher, precheckName } from './address-guard.js';

/** Why a download failed; recorded on the source's run, never thrown past the runner. */
export type FetchFailure = 'timeout' | 'stalled' | 'network' | 'http' | 'too-large' | 'bad-gzip' | 'redirect' | 'address';

export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    readonly kind: FetchFailure,
    message: string,
    readonly httpStatus?: number,
    readonly attempts = 1,
  ) {
    super(message);
  }
}

export interface FetchOptions {
  url: string;
  headers?: Record<string, string>;
  /** Until the response headers arrive, ms (default 60 s). */
  timeoutMs?: number;
  /** The whole body, ms (default 30 min): large feeds stream for minutes while they are stored. */
  bodyTimeoutMs?: number;
  /** Longest silence while the body streams (and we are reading) before the source counts as stalled, ms (default 30 s). */
  idleTimeoutMs?: number;
  /** A source slower than this many bytes per window while we are reading is stalled (trickle; default 1 KB per 60 s). */
  minBytesPerWindow?: number;
  rateWindowMs?: number;
  /** Largest body accepted, bytes, after decompression (default 256 MB). */
  maxBytes?: number;
  /** Redirects followed at most (default 5); one more fails the download as `redirect`. */
  maxRedirects?: number;
  /**
   * Values that must never reach another origin (the source's key): once a redirect leaves the configured origin,
   * query parameters that carry one are dropped, and a redirect that still carries one elsewhere in its URL is refused.
   */
  secrets?: readonly string[];
  /** Further attempts after a network error, a 5xx or a 429 (default 3). */
  retries?: number;
  /** First backoff, doubled at each retry, ms (default 2 s). A Retry-After header wins, up to maxRetryAfterMs. */
  backoffMs?: number;
  maxRetryAfterMs?: number;
  /** Conditional request (RFC 9110 §13): the validators of the last successful download. */
  etag?: string | null;
  lastModified?: string | null;
  userAgent: string;
  /** Seams for tests. */
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export type FetchResult =
  | { status: 'not-modified'; attempts: number }
  | { status: 'ok'; body: Readable; etag: string | null; lastModified: string | null; contentType: string | null; attempts: number };

/**
 * Resolver answers not worth retrying within a run (getaddrinfo codes as Node names them). ENOTFOUND (NXDOMAIN or no
 * address), EAI_NODATA and EAI_FAIL are permanent: the name does not resolve and will not in two seconds.
 * EAI_AGAIN is "try again later", but it comes after the resolver's own retries and timeouts (resolv.conf): offline,
 * three more rounds only cost time, so it is final for this run and the next scheduled run asks again.
 */
const DNS_FINAL: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_NODATA: 'the host name does not resolve to an address',
  EAI_FAIL: 'DNS failed for good on this name',
  EAI_AGAIN: 'no DNS server answered (offline?)',
};

/** The getaddrinfo code of a failed fetch (undici: TypeError "fetch failed" whose cause, or its cause, has it). */
function dnsCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(DNS_FINAL, code)) return code;
  }
  return undefined;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retry-After (RFC 9110 §10.2.3): seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d{1,9}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Redirect statuses followed (300 and 305 are not: no single target, or a proxy we never use). */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** The AddressRefused in the cause chain of a failed fetch (our lookup refused the address it resolved to). */
function refusedAddress(err: unknown): AddressRefused | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AddressRefused) return e;
  }
  return undefined;
}

/**
 * Whether the source's credentials may go from `from` to `to`: the same origin (scheme, host, port), or the upgrade of
 * the same host from http to https on its default port (a TLS upgrade is where the key is safer, not less safe).
 */
export function credentialsMayFollow(from: URL, to: URL): boolean {
  if (from.origin === to.origin) return true;
  return from.protocol === 'http:' && to.protocol === 'https:' && from.hostname === to.hostname && to.port === '';
}

/**
 * A cross-origin redirect target without the source's secrets: query parameters carrying one are dropped, as are
 * user and password; a secret anywhere else in the URL (a path segment) refuses the redirect.
 */
function withoutSecrets(to: URL, secrets: readonly string[]): URL {
  const keys = secrets.filter((k) => k.length >= 4);
  if (!keys.length) return to;
  const out = new URL(to);
  out.username = '';
  out.password = '';
  out.hash = '';
  for (const [name, value] of [...out.searchParams]) if (keys.some((k) => value.includes(k) || name.includes(k))) out.searchParams.delete(name);
  const spelled = (u: URL) => {
    let decoded = u.href;
    try {
      decoded = decodeURIComponent(u.href);
    } catch {
      // a stray % is not a key
    }
    return keys.some((k) => u.href.includes(k) || decoded.includes(k));
  };
  if (spelled(out)) throw new FetchError('redirect', `a redirect to another origin (${out.origin}) carries the source's key in its URL: not followed`);
  return out;
}

interface Hops {
  start: URL;
  guard: AddressGuard;
  dispatcher: GuardedDispatcher | null;
  doFetch: typeof fetch;
}

/**
 * One attempt: the request and the redirects it leads to, followed by hand. Credentials (every header the source
 * adds: its key header, Authorization, whatever `headers` holds) go only to the configured origin; from the first
 * hop elsewhere on they are never sent again, and the key is kept out of the URL. Literal addresses are checked here,
 * names at connect time by the guard's lookup. Redirect problems are FetchErrors of kind `redirect`.
 */
async function follow(o: FetchOptions, h: Hops, signal: AbortSignal): Promise<Response> {
  const max = o.maxRedirects ?? 5;
  const plain: Record<string, string> = {
    'user-agent': o.userAgent,
    accept: '*/*',
    'accept-encoding': 'gzip',
    ...(o.etag ? { 'if-none-match': o.etag } : {}),
    ...(o.lastModified ? { 'if-modified-since': o.lastModified } : {}),
  };
  let url = h.start;
  let credentials = true;
  for (let hop = 0; ; hop++) {
    try {
      h.guard.checkLiteral(url);
    } catch (e) {
      throw new FetchError('redirect', `refused a redirect: ${(e as Error).message}`);
    }
    if (!h.dispatcher) await precheckName(h.guard, url);
    const init: RequestInit = {
      signal,
      redirect: 'manual',
      headers: credentials ? { ...plain, ...o.headers } : plain,
      // Node's undici, whose types the DOM RequestInit borrows: the guard's Agent is one of its dispatchers.
      ...(h.dispatcher ? { dispatcher: h.dispatcher as unknown as RequestInit['dispatcher'] } : {}),
    };
    const res = await h.doFetch(url.href, init);
    if (!REDIRECTS.has(res.status)) return res;
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location) throw new FetchError('http', `HTTP ${res.status} without a Location header`, res.status);
    if (hop >= max) throw new FetchError('redirect', `more than ${max} redirects (the last one from ${url.origin})`, res.status);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new FetchError('redirect', `HTTP ${res.status} to a Location that is not a URL`, res.status);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new FetchError('redirect', `a redirect to ${next.protocol} is never followed (http and https only)`, res.status);
    if (credentials && !credentialsMayFollow(url, next)) credentials = false;
    url = credentials ? next : withoutSecrets(next, o.secrets ?? []);
  }
}

/**
 * Downloads a source: a descriptive User-Agent, conditional requests, a deadline, retries with backoff that honour
 * Retry-After, redirects followed by hand (at most `maxRedirects`, credentials kept to the configured origin, never
 * to an address less public than the configured one), then a body stream that is gunzipped when the file is gzip
 * (by its first bytes, whatever the headers say), capped in size and watched for stalls. Every failure is a FetchError
 * with a kind.
 */
export async function fetchSource(o: FetchOptions): Promise<FetchResult> {
  let start: URL;
  try {
    start = new URL(o.url);
  } catch {
    throw new FetchError('network', `not a URL: ${o.url.slice(0, 200)}`);
  }
  const guard = new AddressGuard(start);
  const dispatcher = await guardedDispatcher(guard);
  const done = () => void dispatcher?.destroy().catch(() => {});
  try {
    const result = await attempts(o, { start, guard, dispatcher, doFetch: o.fetchImpl ?? fetch }, done);
    if (result.status === 'not-modified') done();
    return result;
  } catch (err) {
    done();
    throw err;
  }
}

async function attempts(o: FetchOptions, hops: Hops, done: () => void): Promise<FetchResult> {
  const sleep = o.sleep ?? defaultSleep;
  const retries = o.retries ?? 3;
  let backoff = o.backoffMs ?? 2000;
  for (let attempt = 1; ; attempt++) {
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new FetchError('timeout', `no answer within ${o.timeoutMs ?? 60_000} ms`)), o.timeoutMs ?? 60_000);
    let res: Response;
    try {
      res = await follow(o, hops, controller.signal);
    } catch (err) {
      clearTimeout(deadline);
      const reason = controller.signal.reason;
      if (!(reason instanceof FetchError) && err instanceof FetchError) throw new FetchError(err.kind, err.message, err.httpStatus, attempt);
      // Our lookup refused where a name led (not retried: the answer would be the same).
      const refused = reason instanceof FetchError ? undefined : refusedAddress(err);
      if (refused) throw new FetchError('address', `refused to connect: ${refused.message}`, undefined, attempt);
      const failure = reason instanceof FetchError ? reason : new FetchError('network', `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''}`);
      // A name that does not resolve fails at once: retrying DNS within seconds only delays the run (offline: ~14 s a source).
      const dns = reason instanceof FetchError ? undefined : dnsCode(err);
      if (dns) throw new FetchError('network', `${failure.message} (${DNS_FINAL[dns]}; not retried)`, undefined, attempt);
      if (attempt > retries || failure.kind === 'timeout') throw new FetchError(failure.kind, failure.message, undefined, attempt);
      await sleep(backoff);
      backoff *= 2;
      continue;
    }
    if (res.status === 304) {
      clearTimeout(deadline);
      await res.body?.cancel();
      return { status: 'not-modified', attempts: attempt };
    }
    if (res.status === 429 || res.status >= 500) {
      clearTimeout(deadline);
      await res.body?.cancel();
      if (attempt > retries) throw new FetchError('http', `HTTP ${res.status} after ${attempt} attempts`, res.status, attempt);
      const wait = retryAfterMs(res.headers.get('retry-after'));
      await sleep(Math.min(wait ?? backoff, o.maxRetryAfterMs ?? 300_000));
      backoff *= 2;
      continue;
    }
    if (!res.ok || !res.body) {
      clearTimeout(deadline);
      await res.body?.cancel();
      throw new FetchError('http', `HTTP ${res.status}`, res.status, attempt);
    }
    // The headers are in: from here the body deadline, the stall watch and the rate floor apply.
    clearTimeout(deadline);
    const bodyMs = o.bodyTimeoutMs ?? 30 * 60_000;
    const bodyDeadline = setTimeout(() => controller.abort(new FetchError('timeout', `the body took longer than ${bodyMs} ms`)), bodyMs);
    const body = guard(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), o, controller, bodyDeadline, done);
    return {
      status: 'ok',
      body,
      etag: res.headers.get('etag'),
      lastModified: res.headers.get('last-modified'),
      contentType: res.headers.get('content-type'),
      attempts: attempt,
    };
  }
}

/**
 * The body with gzip sniffing, the byte cap, the stall watch and the rate floor; the body deadline holds while it
 * streams. Time when we hold the stream (our consumer is busy storing) never counts against the source.
 */
function guard(raw: Readable, o: FetchOptions, controller: AbortController, deadline: NodeJS.Timeout, done: () => void): Readable {
  const maxBytes = o.maxBytes ?? 256 * 1024 * 1024;
  const idle = o.idleTimeoutMs ?? 30_000;
  const windowMs = o.rateWindowMs ?? 60_000;
  const minBytes = o.minBytesPerWindow ?? 1024;
  let seen = 0;
  let sniffed = false;
  let stallTimer: NodeJS.Timeout | undefined;
  let held = false;
  let heldInWindow = false;
  let windowBytes = 0;
  let gunzip: Transform | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _enc, next) {
      seen += chunk.length;
      if (seen > maxBytes) return next(gunzip ? tooLarge(maxBytes) : new FetchError('too-large', `the source sent more than ${maxBytes} bytes`));
      next(null, chunk);
    },
  });
  const fail = (e: FetchError) => {
    controller.abort(e);
    out.destroy(e);
  };
  let armed = 0;
  let over = false;
  const armStall = () => {
    clearTimeout(stallTimer);
    if (held) return;
    const mark = ++armed;
    // The verdict waits for the I/O already pending: after the event loop was busy (a synchronous batch written to
    // the store), the data or the error that came meanwhile is heard first. Only a silence the source made stalls.
    stallTimer = setTimeout(() => setImmediate(() => {
      if (!over && !held && armed === mark) fail(new FetchError('stalled', `no data for ${idle} ms`));
    }), idle);
  };
  const rate = setInterval(() => {
    if (!heldInWindow && !held && windowBytes < minBytes) fail(new FetchError('stalled', `less than ${minBytes} bytes in ${windowMs} ms (a trickle)`));
    windowBytes = 0;
    heldInWindow = held;
  }, windowMs);
  const hold = () => {
    held = true;
    heldInWindow = true;
    clearTimeout(stallTimer);
    raw.pause();
  };
  const release = () => {
    // Only the stream we write into may let the download go on: `out` draining while the inflater is still full
    // (a bomb expanding) would feed it the rest of the download.
    if (!held || (gunzip ?? out).writableNeedDrain) return;
    held = false;
    raw.resume();
    armStall();
  };
  const finish = () => {
    over = true;
    clearTimeout(stallTimer);
    clearInterval(rate);
    clearTimeout(deadline);
  };
  // Over the cap, or our reader gone: the download and the inflater stop, what they hold is freed, the connection closes.
  const stop = () => {
    finish();
    if (!raw.readableEnded) raw.destroy();
    gunzip?.destroy();
    done();
  };
  armStall();
  controller.signal.addEventListener('abort', () => {
    const reason = controller.signal.reason;
    out.destroy(reason instanceof FetchError ? reason : new FetchError('network', String(reason)));
  });
  raw.on('end', () => {
    finish();
    if (gunzip) gunzip.end();
    else out.end();
  });
  raw.on('data', (chunk: Buffer) => {
    windowBytes += chunk.length;
    armStall();
    if (!sniffed) {
      sniffed = true;
      // Gzip files arrive as application/gzip or octet-stream, rarely with Content-Encoding: the magic decides.
      if (isGzipMagic(chunk)) {
        gunzip = createGunzip();
        gunzip.on('error', (err) => fail(new FetchError('bad-gzip', `the gzip stream is broken: ${err.message}`)));
        gunzip.on('drain', release);
        gunzip.pipe(out);
      }
    }
    if (!(gunzip ?? out).write(chunk)) hold();
  });
  out.on('drain', release);
  raw.on('error', (err) => fail(err instanceof FetchError ? err : new FetchError('network', `the download broke off: ${err.message}`)));
  out.on('close', stop);
  return out;
}

/** The gzip magic (RFC 1952 §2.3.1): how every transport tells a gzip file, whatever its name or headers say. */
export const isGzipMagic = (head: Uint8Array): boolean => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/**
 * A local copy (`file://`: how air-gapped sites mirror feeds), read as a download is: gunzipped when its first bytes
 * are the gzip magic (a mirrored `online-valid.json.gz`, or a gzip file under any name), the byte cap applied to the
 * file and to what it decompresses to. Failures are FetchErrors (`too-large`, `bad-gzip`, `network` for a read error).
 */
export async function openLocalFile(path: string, maxBytes: number): Promise<{ body: Readable; size: number }> {
  const { size } = await stat(path);
  if (size > maxBytes) throw new FetchError('too-large', `${path} is larger than the byte cap (${maxBytes} bytes)`);
  const head = Buffer.alloc(2);
  const fh = await open(path, 'r');
  let bytesRead: number;
  try {
    ({ bytesRead } = await fh.read(head, 0, 2, 0));
  } finally {
    await fh.close();
  }
  const file = createReadStream(path);
  if (!isGzipMagic(head.subarray(0, bytesRead))) return { body: file, size };
  const gunzip = createGunzip();
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) return done(tooLarge(maxBytes));
      done(null, chunk);
    },
  });
  file.on('error', (err) => out.destroy(new FetchError('network', `reading ${path} failed: ${err.message}`)));
  gunzip.on('error', (err) => out.destroy(new FetchError('bad-gzip', `the gzip stream is broken: ${err.message}`)));
  out.on('close', () => {
    file.destroy();
    gunzip.destroy();
  });
  file.pipe(gunzip).pipe(out);
  return { body: out, size };
}

/** What every decompression fails with when its output passes the cap (zip or gzip, over HTTP or from a file). */
export const tooLarge = (maxBytes: number): FetchError => new FetchError('too-large', `decompressed size passes the source's limit of ${maxBytes} bytes`);

/**
 * Compressed bytes handed to the inflater at a time. DEFLATE expands at most ~1032:1, so one step makes at most ~4 MB,
 * which is checked against the cap before the next step: a zip bomb is stopped a step past the cap, never expanded.
 */
const INFLATE_STEP = 4096;

/**
 * One member of a zip archive (`member`: a name, a name under any folder, or `*` for the first file), streamed as it
 * inflates with fflate's Unzip (local headers, no central directory), a few KB of input at a time and only as fast as
 * it is read: no more than one step's output is held (fflate keeps the compressed bytes of members skipped before it,
 * which the download cap bounds). The output is capped at `maxBytes`: past it the archive stops being read (its
 * download is cancelled) with `too-large`. Once the member is whole the rest of the archive is not read. A member that
 * is missing or broken fails the run with a plain Error saying so.
 */
export function unzipMember(body: Readable, member: string, maxBytes: number): Readable {
  async function* inflate(): AsyncGenerator<Buffer> {
    const ready: Buffer[] = [];
    let picked = false;
    let ended = false;
    let total = 0;
    let failure: Error | undefined;
    const unzip = new Unzip((file) => {
      if (picked || file.name.endsWith('/')) return;
      if (!(member === '*' || file.name === member || file.name.endsWith(`/${member}`))) return;
      picked = true;
      file.ondata = (err, data, final) => {
        if (failure) return;
        if (err) {
          failure = new Error(`the zip archive is broken: ${err.message}`);
          return;
        }
        total += data.length;
        if (total > maxBytes) {
          failure = tooLarge(maxBytes);
          file.terminate();
          return;
        }
        if (data.length) ready.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        if (final) ended = true;
      };
      file.start();
    });
    unzip.register(UnzipInflate);
    const push = (chunk: Uint8Array, final: boolean) => {
      try {
        unzip.push(chunk, final);
      } catch (err) {
        failure ??= new Error(`the zip archive is broken: ${(err as Error).message}`);
      }
    };
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        for (let i = 0; i < chunk.length && !ended; i += INFLATE_STEP) {
          push(chunk.subarray(i, i + INFLATE_STEP), false);
          if (failure) throw failure;
          while (ready.length) yield ready.shift()!;
        }
        // The member is whole: the rest of the archive (other members, the central directory) is not read.
        if (ended) return;
      }
      push(new Uint8Array(0), true);
      if (failure) throw failure;
      while (ready.length) yield ready.shift()!;
      if (!picked) throw new Error(`the zip archive has no member ${JSON.stringify(member)}`);
      if (!ended) throw new Error('the zip archive is broken: its member is cut short');
    } finally {
      ready.length = 0;
      body.destroy();
    }
  }
  return Readable.from(inflate(), { objectMode: false });
}
