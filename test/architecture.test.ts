import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The sources: dist/test/architecture.test.js and test/architecture.test.ts are both two levels below the checkout. */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * What each folder of src/ may import, besides itself. The layers, lowest first: errors, domain, config; store;
 * stix; auth and connectors; taxii and rest (the REST surface's services); http; cli, the composition root. Nothing
 * below http imports http/ or cli/. notify (webhooks: the run observer, the delivery worker) sits beside taxii, on
 * connectors; rest uses it for the webhook service.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  domain: ['errors'],
  config: ['errors', 'domain'],
  store: ['errors', 'domain'],
  stix: ['errors', 'domain', 'config', 'store'],
  auth: ['errors', 'domain', 'config', 'store'],
  connectors: ['errors', 'domain', 'config', 'store', 'stix'],
  taxii: ['errors', 'domain', 'config', 'store', 'stix', 'auth'],
  notify: ['errors', 'domain', 'config', 'store', 'connectors'],
  rest: ['errors', 'domain', 'config', 'store', 'stix', 'auth', 'connectors', 'notify'],
  http: ['errors', 'domain', 'config', 'store', 'stix', 'auth', 'connectors', 'taxii', 'rest', 'notify'],
  cli: ['errors', 'domain', 'config', 'store', 'stix', 'auth', 'connectors', 'taxii', 'rest', 'http', 'notify'],
};

/** Database drivers, and the only folders that may load them (open-store.ts reaches them through those folders). */
const DRIVERS = /^(better-sqlite3|pg|pg-[a-z-]+)(\/|$)/;
const DRIVER_FOLDERS = ['store/sqlite/', 'store/postgres/'];

/**
 * Known violations allowed while a move is under way (none today). An entry that no longer matches an import fails
 * the test, so each goes with its move.
 */
const PENDING: ReadonlyArray<{ from: string; to: string }> = [];

interface Import {
  /** The importing file, relative to src/ with `/` separators. */
  from: string;
  /** The module specifier as written. */
  specifier: string;
}

/** Every import, re-export and dynamic import in a TypeScript source (type-only ones included). */
export function importsOf(from: string, text: string): Import[] {
  const found: Import[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*'([^']+)'/gms,
    /^\s*import\s*'([^']+)'/gm,
    /\bimport\(\s*'([^']+)'\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push({ from, specifier: m[1]! });
  return found;
}

/** The file an import names, relative to src/ (`.js` written, `.ts` meant); undefined for a package. */
function target(i: Import): string | undefined {
  if (!i.specifier.startsWith('.')) return undefined;
  return posix.normalize(posix.join(posix.dirname(i.from), i.specifier)).replace(/\.js$/, '.ts');
}

const folderOf = (path: string): string => path.split('/')[0]!;

/** Why an import breaks the layers, or undefined when it does not. */
export function violation(i: Import): string | undefined {
  const to = target(i);
  if (to === undefined) {
    if (DRIVERS.test(i.specifier) && !DRIVER_FOLDERS.some((f) => i.from.startsWith(f))) {
      return `${i.from} imports the driver ${i.specifier} (only ${DRIVER_FOLDERS.join(' and ')} may)`;
    }
    return undefined;
  }
  if (to.startsWith('..')) return `${i.from} imports ${i.specifier}, outside src/`;
  const [a, b] = [folderOf(i.from), folderOf(to)];
  if (a === b) return undefined;
  const allowed = MAY_IMPORT[a];
  if (allowed === undefined) return `${i.from} is in ${a}/, a folder the layers do not know`;
  if (MAY_IMPORT[b] === undefined) return `${i.from} imports ${to}, in ${b}/, a folder the layers do not know`;
  return allowed.includes(b) ? undefined : `${i.from} (${a}/) imports ${to} (${b}/): ${a}/ may import only ${allowed.join(', ') || 'nothing'}`;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

const allImports = (): Import[] =>
  sources(SRC).flatMap((file) => importsOf(relative(SRC, file).split(sep).join('/'), readFileSync(file, 'utf8')));

const isPending = (i: Import): boolean => PENDING.some((p) => p.from === i.from && p.to === target(i));

describe('architecture: layers that hold', () => {
  it('no file in src/ imports a layer above its own, nor http/ or cli/ from below, nor a driver outside its store', () => {
    const imports = allImports();
    assert.ok(imports.length > 300, `only ${imports.length} imports found: the scan is broken`);
    const broken = imports.filter((i) => !isPending(i)).map(violation).filter((v) => v !== undefined);
    assert.deepEqual(broken, []);
  });

  it('every pending exception still matches an import (remove it once its move is done)', () => {
    const imports = allImports();
    const stale = PENDING.filter((p) => !imports.some((i) => i.from === p.from && target(i) === p.to));
    assert.deepEqual(stale, []);
  });

  it('the check itself catches each kind of violation', () => {
    const check = (from: string, specifier: string) => violation({ from, specifier });
    assert.match(check('domain/scoring.ts', '../store/types.js')!, /domain\/ may import only errors/);
    assert.match(check('store/rows.ts', '../http/app.js')!, /imports http\/app\.ts/);
    assert.match(check('taxii/service.ts', '../cli/wiring.js')!, /imports cli\/wiring\.ts/);
    assert.match(check('http/app.ts', '../cli/wiring.js')!, /http\/ may import only/);
    assert.match(check('rest/ioc-export.ts', 'better-sqlite3')!, /driver better-sqlite3/);
    assert.match(check('cli/serve-command.ts', 'pg')!, /driver pg/);
    assert.match(check('domain/x.ts', '../../test/support/stores.js')!, /outside src/);
    assert.equal(check('store/sqlite/sqlite-store.ts', 'better-sqlite3'), undefined);
    assert.equal(check('store/postgres/copy.ts', 'pg-copy-streams'), undefined);
    assert.equal(check('cli/serve-command.ts', '../http/app.js'), undefined);
    assert.equal(check('connectors/formats/stix-shape.ts', '../../stix/constants.js'), undefined);
    assert.deepEqual(
      importsOf('a/b.ts', "import type { X } from './x.js';\nexport { Y } from '../y/z.js';\nimport './side.js';\nconst m = await import('./lazy.js');\nimport {\n  A,\n  B,\n} from './multi.js';")
        .map((i) => i.specifier),
      ['./x.js', '../y/z.js', './multi.js', './side.js', './lazy.js'],
    );
  });
});
