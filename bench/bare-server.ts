/**
 * The bare baseline of the read benchmarks: a `node:http` server, in the benchmark's own process, that answers the
 * very bytes our server answered — recorded from real answers, keyed by path and query — from memory, with no
 * application code at all (no routing, auth, database, rendering or schema). It is the floor of HTTP on this machine for
 * those pages: a benchmark measures our server, then sends the same requests with the same client to this server, and
 * prints both rates and their ratio.
 *
 * What it answers: the recorded status, the recorded headers (every one our server sent but the hop-by-hop ones and
 * `date`, which node:http writes itself, and `transfer-encoding`: a recorded body is answered with its
 * `content-length`), and the recorded body. Keep-alive as node:http does by default. The request's own headers
 * (a bearer key) are sent as to our server and ignored. A path never recorded is answered 404 and counted as a miss:
 * a benchmark reports misses, since they would make the floor cheaper than the pages.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** Headers not replayed: node:http writes its own connection handling, date and framing. */
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'date', 'transfer-encoding', 'content-length']);

/** Recorded answers by path and query (`/api/v1/iocs?limit=100&cursor=…`). */
export class Recording {
  readonly answers = new Map<string, RecordedAnswer>();

  /** Keeps one answer (the first one for a path: a read answer is the same page every time on a read database). */
  record(pathAndQuery: string, status: number, headers: IncomingHttpHeaders, body: Buffer): void {
    if (this.answers.has(pathAndQuery)) return;
    const kept: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined && !NOT_REPLAYED.has(name)) kept[name] = value;
    this.answers.set(pathAndQuery, { status, headers: kept, body });
  }

  has(pathAndQuery: string): boolean {
    return this.answers.has(pathAndQuery);
  }

  get size(): number {
    return this.answers.size;
  }

  /** Bytes of the recorded bodies. */
  get bytes(): number {
    let n = 0;
    for (const a of this.answers.values()) n += a.body.length;
    return n;
  }
}

/** The path and query of a URL, the key of a recorded answer. */
export function pathAndQuery(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

export interface BareServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Requests for a path never recorded (answered 404). */
  misses(): number;
  close(): Promise<void>;
}

export async function startBareServer(recording: Recording): Promise<BareServer> {
  let misses = 0;
  const server = createServer((req, res) => {
    const answer = recording.answers.get(req.url ?? '');
    if (!answer) {
      misses++;
      res.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    misses: () => misses,
    close: () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      return closed;
    },
  };
}
