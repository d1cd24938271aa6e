#!/usr/bin/env node
// `npm start`: build the app when out/ is missing or older than the sources, then start Electron.
// Where Electron cannot start (its binary was never downloaded, or Linux has no display), print one
// line saying why and start web mode instead: `dtrain serve --demo`, which prints the URL to open.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUTS = ['out/main/index.js', 'out/main/device-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const INPUTS = ['src', 'electron.vite.config.ts', 'package.json'];
/** Electron exiting with an error this soon means it could not start (e.g. missing system libraries). */
const EARLY_EXIT_MS = 5000;

function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function buildIsStale() {
  const outputs = OUTPUTS.map((p) => join(root, p));
  if (!outputs.every((p) => existsSync(p))) return true;
  const oldestOutput = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  return INPUTS.some((p) => existsSync(join(root, p)) && newestMtime(join(root, p)) > oldestOutput);
}

function build() {
  const cli = join(root, 'node_modules/electron-vite/bin/electron-vite.js');
  const result = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('dtrain: electron-vite build failed');
    process.exit(result.status ?? 1);
  }
}

// Requiring the `electron` package would try to download a missing binary; read its path file instead.
function electronBinary() {
  const pkgDir = dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return { reason: 'the Electron binary is not downloaded: node_modules/electron/dist is missing' };
  const exe = join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkgDir, 'dist'), readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? { path: exe } : { reason: `the Electron binary is missing at ${exe}` };
}

function whyElectronCannotStart(binary) {
  if (binary.reason) return binary.reason;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return null;
}

/** Runs a child with the terminal, forwards Ctrl-C / TERM, and resolves with its exit code. */
function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolveExit) => {
    child.once('error', (err) => resolveExit({ code: 1, error: err }));
    child.once('exit', (code, signal) => resolveExit({ code: code ?? (signal ? 1 : 0) }));
  }).finally(() => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  });
}

function startWebMode(reason, extraArgs) {
  console.log(`dtrain: Electron cannot start here (${reason}); starting web mode instead: dtrain serve --demo`);
  return run(process.execPath, [join(root, 'bin/dtrain.mjs'), 'serve', '--demo', ...extraArgs]);
}

async function main() {
  const extraArgs = process.argv.slice(2);
  if (buildIsStale()) build();
  const binary = electronBinary();
  const reason = whyElectronCannotStart(binary);
  if (reason) return (await startWebMode(reason, extraArgs)).code;
  const started = Date.now();
  const result = await run(binary.path, ['.', ...extraArgs]);
  if (result.code !== 0 && Date.now() - started < EARLY_EXIT_MS) {
    return (
      await startWebMode(result.error ? result.error.message : `electron exited with code ${result.code} at startup`, extraArgs)
    ).code;
  }
  return result.code;
}

process.exitCode = await main();
