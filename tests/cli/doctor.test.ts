// `dtrain doctor` as a user runs it, on fake machines: a fake nvidia-smi on PATH (two GPUs, or failing,
// or absent) and fake CUDA/cuDNN directories of empty files on LD_LIBRARY_PATH. The report must follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DRIVER_DOWN, TWO_GPUS_CSV, fakeBin, fakeLibDir } from '../engine/doctor/fakes';
import { SYSTEM_LIB_DIRS, TENSORFLOW_GPU_LIBRARIES } from '../../src/engine/doctor/libraries';
import type { DoctorReport } from '../../src/shared/doctor';

const ALL = TENSORFLOW_GPU_LIBRARIES.map(([f]) => f);
const installedHere = ALL.filter((f) => [...SYSTEM_LIB_DIRS, '/usr/local/cuda/lib64'].some((d) => existsSync(join(d, f))));
const cudaHomes = existsSync('/usr/local') ? readdirSync('/usr/local').filter((d) => d.startsWith('cuda')) : [];
const skipMissing =
  installedHere.length || cudaHomes.length
    ? `this machine has CUDA libraries installed (${[...installedHere, ...cudaHomes].join(', ')}): missing ones cannot be faked`
    : false;
const tfjsNodeGpuHere = existsSync('node_modules/@tensorflow/tfjs-node-gpu')
  ? '@tensorflow/tfjs-node-gpu is installed here: the not-installed case cannot be shown'
  : false;

function doctor(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/dtrain.mjs', 'doctor', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const json = (env: NodeJS.ProcessEnv): DoctorReport => {
  const r = doctor(env, '--json');
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as DoctorReport;
};

test(
  'two GPUs and every library on LD_LIBRARY_PATH: GPUs listed, libraries found there, tfjs-node-gpu missing → install command',
  { timeout: 200_000, skip: tfjsNodeGpuHere },
  () => {
    const libs = fakeLibDir(ALL);
    const r = json({ PATH: `${fakeBin({ csv: TWO_GPUS_CSV })}:${process.env.PATH}`, LD_LIBRARY_PATH: libs });
    assert.equal(r.gpus.status, 'found');
    assert.deepEqual(
      r.gpus.gpus.map((g) => [g.name, g.driver, g.memoryTotalMiB]),
      [
        ['NVIDIA GeForce RTX 3090', '535.104.05', 24576],
        ['NVIDIA A100-SXM4-40GB', '535.104.05', 40960],
      ],
    );
    assert.deepEqual(
      r.libraries.map((l) => [l.file, l.path, l.via]),
      ALL.map((f) => [f, join(libs, f), 'LD_LIBRARY_PATH']),
    );
    assert.deepEqual(
      r.workers.map((w) => [w.device, w.backend, w.storage]),
      [
        ['GPU 0 (NVIDIA GeForce RTX 3090)', 'wasm', 'host'],
        ['GPU 1 (NVIDIA A100-SXM4-40GB)', 'wasm', 'host'],
      ],
    );
    assert.match(r.workers[0]!.why, /tfjs-node-gpu is not installed/);
    assert.ok(r.problems.some((p) => p.fix === 'npm install @tensorflow/tfjs-node-gpu@4.22.0'));
    assert.ok(
      !r.problems.some((p) => /CUDA 11 libraries|cuDNN 8 libraries/.test(p.what)),
      'no library problem when all are found',
    );
    assert.equal(r.canTrain, true);
    assert.match(r.summary, /^2 GPU\(s\) \(NVIDIA GeForce RTX 3090, NVIDIA A100-SXM4-40GB, driver 535.104.05\)/);
  },
);

test(
  'two GPUs, cuDNN missing: the report names each missing library and the apt command',
  { timeout: 200_000, skip: skipMissing },
  () => {
    const libs = fakeLibDir(ALL.filter((f) => !f.startsWith('libcudnn')));
    const env = { PATH: `${fakeBin({ csv: TWO_GPUS_CSV })}:${process.env.PATH}`, LD_LIBRARY_PATH: libs };
    const r = json(env);
    assert.deepEqual(
      r.libraries.filter((l) => l.path === null).map((l) => l.file),
      ALL.filter((f) => f.startsWith('libcudnn')),
    );
    const cudnn = r.problems.find((p) => p.what.startsWith('cuDNN 8 libraries not found'));
    assert.ok(cudnn, JSON.stringify(r.problems));
    assert.match(cudnn.what, /libcudnn\.so\.8, libcudnn_ops_infer\.so\.8/);
    assert.match(cudnn.fix, /^sudo apt-get install libcudnn8=8\.1\.1\.33-1\+cuda11\.2/);
    assert.ok(!r.problems.some((p) => p.what.startsWith('CUDA 11 libraries')), 'the CUDA libraries were found');
    const text = doctor(env);
    assert.equal(text.code, 0);
    assert.match(text.out, /libcudnn\.so\.8 +missing/);
    assert.match(
      text.out,
      new RegExp(
        `libcudart\\.so\\.11\\.0 +${libs.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/libcudart\\.so\\.11\\.0 \\(LD_LIBRARY_PATH\\)`,
      ),
    );
    assert.match(text.out, /fix: sudo apt-get install libcudnn8=/);
  },
);

test('nvidia-smi failing: says so with its message and fix, trains on CPU workers, exit 0', { timeout: 200_000 }, () => {
  const env = { PATH: `${fakeBin({ failWith: DRIVER_DOWN })}:${process.env.PATH}` };
  const r = json(env);
  assert.deepEqual([r.gpus.status, r.gpus.error], ['failed', DRIVER_DOWN]);
  assert.ok(
    r.workers.length >= 1 &&
      r.workers.every((w) => w.device.startsWith('CPU worker') && w.backend === 'wasm' && w.storage === 'host'),
  );
  assert.ok(r.problems.some((p) => p.what === `nvidia-smi failed: ${DRIVER_DOWN}` && p.fix.startsWith('sudo modprobe nvidia')));
  assert.match(r.summary, /^No NVIDIA GPU \(nvidia-smi failed\)/);
  const text = doctor(env);
  assert.equal(text.code, 0);
  assert.match(text.out, /none: nvidia-smi failed: NVIDIA-SMI has failed/);
  assert.match(text.out, /This machine can train\./);
});

test(
  'no nvidia-smi at all: GPUs clearly absent, no library problem reported, DTRAIN_VARIABLE_STORAGE shown per worker',
  { timeout: 200_000 },
  () => {
    const r = json({ PATH: `${fakeBin({ nvidiaSmi: false })}:${process.env.PATH}`, DTRAIN_VARIABLE_STORAGE: 'tensor' });
    assert.equal(r.gpus.status, 'no-nvidia-smi');
    assert.match(r.summary, /^No NVIDIA GPU \(nvidia-smi is not installed\): runs train on \d+ CPU worker\(s\), wasm backend\./);
    assert.ok(r.workers.every((w) => w.storage === 'tensor'));
    assert.ok(!r.problems.some((p) => /CUDA|cuDNN|tfjs-node-gpu/.test(p.what)), 'without GPUs the GPU stack is not a problem');
  },
);
