/**
 * What the desktop app needs besides the engine: the Electron binary (downloaded by electron's own
 * install script) and better-sqlite3 built for Electron's ABI (scripts/rebuild-native.mjs), plus the
 * Node build of better-sqlite3 that the CLI and `dtrain serve` open the database with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DesktopProbe } from '../../shared/doctor';

/** Where scripts/rebuild-native.mjs puts the Electron build (its default --out). */
export const ELECTRON_SQLITE_BINDING = 'native/electron/node_modules/better-sqlite3/build/Release/better_sqlite3.node';

export function probeDesktop(root: string): DesktopProbe {
  const require = createRequire(join(root, 'package.json'));
  const electronDir = packageDir(require, 'electron');
  const binding = join(root, ELECTRON_SQLITE_BINDING);
  return {
    electronVersion: electronDir ? readVersion(electronDir) : null,
    electronBinary: electronDir ? electronBinary(electronDir) : null,
    sqliteForElectron: existsSync(binding) ? binding : null,
    sqliteForNodeError: process.versions.electron ? null : sqliteForNode(require),
  };
}

function packageDir(require: NodeRequire, name: string): string | null {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function readVersion(dir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** electron's install.js writes path.txt (the binary inside dist/) once the download has succeeded. */
function electronBinary(dir: string): string | null {
  try {
    const binary = join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Opens an in-memory database: fails when the build is missing or was built for Electron's ABI. */
function sqliteForNode(require: NodeRequire): string | null {
  try {
    const Database = require('better-sqlite3') as new (path: string) => { close(): void };
    new Database(':memory:').close();
    return null;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  }
}
