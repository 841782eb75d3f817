import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console (docs/console.md): built by `npm install` (prepare) into web/dist, served by the server at `/`.
// Everything is bundled (the server has no internet): no CDN, no inline script (the CSP forbids it).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inline <script> or data: module preload polyfill: the page's CSP is script-src 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 250,
  },
});
