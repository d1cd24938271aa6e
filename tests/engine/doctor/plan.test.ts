// From probe results to the report's decisions: which backend each worker gets and why, and each
// problem's fix. The GPU-with-a-working-TensorFlow cases cannot be produced by a fake machine here
// (they need a real libtensorflow), so they are given as probe results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planWorkers, type Probes } from '../../../src/engine/doctor/workers';
import { findProblems, summarize } from '../../../src/engine/doctor/problems';
import { TENSORFLOW_GPU_LIBRARIES } from '../../../src/engine/doctor/libraries';
import { runDoctor } from '../../../src/engine/doctor/index';
import { fakeBin, fakeRoot } from './fakes';
import { readSettings } from '../../../src/shared/settings';

/** The compute choices the doctor plans with: the environment's, read as a process reads it at its start. */
const envCompute = (env: Record<string, string>) => readSettings(env).compute;

const LIBS = TENSORFLOW_GPU_LIBRARIES.map(([file, what]) => ({
  file,
  what,
  path: `/usr/local/cuda/lib64/${file}`,
  via: 'ldconfig' as const,
  offPathDir: null,
}));

function probes(over: Partial<Probes> = {}): Probes {
  return {
    gpus: {
      status: 'found',
      error: null,
      gpus: [{ index: 0, name: 'NVIDIA RTX A4000', driver: '535.104.05', memoryTotalMiB: 16376, memoryUsedMiB: 10 }],
    },
    tfjsNodeGpu: { installed: true, version: '4.22.0', loads: true, error: null, usesGpu: true, failedLibraries: [] },
    libraries: LIBS,
    wasmBackend: { available: true, error: null },
    nativeBlas: {
      addonPath: '/x/native/blas/build/dtrain_blas.node',
      addonBuilt: true,
      openblas: 'OpenBLAS 0.3.21 DYNAMIC_ARCH Zen',
      disabled: false,
      error: null,
    },
    desktop: {
      electronVersion: '45.4.1',
      electronBinary: '/x/electron',
      sqliteForElectron: '/x/better_sqlite3.node',
      sqliteForNodeError: null,
    },
    ...over,
  };
}

test('a working GPU stack: tensorflow on the GPU with tensor storage, no problem', () => {
  const p = probes();
  const [w] = planWorkers(p, 8, {});
  assert.deepEqual([w!.backend, w!.computesOn, w!.storage], ['tensorflow', 'GPU', 'tensor']);
  assert.match(w!.why, /CUDA_VISIBLE_DEVICES=0/);
  assert.deepEqual(findProblems(p), []);
  assert.equal(
    summarize(p, [w!], []),
    '1 GPU(s) (NVIDIA RTX A4000, driver 535.104.05): workers use the tensorflow backend on the GPU. No problems found.',
  );
  assert.equal(
    planWorkers(p, 8, envCompute({ DTRAIN_VARIABLE_STORAGE: 'host' }))[0]!.storage,
    'host',
    'the environment setting wins over auto',
  );
});

test('TensorFlow loads but cuDNN is off the loader path: CPU compute, and the LD_LIBRARY_PATH fix names the directory', () => {
  const libraries = LIBS.map((l) =>
    l.file.startsWith('libcudnn') ? { ...l, path: null, via: null, offPathDir: '/usr/local/cuda-11.2/lib64' } : l,
  );
  const p = probes({ libraries, tfjsNodeGpu: { ...probes().tfjsNodeGpu, usesGpu: true } });
  const [w] = planWorkers(p, 8, {});
  assert.deepEqual([w!.backend, w!.computesOn], ['tensorflow', 'CPU']);
  assert.match(w!.why, /libcudnn\.so\.8, .* not found by the loader/);
  const [problem, ...rest] = findProblems(p);
  assert.equal(rest.length, 0);
  assert.equal(
    problem!.fix,
    'export LD_LIBRARY_PATH=/usr/local/cuda-11.2/lib64:$LD_LIBRARY_PATH   # or: echo /usr/local/cuda-11.2/lib64 | sudo tee /etc/ld.so.conf.d/cuda.conf && sudo ldconfig',
  );
});

test("TensorFlow's own failed-library warnings count even when the file search found the library", () => {
  const p = probes({ tfjsNodeGpu: { ...probes().tfjsNodeGpu, usesGpu: false, failedLibraries: ['libcublasLt.so.11'] } });
  assert.equal(planWorkers(p, 1, {})[0]!.computesOn, 'CPU');
  assert.deepEqual(
    findProblems(p).map((x) => x.fix),
    ["sudo apt-get install cuda-libraries-11-2   # from NVIDIA's CUDA apt repository"],
  );
});

