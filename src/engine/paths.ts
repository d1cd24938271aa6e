/**
 * Where the engine keeps its database by default. The desktop app and the CLI both use this, so a
 * run trained in one is visible in the other; `DTRAIN_DB` moves it for both.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** $DTRAIN_DB, else $XDG_DATA_HOME/dtrain/dtrain.db, else ~/.local/share/dtrain/dtrain.db. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.DTRAIN_DB) return resolve(env.DTRAIN_DB);
  const data = env.XDG_DATA_HOME || join(home, '.local', 'share');
  return join(data, 'dtrain', 'dtrain.db');
}
