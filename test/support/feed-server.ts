import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** Where recorded feed samples live (tests run with cwd = the repository root). */
export const FEEDS = path.resolve(process.cwd(), 'test/fixtures/feeds');

export type FeedHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A local HTTP server standing in for the Internet: the runner's URL rewriter sends every request for `url` to
 * `/fetch?u=<url>`, answered by the handler registered for that exact URL (404 otherwise). Requests are logged.
 */
export class FeedServer {
  readonly handlers = new Map<string, FeedHandler>();
  readonly requests: Array<{ url: string; headers: IncomingMessage['headers'] }> = [];
  private server: Server | undefined;
  private base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x').searchParams.get('u') ?? '';
      this.requests.push({ url: u, headers: req.headers });
      const h = this.handlers.get(u);
      if (h) h(req, res);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end(`no fixture for ${u}`);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  rewrite = (url: string): string => `${this.base}/fetch?u=${encodeURIComponent(url)}`;

  /** Serves a fixture file (bytes as they are) for `url`. */
  file(url: string, name: string, headers: Record<string, string> = {}): void {
    const body = readFileSync(path.join(FEEDS, name));
    this.handlers.set(url, (_req, res) => res.writeHead(200, headers).end(body));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