test('an old driver, a tfjs-node-gpu that does not load, a missing libcuda: each with its fix; GPU workers fall back to wasm', () => {
  const p = probes({
    gpus: {
      status: 'found',
      error: null,
      gpus: [{ index: 0, name: 'Tesla K80', driver: '418.87.01', memoryTotalMiB: 11441, memoryUsedMiB: 0 }],
    },
    tfjsNodeGpu: {
      installed: true,
      version: '4.22.0',
      loads: false,
      error: 'libtensorflow.so.2: cannot open shared object file',
      usesGpu: null,
      failedLibraries: [],
    },
    libraries: LIBS.map((l) => (l.file === 'libcuda.so.1' ? { ...l, path: null, via: null } : l)),
  });
  assert.deepEqual(
    planWorkers(p, 4, {}).map((w) => [w.backend, w.storage]),
    [['wasm', 'host']],
  );
  assert.deepEqual(
    findProblems(p).map((x) => x.fix.split('   #')[0]),
    ['sudo ubuntu-drivers install', 'npm rebuild @tensorflow/tfjs-node-gpu', 'sudo ubuntu-drivers install'],
  );
  assert.match(findProblems(p)[0]!.what, /418\.87\.01 is too old for CUDA 11\.2/);
});

test(
  'without better-sqlite3 nothing can be stored: canTrain is false and the fix is npm rebuild',
  { timeout: 60_000 },
  async () => {
    const report = await runDoctor({
      root: fakeRoot(null),
      env: { ...process.env, PATH: `${fakeBin({ nvidiaSmi: false })}:${process.env.PATH}` },
      cpuCount: 2,
    });
    assert.equal(report.canTrain, false);
    assert.deepEqual(
      report.problems.filter((p) => p.severity === 'error').map((p) => p.fix),
      ['npm rebuild better-sqlite3'],
    );
    assert.equal(report.workers.length, 2);
    assert.equal(report.wasmBackend.available, false, 'the fake root has no tfjs-backend-wasm either');
    assert.deepEqual(
      report.workers.map((w) => w.backend),
      ['cpu', 'cpu'],
    );
  },
);

// `dtrain doctor` says which compute path each worker takes: backend, kernels, storage, thread.
test('each worker plan names its compute path: native BLAS or wasm kernels, storage, the communication thread; DTRAIN_BACKEND forces a backend', () => {
  const noGpu = probes({ gpus: { status: 'no-nvidia-smi', error: null, gpus: [] } });
  const [w] = planWorkers(noGpu, 2, {});
  assert.deepEqual([w!.backend, w!.nativeBlas, w!.storage, w!.commThread.on], ['wasm', true, 'host', false]);
  assert.match(w!.commThread.why, /2 cores for 2 workers/);
  const noBlas = probes({ gpus: noGpu.gpus, nativeBlas: { ...noGpu.nativeBlas, openblas: null, error: 'OpenBLAS not found' } });
  assert.equal(planWorkers(noBlas, 2, {})[0]!.nativeBlas, false, 'without OpenBLAS: the wasm kernels');
  assert.equal(planWorkers(noGpu, 8, {})[0]!.commThread.on, false, '8 workers on 8 cores: off');
  assert.deepEqual(planWorkers(noGpu, 2, envCompute({ DTRAIN_COMM_THREAD: '1' }))[0]!.commThread, {
    on: true,
    why: 'forced on (commThread "on", DTRAIN_COMM_THREAD=1)',
  });
  const cpu = planWorkers(noGpu, 2, envCompute({ DTRAIN_BACKEND: 'cpu' }))[0]!;
  assert.deepEqual([cpu.backend, cpu.nativeBlas, cpu.storage], ['cpu', false, 'host']);
  assert.match(cpu.why, /^DTRAIN_BACKEND=cpu: the cpu backend \(slow\)$/);
  const gpu = planWorkers(probes(), 8, envCompute({ DTRAIN_BACKEND: 'wasm' }))[0]!;
  assert.deepEqual([gpu.backend, gpu.computesOn, gpu.storage, gpu.nativeBlas], ['wasm', 'CPU', 'host', true]);
  const noWasm = probes({ gpus: noGpu.gpus, wasmBackend: { available: false, error: 'no .wasm file' } });
  assert.match(
    planWorkers(noWasm, 1, envCompute({ DTRAIN_BACKEND: 'wasm' }))[0]!.why,
    /unavailable \(no \.wasm file\): workers will fail to start/,
  );
});
