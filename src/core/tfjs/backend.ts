/**
 * Picks the tfjs backend a worker trains on: tensorflow (tfjs-node-gpu, CUDA) when it loads, else wasm
 * (single-threaded, with the project kernels), else cpu. Records why each skipped backend was skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerProjectKernels } from './kernels';
import { shareSavedTensors } from './saved-tensors';
import type { NativeGemm } from './kernels/native-gemm';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface SelectBackendOptions {
  /**
   * Directory holding tfjs-backend-wasm's .wasm files. Not needed under Node/tsx or when the app
   * bundle keeps @tensorflow/tfjs-backend-wasm external (it finds them next to its own dist/); needed
   * when the package is bundled into another file.
   */
  wasmDir?: string;
  /** Register the wasm project kernels (default true; benchmarks turn it off to compare). */
  projectKernels?: boolean;
  /**
   * A native BLAS for the wasm project kernels' matmuls and convolutions (loaded by the Node side,
   * e.g. src/workers/native-blas.ts); absent: the wasm kernels only. Ignored by the other backends.
   */
  native?: NativeGemm;
}

export interface BackendSelection {
  name: BackendName;
  /** Why this backend, including why the preferred ones before it were skipped. */
  reason: string;
  skipped: { name: BackendName; reason: string }[];
  /** Project kernels registered for the chosen backend (wasm only). */
  projectKernels: string[];
  /** True when the project kernels run their matmuls and convolutions on the given native BLAS. */
  nativeBlas: boolean;
}

const DEFAULT_ORDER: BackendName[] = ['tensorflow', 'wasm', 'cpu'];
// A variable, not a literal: bundlers and tsc must not try to resolve this optional dependency.
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

const errorText = (e: unknown): string => {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String(e.message) : String(e);
  return msg.split('\n')[0];
};

async function tryTensorflow(): Promise<string | null> {
  try {
    await import(/* @vite-ignore */ TFJS_NODE_GPU);
  } catch (e) {
    return `${TFJS_NODE_GPU} did not load: ${errorText(e)}`;
  }
  if (tf.findBackendFactory('tensorflow') === null) return `${TFJS_NODE_GPU} loaded but registered no 'tensorflow' backend`;
  return (await tf.setBackend('tensorflow')) ? null : "the 'tensorflow' backend failed to initialise";
}

const where = (options: SelectBackendOptions): string =>
  options.wasmDir === undefined ? '' : ` (are the .wasm files in wasmDir ${options.wasmDir}?)`;

async function tryWasm(options: SelectBackendOptions): Promise<string | null> {
  if (tf.findBackendFactory('wasm') === null) return "@tensorflow/tfjs-backend-wasm registered no 'wasm' backend";
  try {
    // Single-threaded: wasm threads are off in Node; scale with one worker process per core instead.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (options.wasmDir !== undefined) setWasmPaths(options.wasmDir.endsWith('/') ? options.wasmDir : `${options.wasmDir}/`);
    if (!(await tf.setBackend('wasm'))) return `the 'wasm' backend failed to initialise${where(options)}`;
  } catch (e) {
    return `the 'wasm' backend failed to initialise${where(options)}: ${errorText(e)}`;
  }
  return null;
}

async function tryCpu(): Promise<string | null> {
  return (await tf.setBackend('cpu')) ? null : "the 'cpu' backend failed to initialise";
}

const WHY: Record<BackendName, string> = {
  tensorflow: 'tfjs-node-gpu loaded (native TensorFlow)',
  wasm: 'wasm loaded (single-threaded, project kernels)',
  cpu: 'cpu backend (slow: about 1 GFLOP/s)',
};

/** Tries the backends in `preference` order and activates the first that works. */
export async function selectBackend(
  preference: BackendName[] = DEFAULT_ORDER,
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of preference) {
    const failure = name === 'tensorflow' ? await tryTensorflow() : name === 'wasm' ? await tryWasm(options) : await tryCpu();
    if (failure !== null) {
      skipped.push({ name, reason: failure });
      continue;
    }
    // The engine's clone per tensor saved for backward, without a kernel call (docs/tuning.md).
    if (name !== 'tensorflow') shareSavedTensors();
    const kernels = name === 'wasm' && options.projectKernels !== false ? registerProjectKernels({ native: options.native }) : [];
    const nativeBlas = kernels.length > 0 && options.native !== undefined;
    const why =
      name === 'wasm' && kernels.length === 0
        ? 'wasm loaded (single-threaded, stock kernels only)'
        : nativeBlas
          ? 'wasm loaded (single-threaded, project kernels, matmul and conv on native BLAS)'
          : WHY[name];
    const reason = [why, ...skipped.map((s) => `${s.name} skipped: ${s.reason}`)].join('; ');
    return { name, reason, skipped, projectKernels: kernels, nativeBlas };
  }
  throw new Error(
    `no tfjs backend available: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ') || 'empty preference list'}`,
  );
}
