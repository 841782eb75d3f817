import { readFile } from 'node:fs/promises';
import { parseMedallionData } from '../taxii/medallion-load.js';
import { withContext } from './context.js';

/** `socd taxii load FILE`: moves a medallion server's data (roots, collections, objects, statuses) here. */
export async function taxiiLoadCommand(file: string): Promise<void> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a JSON file: ${(err as Error).message}`);
  }
  const { load, problems } = parseMedallionData(doc);
  for (const p of problems) process.stderr.write(`${file}: ${p}\n`);
  await withContext(async ({ store }) => {
    const r = await store.loadTaxii(load, Date.now());
    process.stderr.write(
      `${file}: ${load.roots.length} API roots, ${load.collections.length} collections, ${r.versions} object versions loaded ` +
        `(${r.duplicates} already here), ${load.statuses.length} statuses${load.discovery ? ', discovery values' : ''}; ` +
        `restart socd serve to serve them\n`,
    );
  });
  if (problems.length) process.exitCode = 2;
}
