/**
 * One default database for the desktop app and the CLI (both call defaultDbPath): $DTRAIN_DB, else
 * $XDG_DATA_HOME/dtrain/dtrain.db, else ~/.local/share/dtrain/dtrain.db. The CLI is checked end to end:
 * with no --db it creates its database exactly where defaultDbPath says.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { defaultDbPath } from '../../src/engine/paths';
import { readSettings } from '../../src/shared/settings';

/** The path for an environment, read as a process reads it at its start. */
const pathFor = (env: Record<string, string>, home: string) => defaultDbPath(readSettings(env), env.XDG_DATA_HOME, home);

test('defaultDbPath: DTRAIN_DB wins (made absolute), then XDG_DATA_HOME, then ~/.local/share', () => {
  assert.equal(pathFor({ DTRAIN_DB: '/data/runs.db', XDG_DATA_HOME: '/xdg' }, '/home/ada'), '/data/runs.db');
  assert.equal(pathFor({ DTRAIN_DB: 'rel/runs.db' }, '/home/ada'), resolve('rel/runs.db'));
  assert.equal(pathFor({ XDG_DATA_HOME: '/xdg' }, '/home/ada'), '/xdg/dtrain/dtrain.db');
  assert.equal(pathFor({}, '/home/ada'), '/home/ada/.local/share/dtrain/dtrain.db');
  // Empty variables count as unset, as a shell `export DTRAIN_DB=` means.
  assert.equal(pathFor({ DTRAIN_DB: '', XDG_DATA_HOME: '' }, '/home/ada'), '/home/ada/.local/share/dtrain/dtrain.db');
});

test('the CLI without --db opens the database defaultDbPath names (the one the desktop app opens)', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'dtrain-home-'));
  try {
    for (const env of [
      { HOME: home, XDG_DATA_HOME: join(home, 'xdg') },
      { HOME: home, DTRAIN_DB: join(home, 'chosen.db') },
      { HOME: home },
    ]) {
      const { DTRAIN_DB: _d, XDG_DATA_HOME: _x, ...rest } = process.env;
      const full = { ...rest, ...env, DTRAIN_DEBUG: '' };
      const r = spawnSync(process.execPath, ['bin/dtrain.mjs', 'runs'], { encoding: 'utf8', env: full, timeout: 60_000 });
      assert.equal(r.status, 0, `${JSON.stringify(env)}: ${r.stderr}`);
      const expected = pathFor(full as unknown as Record<string, string>, home);
      assert.ok(expected.startsWith(home), expected);
      assert.ok(existsSync(expected), `${JSON.stringify(env)}: no database at ${expected}`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
