// Each doctor probe against a fake machine: nvidia-smi scripts on PATH (canned CSV, failing, absent),
// library directories of empty files on LD_LIBRARY_PATH, canned `ldconfig -p` text, and fake
// @tensorflow/tfjs-node-gpu packages that fail to load or load without finding cuDNN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DRIVER_DOWN, TWO_GPUS_CSV, fakeBin, fakeLibDir, fakeRoot, tempDir } from './fakes';
import { probeGpus } from '../../../src/engine/doctor/nvidia-smi';
import { TENSORFLOW_GPU_LIBRARIES, probeLibraries } from '../../../src/engine/doctor/libraries';
import { probeTfjsNodeGpu } from '../../../src/engine/doctor/tfjs-node-gpu';
import { probeDesktop } from '../../../src/engine/doctor/desktop';

const envWith = (bin: string, extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, PATH: `${bin}:/usr/bin:/bin`, ...extra });

test('nvidia-smi: canned CSV gives each GPU with driver and memory; a failure keeps its message; absent is absent', async () => {
  const found = await probeGpus(envWith(fakeBin({ csv: TWO_GPUS_CSV })));
  assert.deepEqual(found, {
    status: 'found',
    error: null,
    gpus: [
      { index: 0, name: 'NVIDIA GeForce RTX 3090', driver: '535.104.05', memoryTotalMiB: 24576, memoryUsedMiB: 1024 },
      { index: 1, name: 'NVIDIA A100-SXM4-40GB', driver: '535.104.05', memoryTotalMiB: 40960, memoryUsedMiB: null },
    ],
  });
  assert.deepEqual(await probeGpus(envWith(fakeBin({ failWith: DRIVER_DOWN }))), {
    status: 'failed',
    gpus: [],
    error: DRIVER_DOWN,
  });
  assert.deepEqual(await probeGpus(envWith(fakeBin({ csv: '' }))), { status: 'none', gpus: [], error: null });
  assert.deepEqual(await probeGpus({ ...process.env, PATH: tempDir('empty') }), {
    status: 'no-nvidia-smi',
    gpus: [],
    error: null,
  });
});

test('libraries: LD_LIBRARY_PATH first, then the ldconfig cache, then system dirs; off-path CUDA homes are named', async () => {
  const files = TENSORFLOW_GPU_LIBRARIES.map(([f]) => f);
  const ld = fakeLibDir(['libcudart.so.11.0', 'libcublas.so.11']);
  const system = fakeLibDir(['libcufft.so.10', 'libcudart.so.11.0']);
  const home = fakeLibDir(['libcudnn.so.8']);
  const ldconfig = [
    "1234 libs found in cache `/etc/ld.so.cache'",
    '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1',
    '\tlibcurand.so.10 (libc6) => /usr/lib32/libcurand.so.10', // 32-bit: not for this process
  ].join('\n');
  const libs = await probeLibraries({
    env: { LD_LIBRARY_PATH: `/nonexistent:${ld}` },
    ldconfigOutput: ldconfig,
    systemDirs: [system],
    cudaHomes: [home],
  });
  const by = new Map(libs.map((l) => [l.file, l]));
  assert.deepEqual(
    libs.map((l) => l.file),
    files,
  );
  assert.deepEqual(by.get('libcudart.so.11.0'), {
    file: 'libcudart.so.11.0',
    what: 'CUDA 11 runtime',
    path: join(ld, 'libcudart.so.11.0'),
    via: 'LD_LIBRARY_PATH',
    offPathDir: null,
  });
  assert.equal(by.get('libcublas.so.11')!.via, 'LD_LIBRARY_PATH');
  assert.deepEqual(
    [by.get('libcuda.so.1')!.path, by.get('libcuda.so.1')!.via],
    ['/usr/lib/x86_64-linux-gnu/libcuda.so.1', 'ldconfig'],
  );
  assert.deepEqual(
    [by.get('libcufft.so.10')!.path, by.get('libcufft.so.10')!.via],
    [join(system, 'libcufft.so.10'), 'system dir'],
  );
  assert.deepEqual([by.get('libcurand.so.10')!.path, by.get('libcurand.so.10')!.offPathDir], [null, null]);
  assert.deepEqual([by.get('libcudnn.so.8')!.path, by.get('libcudnn.so.8')!.offPathDir], [null, home]);
  const none = await probeLibraries({ env: {}, ldconfigOutput: '', systemDirs: [], cudaHomes: [] });
  assert.ok(
    none.every((l) => l.path === null && l.via === null),
    'nothing anywhere: every library missing',
  );
});

test('tfjs-node-gpu: not installed, installed but failing to load, loading without cuDNN', { timeout: 60_000 }, async () => {
  const absent = await probeTfjsNodeGpu(fakeRoot(null));
  assert.deepEqual([absent.installed, absent.loads, absent.error], [false, false, '@tensorflow/tfjs-node-gpu is not installed']);

  const broken = await probeTfjsNodeGpu(
    fakeRoot("throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');"),
  );
  assert.deepEqual([broken.installed, broken.version, broken.loads], [true, '4.22.0', false]);
  assert.equal(broken.error, 'libtensorflow.so.2: cannot open shared object file: No such file or directory');

  const noCudnn = await probeTfjsNodeGpu(
    fakeRoot(`
    process.stderr.write("W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file\\n");
    module.exports = { backend: () => ({ isUsingGpuDevice: false }) };`),
  );
  assert.deepEqual(
    [noCudnn.loads, noCudnn.usesGpu, noCudnn.failedLibraries, noCudnn.error],
    [true, false, ['libcudnn.so.8'], null],
  );

  const crash = await probeTfjsNodeGpu(fakeRoot('process.stderr.write("Segmentation fault\\n"); process.exit(139);'));
  assert.equal(crash.loads, false);
  assert.match(crash.error!, /crashed the process: Segmentation fault/);
});

test('desktop: a root without electron or the Electron build of better-sqlite3 says so', () => {
  const d = probeDesktop(fakeRoot(null));
  assert.deepEqual([d.electronVersion, d.electronBinary, d.sqliteForElectron], [null, null, null]);
  assert.match(d.sqliteForNodeError ?? '', /better-sqlite3/, 'no better-sqlite3 under the fake root');
});
