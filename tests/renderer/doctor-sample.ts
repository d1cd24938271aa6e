/** A doctor report for fakes and renderer tests: two GPUs, tfjs-node-gpu missing, cuDNN missing. */
import type { DoctorReport } from '../../src/shared/doctor';

const LIBS: [string, string][] = [
  ['libcuda.so.1', 'NVIDIA driver (CUDA driver API)'],
  ['libcudart.so.11.0', 'CUDA 11 runtime'],
  ['libcudnn.so.8', 'cuDNN 8'],
];

export function sampleDoctorReport(): DoctorReport {
  return {
    canTrain: true,
    summary: '2 GPU(s) (NVIDIA RTX A4000, driver 535.104.05): workers use the wasm backend. 2 warnings below.',
    gpus: {
      status: 'found',
      error: null,
      gpus: [0, 1].map((index) => ({
        index,
        name: 'NVIDIA RTX A4000',
        driver: '535.104.05',
        memoryTotalMiB: 16376,
        memoryUsedMiB: 12,
      })),
    },
    tfjsNodeGpu: {
      installed: false,
      version: null,
      loads: false,
      error: '@tensorflow/tfjs-node-gpu is not installed',
      usesGpu: null,
      failedLibraries: [],
    },
    libraries: LIBS.map(([file, what]) =>
      file === 'libcudnn.so.8'
        ? { file, what, path: null, via: null, offPathDir: null }
        : { file, what, path: `/usr/lib/x86_64-linux-gnu/${file}`, via: 'ldconfig' as const, offPathDir: null },
    ),
    wasmBackend: { available: true, error: null },
    nativeBlas: {
      addonPath: '/x/native/blas/build/dtrain_blas.node',
      addonBuilt: true,
      openblas: 'OpenBLAS 0.3.21 DYNAMIC_ARCH Zen',
      disabled: false,
      error: null,
    },
    workers: [0, 1].map((deviceId) => ({
      deviceId,
      device: `GPU ${deviceId} (NVIDIA RTX A4000)`,
      backend: 'wasm' as const,
      computesOn: 'CPU' as const,
      storage: 'host' as const,
      nativeBlas: true,
      commThread: {
        on: false,
        why: '2 cores for 2 workers; the thread is used from 2 cores per worker, DTRAIN_COMM_THREAD=1 forces it',
      },
      why: '@tensorflow/tfjs-node-gpu is not installed: wasm backend on the CPU (project kernels), the GPU stays idle',
    })),
    desktop: { electronVersion: '45.4.1', electronBinary: null, sqliteForElectron: null, sqliteForNodeError: null },
    problems: [
      {
        severity: 'warning',
        what: '@tensorflow/tfjs-node-gpu is not installed: the GPUs stay idle and workers train on the CPU',
        fix: 'npm install @tensorflow/tfjs-node-gpu@4.22.0',
      },
      {
        severity: 'warning',
        what: 'cuDNN 8 libraries not found: libcudnn.so.8: TensorFlow computes on the CPU',
        fix: "sudo apt-get install libcudnn8=8.1.1.33-1+cuda11.2   # from NVIDIA's CUDA apt repository",
      },
    ],
  };
}
