// scripts/build-native.mjs, run on a copy of the sources in a temporary folder (never the checkout's
// build): it builds a working addon with the system cc, and a missing or failing compiler is one line
// on stdout and exit code 0, so `npm ci` still succeeds without native BLAS.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'dtrain-build-native-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'scripts'));
cpSync(resolve('scripts/build-native.mjs'), join(root, 'scripts/build-native.mjs'));
mkdirSync(join(root, 'native/blas'), { recursive: true });
for (const f of readdirSync('native/blas').filter((f) => /\.[ch]$/.test(f)))
  cpSync(resolve('native/blas', f), join(root, 'native/blas', f));
const addon = join(root, 'native/blas/build/dtrain_blas.node');

function build(env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-native.mjs')], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: r.status, lines: r.stdout.trim().split('\n').filter(Boolean), err: r.stderr };
}

const noCc = spawnSync(process.env.CC || 'cc', ['--version']).status === 0 ? false : 'no C compiler (cc) here';

test('with cc and Node headers: builds an addon that loads and multiplies', { skip: noCc, timeout: 130_000 }, () => {
  const r = build({});
  assert.equal(r.code, 0, r.err);
  assert.equal(r.lines.length, 1);
  assert.match(r.lines[0]!, /^native BLAS addon built: native\/blas\/build\/dtrain_blas\.node \(cc, headers .*include\/node\)$/);
  const lib = createRequire(import.meta.url)(addon) as { sgemm: (...a: unknown[]) => void; open: (p: string) => unknown };
  assert.throws(
    () => lib.sgemm(false, false, 1, 1, 1, 1, Float32Array.of(2), 1, Float32Array.of(3), 1, 0, new Float32Array(1), 1),
    /OpenBLAS is not open/,
  );
  assert.deepEqual(readdirSync(join(root, 'native/blas/build')), ['dtrain_blas.node'], 'no temporary file left behind');
});

test('no compiler: one line with the reason, exit 0', () => {
  const r = build({ CC: join(root, 'no-such-cc') });
  assert.equal(r.code, 0);
  assert.deepEqual(r.lines, [
    `native BLAS addon not built: ${join(root, 'no-such-cc')} did not run (no C compiler; install one, e.g. apt-get install gcc); training uses the wasm kernels (retry: node scripts/build-native.mjs)`,
  ]);
});

test('a compiler that fails: its error line, exit 0, the previous addon left as it was', () => {
  const cc = join(root, 'failing-cc');
  writeFileSync(cc, '#!/bin/sh\necho "blas.c:1:1: error: something is wrong" >&2\nexit 1\n');
  chmodSync(cc, 0o755);
  const existed = existsSync(addon);
  const r = build({ CC: cc });
  assert.equal(r.code, 0);
  assert.deepEqual(r.lines, [
    `native BLAS addon not built: ${cc} failed: blas.c:1:1: error: something is wrong; training uses the wasm kernels (retry: node scripts/build-native.mjs)`,
  ]);
  assert.equal(existsSync(addon), existed);
  assert.ok(!readdirSync(join(root, 'native/blas/build')).some((f) => f.endsWith('.tmp')), 'the partial output is removed');
});
