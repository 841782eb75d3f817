import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseMedallionData } from '../taxii/medallion-load.js';
import { cliActor, withContext } from './context.js';

/** `socd taxii load FILE`: moves a medallion server's data (roots, collections, objects, statuses) here. */
export async function taxiiLoadCommand(file: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: ${unreadable(err as NodeJS.ErrnoException)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON: ${(err as Error).message}`);
  }
  const { load, problems } = parseMedallionData(doc);
  for (const p of problems) process.stderr.write(`${file}: ${p}\n`);
  await withContext(async ({ store, audit }) => {
    const r = await store.loadTaxii(load, Date.now());
    await audit.record(cliActor(), {
      action: 'taxii.load',
      target: basename(file),
      details: {
        file, roots: load.roots.length, collections: load.collections.length, versions: r.versions, duplicates: r.duplicates,
        statuses: load.statuses.length, problems: problems.length,
      },
    });
    process.stderr.write(
      `${file}: ${load.roots.length} API roots, ${load.collections.length} collections, ${r.versions} object versions loaded ` +
        `(${r.duplicates} already here), ${load.statuses.length} statuses${load.discovery ? ', discovery values' : ''}; ` +
        `restart socd serve to serve them\n`,
    );
  });
  if (problems.length) process.exitCode = 2;
}

/** Why a file could not be read, in words: the file system's codes mean little to people. */
export function unreadable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'the file does not exist (a part of its path is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    default:
      return `cannot be read: ${err.message}`;
  }
}
