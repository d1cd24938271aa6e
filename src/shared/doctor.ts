/**
 * What `dtrain doctor` and the dashboard's device panel report: can this machine train, on what, and
 * what to run to fix each problem. Plain JSON (it crosses IPC and the WebSocket as is).
 */

export interface GpuInfo {
  index: number;
  name: string;
  driver: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
}

/** nvidia-smi's answer: GPUs listed, none listed, not installed, or failed (driver not loaded, …). */
export interface GpuProbe {
  status: 'found' | 'none' | 'no-nvidia-smi' | 'failed';
  gpus: GpuInfo[];
  /** nvidia-smi's own message when it failed. */
  error: string | null;
}

export interface TfjsNodeGpuProbe {
  installed: boolean;
  version: string | null;
  /** True when `import('@tensorflow/tfjs-node-gpu')` succeeded in a fresh Node process. */
  loads: boolean;
  error: string | null;
  /** TensorFlow's own answer (when it loaded): does it use a GPU device? */
  usesGpu: boolean | null;
  /** Libraries TensorFlow said it could not load (its "Could not load dynamic library" warnings). */
  failedLibraries: string[];
}

export interface LibraryProbe {
  /** File name the loader is asked for, e.g. `libcudart.so.11.0`. */
  file: string;
  /** What it is, e.g. `CUDA runtime 11.x`. */
  what: string;
  /** Where the dynamic loader finds it, or null. */
  path: string | null;
  via: 'LD_LIBRARY_PATH' | 'ldconfig' | 'system dir' | null;
  /** Found only outside the loader's path (e.g. /usr/local/cuda-11.2/lib64): the directory to add. */
  offPathDir: string | null;
}

export interface WorkerPlan {
  deviceId: number;
  device: string;
  backend: 'tensorflow' | 'wasm' | 'cpu';
  /** Where TensorFlow computes when backend is tensorflow. */
  computesOn: 'GPU' | 'CPU';
  storage: 'host' | 'tensor';
  /** wasm backend: matmul and convolution on OpenBLAS through the native addon (else the wasm kernels). */
  nativeBlas: boolean;
  /** Whether the worker's ring runs on a communication thread, and why (src/shared/comm-thread-policy.ts). */
  commThread: { on: boolean; why: string };
  why: string;
}

export interface DesktopProbe {
  electronVersion: string | null;
  /** The downloaded Electron binary, or null. */
  electronBinary: string | null;
  /** better-sqlite3 built for Electron by scripts/rebuild-native.mjs, or null. */
  sqliteForElectron: string | null;
  /** null when the Node build of better-sqlite3 opens a database; else why not. */
  sqliteForNodeError: string | null;
}

/** The native BLAS addon the wasm workers' matmuls and convolutions use when it loads. */
export interface NativeBlasProbe {
  /** The addon file scripts/build-native.mjs writes, and whether it is there. */
  addonPath: string;
  addonBuilt: boolean;
  /** OpenBLAS's build string when the addon opened it (e.g. "OpenBLAS 0.3.21 … Zen"), else null. */
  openblas: string | null;
  /** True when DTRAIN_NATIVE_BLAS=0 turns it off. */
  disabled: boolean;
  /** Why it is not used, or null when it is. */
  error: string | null;
}

export interface DoctorProblem {
  /** error: no training at all; warning: training works, but not as well as this machine could. */
  severity: 'error' | 'warning';
  what: string;
  /** The exact command (or change) that fixes it. */
  fix: string;
}

export interface DoctorReport {
  /** True when a run can start here (CPU workers count). */
  canTrain: boolean;
  /** One or two sentences: GPUs or not, which backend, the worst problem. */
  summary: string;
  gpus: GpuProbe;
  tfjsNodeGpu: TfjsNodeGpuProbe;
  libraries: LibraryProbe[];
  wasmBackend: { available: boolean; error: string | null };
  nativeBlas: NativeBlasProbe;
  workers: WorkerPlan[];
  desktop: DesktopProbe;
  problems: DoctorProblem[];
}
