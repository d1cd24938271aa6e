/** The native BLAS for tests: the loaded addon, or why it is not here (tests then skip with that reason). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadNativeBlas, packageRoot } from '../../src/workers/native-blas';
import type { NativeGemm } from '../../src/core/tfjs';

type ForTests = { native: NativeGemm; skip: false } | { native: null; skip: string };

function skipped(reason: string): ForTests {
  process.stdout.write(`${reason}\n`);
  return { native: null, skip: reason };
}

export function nativeForTests(): ForTests {
  // Loaded whatever a run would choose (nativeBlas false must not skip these): they test the addon itself.
  const s = loadNativeBlas();
  if (s.available) return { native: s.native, skip: false };
  return skipped(`native BLAS unavailable: ${s.reason}${s.fix ? ` (fix: ${s.fix})` : ''}`);
}

/**
 * The addon built for the baseline instruction set only (-DDTRAIN_BLAS_BASELINE: no AVX2 clones of the
 * recurrent scans, layer norm or the softmax), which is what a CPU without AVX2 and FMA runs; built here into a temporary directory
 * as scripts/build-native.mjs builds the real one.
 */
export function baselineNativeForTests(): ForTests {
  if (process.arch !== 'x64' || process.platform !== 'linux')
    return skipped(`the baseline build differs only on x64 Linux (this is ${process.platform}-${process.arch})`);
  const root = packageRoot();
  const sources = join(root, 'native', 'blas');
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-blas-baseline-'));
  const out = join(dir, 'dtrain_blas.node');
  const include = join(dirname(process.execPath), '..', 'include', 'node');
  const files = readdirSync(sources)
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(sources, f));
  const args = ['-O2', '-fPIC', '-shared', '-DDTRAIN_BLAS_BASELINE', `-I${include}`, ...files, '-o', out, '-ldl'];
  const r = spawnSync(process.env.CC || 'cc', args, { encoding: 'utf8' });
  const s = r.status === 0 ? loadNativeBlas({ addonPath: out }) : null;
  rmSync(dir, { recursive: true, force: true }); // a loaded library stays mapped after its file is gone
  if (s === null) return skipped(`baseline addon not built: ${(r.error?.message ?? r.stderr).split('\n')[0]}`);
  if (s.available) return { native: s.native, skip: false };
  return skipped(`baseline addon unavailable: ${s.reason}`);
}
