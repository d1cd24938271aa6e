// The doctor's native BLAS line: what each state of the addon and OpenBLAS reports, and its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findProblems } from '../../../src/engine/doctor/problems';
import { planWorkers, type Probes } from '../../../src/engine/doctor/workers';
import { runDoctor } from '../../../src/engine/doctor/index';
import { doctorText } from '../../../src/cli/doctor-text';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fakeBin, tempDir } from './fakes';
import { nativeForTests } from '../../helpers/native-blas';
import type { NativeBlasProbe } from '../../../src/shared/doctor';

function probes(nativeBlas: NativeBlasProbe): Probes {
  return {
    gpus: { status: 'none', error: null, gpus: [] },
    tfjsNodeGpu: { installed: false, version: null, loads: false, error: null, usesGpu: null, failedLibraries: [] },
    libraries: [],
    wasmBackend: { available: true, error: null },
    nativeBlas,
    desktop: {
      electronVersion: '45.4.1',
      electronBinary: '/x/electron',
      sqliteForElectron: '/x/b.node',
      sqliteForNodeError: null,
    },
  };
}

const ADDON = '/x/native/blas/build/dtrain_blas.node';

test("native BLAS in use: the CPU workers' plan says so; turned off on purpose: no problem either", () => {
  const on = probes({ addonPath: ADDON, addonBuilt: true, openblas: 'OpenBLAS 0.3.21', disabled: false, error: null });
  assert.match(
    planWorkers(on, 1, {})[0]!.why,
    /wasm backend on the CPU \(project kernels, matmul and convolution on native BLAS\)$/,
  );
  const off = probes({
    addonPath: ADDON,
    addonBuilt: true,
    openblas: null,
    disabled: true,
    error: 'turned off by DTRAIN_NATIVE_BLAS=0',
  });
  assert.match(planWorkers(off, 1, {})[0]!.why, /wasm backend on the CPU \(project kernels\)$/);
  assert.deepEqual(
    findProblems(probes({ addonPath: ADDON, addonBuilt: true, openblas: 'OpenBLAS 0.3.21', disabled: false, error: null })),
    [],
  );
  assert.deepEqual(
    findProblems(
      probes({ addonPath: ADDON, addonBuilt: true, openblas: null, disabled: true, error: 'turned off by DTRAIN_NATIVE_BLAS=0' }),
    ),
    [],
  );
});

test('OpenBLAS missing: a warning whose fix is the apt-get install', () => {
  const error = 'OpenBLAS not found (libopenblas.so.0: cannot open shared object file: No such file or directory)';
  const [p, ...rest] = findProblems(probes({ addonPath: ADDON, addonBuilt: true, openblas: null, disabled: false, error }));
  assert.equal(rest.length, 0);
  assert.deepEqual([p!.severity, p!.fix], ['warning', 'apt-get install libopenblas0-pthread']);
  assert.match(
    p!.what,
    /^OpenBLAS not found \(libopenblas\.so\.0: .*\): wasm workers run matmul and convolution on the slower wasm kernels$/,
  );
});

test(
  'a project whose addon was never built: the report says so, the fix is the build script, training still possible',
  { timeout: 60_000 },
  async () => {
    const env = { ...process.env, PATH: `${fakeBin({ nvidiaSmi: false })}:${process.env.PATH}`, DTRAIN_NATIVE_BLAS: '' };
    // This checkout's packages (so wasm is available) but no native/ folder.
    const root = tempDir('root');
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'dtrain', type: 'module' }));
    symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
    const report = await runDoctor({ root, env, cpuCount: 1 });
    assert.equal(report.nativeBlas.addonBuilt, false);
    assert.equal(report.nativeBlas.openblas, null);
    const p = report.problems.find((x) => x.what.startsWith('the native BLAS addon is not built'));
    assert.ok(p, JSON.stringify(report.problems));
    assert.equal(p.severity, 'warning');
    assert.match(p.fix, /^node scripts\/build-native\.mjs/);
    assert.match(
      doctorText(report),
      /Native BLAS for the wasm workers \(matmul, convolution\)\n {2}addon: not built \(.*dtrain_blas\.node missing\)\n {2}OpenBLAS: not checked \(no addon\)/,
    );
  },
);

test(
  'this checkout, addon built and OpenBLAS installed: the doctor names the OpenBLAS it opened',
  { timeout: 60_000, skip: nativeForTests().skip },
  async () => {
    const env = { ...process.env, PATH: `${fakeBin({ nvidiaSmi: false })}:${process.env.PATH}`, DTRAIN_NATIVE_BLAS: '' };
    const report = await runDoctor({ env, cpuCount: 1 });
    assert.match(report.nativeBlas.openblas ?? '', /^OpenBLAS \d+\.\d+/);
    assert.ok(!report.problems.some((x) => /native BLAS|OpenBLAS/.test(x.what)));
    assert.match(doctorText(report), /\n {2}OpenBLAS: OpenBLAS \d/);
  },
);
