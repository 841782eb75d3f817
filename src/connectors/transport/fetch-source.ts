import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Unzip, UnzipInflate } from 'fflate';

/** Why a download failed; recorded on the source's run, never thrown past the runner. */
export type FetchFailure = 'timeout' | 'stalled' | 'network' | 'http' | 'too-large' | 'bad-gzip';

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

/**
 * Downloads a source: a descriptive User-Agent, conditional requests, a deadline, retries with backoff that honour
 * Retry-After, then a body stream that is gunzipped when the file is gzip (by its first bytes, whatever the
 * headers say), capped in size and watched for stalls. Every failure is a FetchError with a kind.
 */
export async function fetchSource(o: FetchOptions): Promise<FetchResult> {
  const doFetch = o.fetchImpl ?? fetch;
  const sleep = o.sleep ?? defaultSleep;
  const retries = o.retries ?? 3;
  let backoff = o.backoffMs ?? 2000;
  for (let attempt = 1; ; attempt++) {
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new FetchError('timeout', `no answer within ${o.timeoutMs ?? 60_000} ms`)), o.timeoutMs ?? 60_000);
    let res: Response;
    try {
      res = await doFetch(o.url, {
        signal: controller.signal,
        redirect: 'follow',
        headers: {
          'user-agent': o.userAgent,
          accept: '*/*',
          'accept-encoding': 'gzip',
          ...(o.etag ? { 'if-none-match': o.etag } : {}),
          ...(o.lastModified ? { 'if-modified-since': o.lastModified } : {}),
          ...o.headers,
        },
      });
    } catch (err) {
      clearTimeout(deadline);
      const reason = controller.signal.reason;
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
    const body = guard(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), o, controller, bodyDeadline);
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
function guard(raw: Readable, o: FetchOptions, controller: AbortController, deadline: NodeJS.Timeout): Readable {
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
  const armStall = () => {
    clearTimeout(stallTimer);
    if (!held) stallTimer = setTimeout(() => fail(new FetchError('stalled', `no data for ${idle} ms`)), idle);
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
    clearTimeout(stallTimer);
    clearInterval(rate);
    clearTimeout(deadline);
  };
  // Over the cap, or our reader gone: the download and the inflater stop, what they hold is freed, the connection closes.
  const stop = () => {
    finish();
    if (!raw.readableEnded) raw.destroy();
    gunzip?.destroy();
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
