/**
 * The compute paths a user's workers can land on, as settings a test applies to real worker runs:
 * the backend (wasm, or cpu where wasm does not load), the native BLAS addon on or off (wasm only),
 * where parameters and slots live (`variableStorage` host or tensor), and the communication thread
 * on or off. A test runs the same small runs under each path (forEachComputePath) instead of
 * copying itself per setting; a path this machine cannot take is skipped with its printed reason.
 */
import { loadNativeBlas } from '../../src/workers/native-blas';
import type { TrainSetup } from '../../src/shared/worker-protocol';

export interface ComputePath {
  /** e.g. `wasm+blas host thread`. */
  name: string;
  /** Variables the forked workers read. */
  env: Record<string, string>;
  variableStorage: 'host' | 'tensor';
  /** Why this machine cannot take the path (the test skips and prints it). */
  skip?: string;
}

function blasSkip(): string | undefined {
  const s = loadNativeBlas({ env: {} });
  return s.available ? undefined : `native BLAS unavailable here: ${s.reason}${s.fix ? ` (fix: ${s.fix})` : ''}`;
}

/**
 * Every combination: wasm with BLAS on and off, cpu (no BLAS there), each with host and tensor
 * storage and the communication thread on and off. 12 paths.
 */
export function computePaths(): ComputePath[] {
  const noBlas = blasSkip();
  const kernels = [
    { name: 'wasm+blas', env: { DTRAIN_BACKEND: 'wasm', DTRAIN_NATIVE_BLAS: '1' }, skip: noBlas },
    { name: 'wasm', env: { DTRAIN_BACKEND: 'wasm', DTRAIN_NATIVE_BLAS: '0' }, skip: undefined },
    { name: 'cpu', env: { DTRAIN_BACKEND: 'cpu', DTRAIN_NATIVE_BLAS: '0' }, skip: undefined },
  ];
  const out: ComputePath[] = [];
  for (const k of kernels) {
    for (const variableStorage of ['host', 'tensor'] as const) {
      for (const thread of ['0', '1']) {
        out.push({
          name: `${k.name} ${variableStorage}${thread === '1' ? ' thread' : ''}`,
          env: { ...k.env, DTRAIN_COMM_THREAD: thread },
          variableStorage,
          ...(k.skip ? { skip: k.skip } : {}),
        });
      }
    }
  }
  return out;
}

/** `setup` as it runs on `path`. */
export function onPath(setup: Omit<TrainSetup, 'socketDir'>, path: ComputePath): Omit<TrainSetup, 'socketDir'> {
  return { ...setup, variableStorage: path.variableStorage };
}
