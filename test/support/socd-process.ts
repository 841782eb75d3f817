import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The CLI as users run it (tests run with cwd = the repository root). */
export const SOCD = resolve(process.cwd(), 'bin/socd.js');

export interface SocdResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `socd ARGS…` to completion without blocking this process: servers the test runs in-process (feeds, TAXII)
 * must keep answering while socd talks to them, which spawnSync would prevent.
 */
export function runSocd(args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<SocdResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [SOCD, ...args], { cwd: opts.cwd, env: opts.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
