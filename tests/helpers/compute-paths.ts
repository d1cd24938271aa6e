/**
 * The compute paths a user's workers can land on, as settings a test applies to real worker runs:
 * the backend (wasm, or cpu where wasm does not load), the native BLAS addon on or off (wasm only),
 * where parameters and slots live (`variableStorage` host or tensor), and the communication thread
 * on or off. A test runs the same small runs under each path (forEachComputePath) instead of
 * copying itself per setting; a path this machine cannot take is skipped with its printed reason.
 * A path is the run's compute choices (TrainSetup.compute, or a run config's keys): the workers read
 * no environment variable for it.
 */
import { loadNativeBlas } from '../../src/workers/native-blas';
import type { ComputeChoices } from '../../src/shared/api';
import type { TrainSetup } from '../../src/shared/worker-protocol';

export interface ComputePath {
  /** e.g. `wasm+blas host thread`. */
  name: string;
  /** The run's choices on this path. */
  compute: ComputeChoices;
  /** Why this machine cannot take the path (the test skips and prints it). */
  skip?: string;
}

function blasSkip(): string | undefined {
  const s = loadNativeBlas();
  return s.available ? undefined : `native BLAS unavailable here: ${s.reason}${s.fix ? ` (fix: ${s.fix})` : ''}`;
}

/**
 * Every combination: wasm with BLAS on and off, cpu (no BLAS there), each with host and tensor
 * storage and the communication thread on and off. 12 paths.
 */
export function computePaths(): ComputePath[] {
  const noBlas = blasSkip();
  const kernels = [
    { name: 'wasm+blas', backend: 'wasm', nativeBlas: true, skip: noBlas },
    { name: 'wasm', backend: 'wasm', nativeBlas: false, skip: undefined },
    { name: 'cpu', backend: 'cpu', nativeBlas: false, skip: undefined },
  ] as const;
  const out: ComputePath[] = [];
  for (const k of kernels) {
    for (const variableStorage of ['host', 'tensor'] as const) {
      for (const commThread of ['off', 'on'] as const) {
        out.push({
          name: `${k.name} ${variableStorage}${commThread === 'on' ? ' thread' : ''}`,
          compute: { backend: k.backend, nativeBlas: k.nativeBlas, commThread, variableStorage },
          ...(k.skip ? { skip: k.skip } : {}),
        });
      }
    }
  }
  return out;
}

/** `setup` as it runs on `path`. */
export function onPath(setup: Omit<TrainSetup, 'socketDir' | 'compute'>, path: ComputePath): Omit<TrainSetup, 'socketDir'> {
  return { ...setup, compute: path.compute };
}
