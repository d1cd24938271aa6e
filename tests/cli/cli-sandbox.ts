// The CLI as a user runs it, from the tests: `node bin/dtrain.mjs ARGS` in a real process, against a
// database in a temporary folder that is removed when the test process exits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function cliSandbox(prefix: string, options: { dbName?: string; env?: NodeJS.ProcessEnv } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = join(dir, options.dbName ?? 'cli.db');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const dtrain = (...args: string[]): CliResult => {
    const r = spawnSync(process.execPath, ['bin/dtrain.mjs', ...args], {
      encoding: 'utf8',
      env: { ...process.env, DTRAIN_DB: db, ...options.env },
      timeout: 120_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return { dir, db, dtrain };
}
