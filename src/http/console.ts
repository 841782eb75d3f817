import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The built console (web/, `npm run build:web`): src/http/console.ts and dist/src/http/console.js are both three levels below the checkout. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * The console's page paths (web/src/app.tsx PAGES, plus sign-in): each answers index.html and the page's script
 * routes in the browser. Keep the two lists equal. Unknown paths keep the JSON 404 of the API.
 */
export const CONSOLE_PATHS = ['/', '/signin', '/search', '/lookup', '/iocs/:id', '/sources', '/access', '/taxii'] as const;

/**
 * The console's security headers (issue 16, Safety): a strict Content-Security-Policy — scripts, styles, fetches and
 * images from this origin only, no inline script or style element, no plugins, no framing, no <base> — plus nosniff,
 * no referrer (an IOC detail URL names an indicator), no framing for old browsers and a separate browsing context.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

/**
 * Serves the console at `/`: the built files (hashed assets cached for a year, the page itself revalidated), and
 * index.html at each page path. Without a build (a checkout where `npm run build:web` has not run) the page paths
 * answer 503 saying so; the API is unaffected.
 */
export async function consoleRoutes(app: FastifyInstance, opts: { dir?: string }): Promise<void> {
  const dir = opts.dir ?? CONSOLE_DIR;
  app.addHook('onSend', async (_request, reply, payload) => {
    secure(reply);
    return payload;
  });
  if (!existsSync(`${dir}/index.html`)) {
    for (const path of CONSOLE_PATHS) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) =>
        reply.code(503).type('application/problem+json').send({
          type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'console_not_built',
          detail: 'the web console is not built: run `npm run build:web` (npm install does it), then restart the server',
        }));
    }
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // The files are listed once at start (a fixed build): no file-system look-up per unknown path.
    wildcard: false,
    index: false,
    serve: true,
    setHeaders: (res, path) => {
      res.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const path of CONSOLE_PATHS) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  }
}
