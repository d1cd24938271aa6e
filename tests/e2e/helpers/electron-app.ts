/**
 * Finding the Electron binary without triggering its lazy download (requiring the `electron` package
 * downloads it when missing), and building the app when out/ is missing or older than the sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './build-renderer';

/** The Electron executable, or why there is none. */
export function findElectron(): { path: string } | { reason: string } {
  const pkgDir = dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve('electron/package.json'));
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return { reason: `Electron binary not downloaded: ${join(pkgDir, 'dist')} is missing` };
  const exe = join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkgDir, 'dist'), readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? { path: exe } : { reason: `Electron binary missing at ${exe}` };
}

/** Linux needs an X11 or Wayland display for a window. */
export function displayMissing(): boolean {
  return process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
}

function newest(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((n) => newest(join(path, n))));
}

const OUTPUTS = ['out/main/index.js', 'out/main/device-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];

/** Runs `electron-vite build` when an output is missing or older than src/ or the build config. */
export function ensureAppBuilt(): void {
  const outputs = OUTPUTS.map((p) => join(REPO_ROOT, p));
  const fresh =
    outputs.every(existsSync) &&
    Math.min(...outputs.map((p) => statSync(p).mtimeMs)) >=
      Math.max(newest(join(REPO_ROOT, 'src')), newest(join(REPO_ROOT, 'electron.vite.config.ts')));
  if (fresh) return;
  const cli = join(REPO_ROOT, 'node_modules/electron-vite/bin/electron-vite.js');
  const result = spawnSync(process.execPath, [cli, 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('electron-vite build failed');
}
