import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The database the read benchmarks share: N generated IOCs loaded by `socd import` (the real path), made once
 * per count and seed under bench/out/ and reused.
 */
export function benchDatabase(count: number, seed: string): { dbPath: string; outDir: string } {
  const outDir = resolve('bench/out');
  mkdirSync(outDir, { recursive: true });
  const csv = join(outDir, `iocs-${count}-s${seed}.csv`);
  const dbPath = join(outDir, `export-${count}-s${seed}.db`);
  const run = (cmd: string[], env: NodeJS.ProcessEnv = process.env) => {
    if (spawnSync(process.execPath, cmd, { stdio: 'inherit', env }).status !== 0) process.exit(1);
  };
  if (!existsSync(csv)) run([resolve('dist/bench/generate.js'), '--count', String(count), '--seed', seed, '--out', csv]);
  if (!existsSync(dbPath)) run([resolve('bin/socd.js'), 'import', csv, '--source', 'bench'], { ...process.env, DATABASE_URL: `sqlite:${dbPath}`, SOCD_CONFIG: '' });
  return { dbPath, outDir };
}
