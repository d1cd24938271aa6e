/**
 * Which devices a run uses: the GPUs nvidia-smi reports, or N CPU workers standing in for N GPUs.
 * Each device becomes one worker process pinned with CUDA_VISIBLE_DEVICES.
 */
import type { DeviceInfo } from '../../shared/api';
import { probeGpus } from '../doctor/nvidia-smi';
import { invalidInput } from '../../shared/errors';

/** The GPUs nvidia-smi lists (none when it is absent or fails), read by the same parser as `dtrain doctor`. */
export async function discoverGpus(env: NodeJS.ProcessEnv = process.env): Promise<DeviceInfo[]> {
  const { gpus } = await probeGpus(env, 5000);
  return gpus.map((g) => ({
    deviceId: g.index,
    label: `GPU ${g.index} (${g.name})`,
    kind: 'GPU' as const,
    ...(g.memoryTotalMiB === null ? {} : { memoryBytes: g.memoryTotalMiB * 1024 * 1024 }),
  }));
}

export function cpuDevices(count: number): DeviceInfo[] {
  return Array.from({ length: count }, (_, i) => ({ deviceId: i, label: `CPU worker ${i}`, kind: 'CPU' as const }));
}

/**
 * The devices for a mesh of `size`: the first `size` GPUs when enough are present (unless `cpu`),
 * otherwise CPU workers; asking for more GPUs than exist is an error rather than a silent fallback.
 */
export function chooseDevices(size: number, gpus: DeviceInfo[], options: { cpu?: boolean } = {}): DeviceInfo[] {
  if (options.cpu || gpus.length === 0) return cpuDevices(size);
  if (size > gpus.length) {
    throw invalidInput(
      `the mesh needs ${size} devices but only ${gpus.length} GPU(s) were found; use fewer devices or --cpu for CPU workers`,
    );
  }
  return gpus.slice(0, size).map((g, i) => ({ ...g, deviceId: i, label: g.label }));
}

/** The environment that pins a worker to its device (merged into the parent's by the process host). */
export function workerEnv(device: DeviceInfo, gpuIndex: number | null): Record<string, string> {
  const base = { TF_CPP_MIN_LOG_LEVEL: '2', TF_FORCE_GPU_ALLOW_GROWTH: 'true' };
  if (device.kind === 'GPU' && gpuIndex !== null) return { ...base, CUDA_VISIBLE_DEVICES: String(gpuIndex) };
  // A CPU stand-in sees no GPU and computes on one thread: scaling comes from one process per core.
  return { ...base, CUDA_VISIBLE_DEVICES: '-1', TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: '1' };
}
