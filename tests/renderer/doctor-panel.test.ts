// The device panel's machine check, as the renderer lays it out: the doctor report's GPUs, one line per
// distinct worker plan (identical CPU workers folded with their count), and each problem with its fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctorView } from '../../src/renderer/src/views/new-run/doctor-panel';
import { sampleDoctorReport } from './doctor-sample';

test('two GPUs without tfjs-node-gpu: each GPU, each GPU worker, and both fixes', () => {
  const v = doctorView(sampleDoctorReport());
  assert.equal(v.tone, 'warning');
  assert.equal(v.headline, sampleDoctorReport().summary);
  assert.deepEqual(v.gpus, [
    'GPU 0: NVIDIA RTX A4000 · driver 535.104.05 · 16.0 GiB',
    'GPU 1: NVIDIA RTX A4000 · driver 535.104.05 · 16.0 GiB',
  ]);
  assert.equal(v.workers.length, 2);
  assert.match(
    v.workers[0]!,
    /^GPU 0 \(NVIDIA RTX A4000\) → wasm, native BLAS, host storage, communication thread off: @tensorflow\/tfjs-node-gpu is not installed/,
  );
  assert.deepEqual(
    v.problems.map((p) => p.fix.split('   #')[0]),
    ['npm install @tensorflow/tfjs-node-gpu@4.22.0', 'sudo apt-get install libcudnn8=8.1.1.33-1+cuda11.2'],
  );
});

test('no GPU: says so, folds identical CPU workers into one line with their count, ok without problems', () => {
  const r = sampleDoctorReport();
  const cpu = {
    ...r,
    problems: [],
    gpus: { status: 'no-nvidia-smi' as const, gpus: [], error: null },
    workers: [0, 1, 2].map((deviceId) => ({
      deviceId,
      device: `CPU worker ${deviceId}`,
      backend: 'wasm' as const,
      computesOn: 'CPU' as const,
      storage: 'host' as const,
      nativeBlas: false,
      commThread: { on: false, why: '' },
      why: 'no GPU',
    })),
  };
  const v = doctorView(cpu);
  assert.equal(v.tone, 'ok');
  assert.deepEqual(v.gpus, ['No GPU: nvidia-smi is not installed']);
  assert.deepEqual(v.workers, ['3 CPU workers → wasm, wasm kernels, host storage, communication thread off: no GPU']);
  const failed = doctorView({
    ...cpu,
    gpus: { status: 'failed', gpus: [], error: 'driver not loaded' },
    problems: [{ severity: 'error', what: 'x', fix: 'npm rebuild better-sqlite3' }],
  });
  assert.deepEqual([failed.tone, failed.gpus], ['error', ['No GPU: nvidia-smi failed (driver not loaded)']]);
});
