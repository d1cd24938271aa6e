/**
 * The compute path each worker of a new run would take and why, from the probes and the compute choices
 * the environment sets (src/shared/settings.ts). Mirrors what a run does: one worker per GPU trying
 * tensorflow → wasm → cpu, or, without GPUs, one CPU worker per core trying wasm → cpu (DTRAIN_BACKEND
 * forces one); storage follows DTRAIN_VARIABLE_STORAGE, else auto (tensor on tensorflow); native BLAS on
 * wasm where OpenBLAS opens; the communication thread by the workers' policy.
 */
import type { ComputeChoices } from '../../shared/api';
import type { DoctorReport, WorkerPlan } from '../../shared/doctor';
import { commThreadDecision } from '../../shared/comm-thread-policy';

export type Probes = Omit<DoctorReport, 'canTrain' | 'summary' | 'workers' | 'problems'>;

/** Required files TensorFlow needs to put work on a GPU, missing from the loader's path. */
export function missingGpuLibraries(p: Probes): string[] {
  const fromTf = p.tfjsNodeGpu.failedLibraries;
  return [...new Set([...p.libraries.filter((l) => l.path === null).map((l) => l.file), ...fromTf])];
}

type Choices = Partial<ComputeChoices>;

export function planWorkers(p: Probes, cpuCount: number, compute: Choices = {}): WorkerPlan[] {
  const plans = forcedBackend(p, compute, baseWorkers(p, cpuCount, compute));
  const blas = p.nativeBlas.openblas !== null;
  return plans.map((w) => ({
    ...w,
    nativeBlas: w.backend === 'wasm' && blas,
    commThread: commThreadDecision(compute.commThread ?? 'auto', { workers: plans.length, backend: w.backend, cores: cpuCount }),
  }));
}

type BasePlan = Omit<WorkerPlan, 'nativeBlas' | 'commThread'>;

/** DTRAIN_VARIABLE_STORAGE, else auto: tensor on the tensorflow backend, host elsewhere. */
function storageFor(compute: Choices, backend: WorkerPlan['backend']): WorkerPlan['storage'] {
  const forced = compute.variableStorage;
  if (forced === 'host' || forced === 'tensor') return forced;
  return backend === 'tensorflow' ? 'tensor' : 'host';
}

/** DTRAIN_BACKEND=wasm|cpu|tensorflow: every worker takes that backend, or fails to start without it. */
function forcedBackend(p: Probes, compute: Choices, plans: BasePlan[]): BasePlan[] {
  const forced = compute.backend;
  if (forced === undefined || forced === 'auto') return plans;
  return plans.map((w) => {
    if (w.backend === forced) return { ...w, why: `${w.why} (DTRAIN_BACKEND=${forced})` };
    const unavailable =
      forced === 'wasm' && !p.wasmBackend.available
        ? `the wasm backend is unavailable (${p.wasmBackend.error}): workers will fail to start`
        : forced === 'tensorflow' && !p.tfjsNodeGpu.loads
          ? '@tensorflow/tfjs-node-gpu does not load: workers will fail to start'
          : null;
    const computesOn = forced === 'tensorflow' && w.computesOn === 'GPU' ? ('GPU' as const) : ('CPU' as const);
    const storage = storageFor(compute, forced);
    return {
      ...w,
      backend: forced,
      computesOn,
      storage,
      why: `DTRAIN_BACKEND=${forced}${unavailable ? `: ${unavailable}` : forced === 'cpu' ? ': the cpu backend (slow)' : ''}`,
    };
  });
}

function baseWorkers(p: Probes, cpuCount: number, compute: Choices): BasePlan[] {
  const storage = (backend: WorkerPlan['backend']) => storageFor(compute, backend);
  const fallback = p.wasmBackend.available ? ('wasm' as const) : ('cpu' as const);
  const kernels = p.nativeBlas.openblas !== null ? 'project kernels, matmul and convolution on native BLAS' : 'project kernels';
  const fallbackWhy = p.wasmBackend.available
    ? `wasm backend on the CPU (${kernels})`
    : `cpu backend (slow): the wasm backend is unavailable (${p.wasmBackend.error})`;
  if (p.gpus.status !== 'found') {
    const noGpu =
      p.gpus.status === 'no-nvidia-smi'
        ? 'nvidia-smi is not installed'
        : p.gpus.status === 'failed'
          ? `nvidia-smi failed (${p.gpus.error})`
          : 'nvidia-smi lists no GPU';
    return Array.from({ length: cpuCount }, (_, i) => ({
      deviceId: i,
      device: `CPU worker ${i}`,
      backend: fallback,
      computesOn: 'CPU' as const,
      storage: storage(fallback),
      why: `no GPU (${noGpu}): one CPU worker per core stands in for a GPU; ${fallbackWhy}`,
    }));
  }
  const missing = missingGpuLibraries(p);
  return p.gpus.gpus.map((g, i) => {
    const device = `GPU ${g.index} (${g.name})`;
    const tf = p.tfjsNodeGpu;
    if (!tf.loads) {
      const reason = tf.installed
        ? `@tensorflow/tfjs-node-gpu ${tf.version} does not load (${tf.error})`
        : '@tensorflow/tfjs-node-gpu is not installed';
      return {
        deviceId: i,
        device,
        backend: fallback,
        computesOn: 'CPU' as const,
        storage: storage(fallback),
        why: `${reason}: ${fallbackWhy}, the GPU stays idle`,
      };
    }
    const onGpu = missing.length === 0 && tf.usesGpu !== false;
    const why = onGpu
      ? `@tensorflow/tfjs-node-gpu ${tf.version} loads and TensorFlow finds CUDA 11 and cuDNN 8; pinned with CUDA_VISIBLE_DEVICES=${g.index}`
      : `@tensorflow/tfjs-node-gpu ${tf.version} loads, but TensorFlow computes on the CPU: ${missing.length ? `${missing.join(', ')} not found by the loader` : 'it reports no GPU device'}`;
    return {
      deviceId: i,
      device,
      backend: 'tensorflow' as const,
      computesOn: onGpu ? ('GPU' as const) : ('CPU' as const),
      storage: storage('tensorflow'),
      why,
    };
  });
}
