/**
 * Where the engine keeps its database by default. The desktop app and the CLI both use this, so a
 * run trained in one is visible in the other; `DTRAIN_DB` moves it for both.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Settings } from '../shared/settings';

/** The settings' DTRAIN_DB, else $XDG_DATA_HOME/dtrain/dtrain.db, else ~/.local/share/dtrain/dtrain.db. */
export function defaultDbPath(
  settings: Pick<Settings, 'db'>,
  xdgDataHome: string | undefined = process.env.XDG_DATA_HOME,
  home: string = homedir(),
): string {
  if (settings.db) return resolve(settings.db);
  const data = xdgDataHome || join(home, '.local', 'share');
  return join(data, 'dtrain', 'dtrain.db');
}
