#!/usr/bin/env node
// Builds the native BLAS addon (native/blas/*.c → native/blas/build/dtrain_blas.node) with the system C
// compiler against this Node's own headers: no node-gyp, no download. Run by `npm ci` / `npm install`
// (package.json postinstall) and by hand: node scripts/build-native.mjs
//
// The addon is optional: without it the wasm kernels are used. So a build that cannot happen (no cc,
// no node_api.h) prints one line with the reason and exits 0 instead of failing the install.
// CC overrides the compiler; npm_config_nodedir (as node-gyp reads it) overrides where the headers are.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'native', 'blas');
const outDir = join(sourceDir, 'build');
const out = join(outDir, 'dtrain_blas.node');

function skip(reason) {
  console.log(`native BLAS addon not built: ${reason}; training uses the wasm kernels (retry: node scripts/build-native.mjs)`);
  process.exit(0);
}

/** <prefix>/include/node holding node_api.h: $npm_config_nodedir first, then this Node's install prefix. */
function headerDir() {
  const prefixes = [process.env.npm_config_nodedir, resolve(process.execPath, '..', '..')].filter(Boolean);
  for (const prefix of prefixes) {
    const dir = join(prefix, 'include', 'node');
    if (existsSync(join(dir, 'node_api.h'))) return dir;
  }
  return null;
}

const include = headerDir();
if (include === null)
  skip(
    `node_api.h not found under ${[process.env.npm_config_nodedir, resolve(process.execPath, '..', '..')]
      .filter(Boolean)
      .map((p) => join(p, 'include', 'node'))
      .join(' or ')}`,
  );
const sources = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.c'))
  .map((f) => join(sourceDir, f));
if (sources.length === 0) skip(`no C sources in ${relative(root, sourceDir)}`);

const cc = process.env.CC || 'cc';
// Undefined napi_* symbols resolve against the host executable (node or electron) when it loads the addon.
const platformFlags = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : ['-ldl'];
mkdirSync(outDir, { recursive: true });
const partial = `${out}.${process.pid}.tmp`;
const args = ['-O2', '-fPIC', '-shared', '-Wall', `-I${include}`, ...sources, '-o', partial, ...platformFlags];
const result = spawnSync(cc, args, { encoding: 'utf8' });
if (result.error)
  skip(
    `${cc} did not run (${result.error.code === 'ENOENT' ? 'no C compiler; install one, e.g. apt-get install gcc' : result.error.message})`,
  );
if (result.status !== 0) {
  rmSync(partial, { force: true });
  const first = `${result.stderr}`.split('\n').find((l) => /error/i.test(l)) ?? `${result.stderr}`.trim().split('\n')[0];
  skip(`${cc} failed: ${first}`);
}
if (result.stderr.trim()) process.stderr.write(result.stderr);
// Rename last: a worker starting meanwhile sees the old addon or the new one, never half a file.
renameSync(partial, out);
console.log(`native BLAS addon built: ${relative(root, out)} (${cc}, headers ${include})`);
