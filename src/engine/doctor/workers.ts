/**
 * Which backend each worker would get and why, from the probes alone. Mirrors what a run does: one
 * worker per GPU trying tensorflow → wasm → cpu, or, without GPUs, one CPU worker per core trying
 * wasm → cpu; storage follows DTRAIN_VARIABLE_STORAGE, else auto (tensor on tensorflow).
 */
import type { DoctorReport, WorkerPlan } from '../../shared/doctor';

export type Probes = Omit<DoctorReport, 'canTrain' | 'summary' | 'workers' | 'problems'>;

/** Required files TensorFlow needs to put work on a GPU, missing from the loader's path. */
export function missingGpuLibraries(p: Probes): string[] {
  const fromTf = p.tfjsNodeGpu.failedLibraries;
  return [...new Set([...p.libraries.filter((l) => l.path === null).map((l) => l.file), ...fromTf])];
}

export function planWorkers(p: Probes, cpuCount: number, env: NodeJS.ProcessEnv = process.env): WorkerPlan[] {
  const forced = env.DTRAIN_VARIABLE_STORAGE === 'host' || env.DTRAIN_VARIABLE_STORAGE === 'tensor' ? env.DTRAIN_VARIABLE_STORAGE : null;
  const storage = (backend: WorkerPlan['backend']) => forced ?? (backend === 'tensorflow' ? 'tensor' : 'host');
  const fallback = p.wasmBackend.available ? ('wasm' as const) : ('cpu' as const);
  const kernels = p.nativeBlas.openblas !== null ? 'project kernels, matmul and convolution on native BLAS' : 'project kernels';
  const fallbackWhy = p.wasmBackend.available ? `wasm backend on the CPU (${kernels})` : `cpu backend (slow): the wasm backend is unavailable (${p.wasmBackend.error})`;
  if (p.gpus.status !== 'found') {
    const noGpu = p.gpus.status === 'no-nvidia-smi' ? 'nvidia-smi is not installed' : p.gpus.status === 'failed' ? `nvidia-smi failed (${p.gpus.error})` : 'nvidia-smi lists no GPU';
    return Array.from({ length: cpuCount }, (_, i) => ({
      deviceId: i, device: `CPU worker ${i}`, backend: fallback, computesOn: 'CPU' as const, storage: storage(fallback),
      why: `no GPU (${noGpu}): one CPU worker per core stands in for a GPU; ${fallbackWhy}`,
    }));
  }
  const missing = missingGpuLibraries(p);
  return p.gpus.gpus.map((g, i) => {
    const device = `GPU ${g.index} (${g.name})`;
    const tf = p.tfjsNodeGpu;
    if (!tf.loads) {
      const reason = tf.installed ? `@tensorflow/tfjs-node-gpu ${tf.version} does not load (${tf.error})` : '@tensorflow/tfjs-node-gpu is not installed';
      return { deviceId: i, device, backend: fallback, computesOn: 'CPU' as const, storage: storage(fallback), why: `${reason}: ${fallbackWhy}, the GPU stays idle` };
    }
    const onGpu = missing.length === 0 && tf.usesGpu !== false;
    const why = onGpu
      ? `@tensorflow/tfjs-node-gpu ${tf.version} loads and TensorFlow finds CUDA 11 and cuDNN 8; pinned with CUDA_VISIBLE_DEVICES=${g.index}`
      : `@tensorflow/tfjs-node-gpu ${tf.version} loads, but TensorFlow computes on the CPU: ${missing.length ? `${missing.join(', ')} not found by the loader` : 'it reports no GPU device'}`;
    return { deviceId: i, device, backend: 'tensorflow' as const, computesOn: onGpu ? ('GPU' as const) : ('CPU' as const), storage: storage('tensorflow'), why };
  });
}
