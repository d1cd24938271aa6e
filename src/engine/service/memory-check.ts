/**
 * Refuses a run that cannot fit in memory before any worker starts (a worker that grows until the
 * host swaps, or dies of `Invalid typed array length`, helps nobody). The estimate counts what one
 * worker holds for a step: its parameter shards and optimizer slots, the full parameters forward and
 * backward need, local gradients, the exchange buffers, activations at its share of the batch, and
 * the runtime itself.
 */
import { freemem } from 'node:os';
import { localShape } from '../../core/dtensor/shard';
import type { DeviceInfo, RunConfig } from '../../shared/api';
import { storedRunShape, type RunShape } from '../config/run-shape';
import type { Settings } from '../../shared/settings';

/** Node, tfjs and the wasm backend in one worker process, before any model (measured: ~100-150 MB). */
export const RUNTIME_BYTES = 150 * 2 ** 20;

export interface WorkerMemory {
  shards: number;
  slots: number;
  fullParams: number;
  gradients: number;
  exchange: number;
  activations: number;
  runtime: number;
  total: number;
  /** Activation bytes per example of the local batch (what a smaller batch saves). */
  perExample: number;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function estimateWorkerMemory(run: Pick<RunShape, 'model' | 'config' | 'mesh' | 'layouts'>): WorkerMemory {
  const { model, config, mesh, layouts: map } = run;
  let shards = 0;
  let full = 0;
  let unreplicated = 0;
  for (const p of model.params) {
    const layout = map.layoutFor(p.path, p.shape.length);
    const local = Math.max(...mesh.deviceIds.map((d) => prod(localShape(p.shape, layout, d))));
    shards += local * 4;
    full += prod(p.shape) * 4;
    if (local < prod(p.shape)) unreplicated += prod(p.shape) * 4;
  }
  const slotCount = 2 + (config.optimizer?.use_ema ? 1 : 0); // accumulated_grad, accumulated_delta_var (+ EMA average)
  // Each layer's output, its pre-activation and its gradient, float32.
  const perExample = model.layers.reduce((a, l) => a + prod(l.outShape), prod(model.inputShape)) * 4 * 3;
  const localBatch = Math.ceil(config.globalBatchSize / mesh.size);
  const m = {
    shards,
    slots: shards * slotCount,
    fullParams: unreplicated,
    gradients: full,
    exchange: full,
    activations: perExample * localBatch,
    runtime: RUNTIME_BYTES,
    perExample,
  };
  return { ...m, total: m.shards + m.slots + m.fullParams + m.gradients + m.exchange + m.activations + m.runtime };
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}

/**
 * One line saying why the run does not fit and what would, or null when it fits. CPU workers share
 * the host's free memory; a GPU worker's model state must fit in its GPU's memory.
 */
export function memoryProblem(
  m: WorkerMemory,
  config: RunConfig,
  devices: DeviceInfo[],
  free: number = freemem(),
): string | null {
  const gpu = devices.find((d) => d.kind === 'GPU' && d.memoryBytes);
  const n = devices.length;
  const need = gpu ? m.total - m.runtime : m.total * n;
  const have = gpu ? gpu.memoryBytes! : free;
  if (need <= have) return null;
  const where = gpu
    ? `${formatBytes(have)} on ${gpu.label}`
    : `${formatBytes(have)} of free memory for ${n} worker${n > 1 ? 's' : ''}`;
  const perWorker = gpu ? have : have / n;
  const fixed = m.total - m.activations - (gpu ? m.runtime : 0);
  const batch = Math.floor((perWorker - fixed) / m.perExample) * n;
  const smaller = batch >= n ? `, a globalBatchSize of at most ${batch} (now ${config.globalBatchSize})` : '';
  return (
    `the run needs about ${formatBytes(m.total)} per worker (parameter shards ${formatBytes(m.shards)}, optimizer slots ${formatBytes(m.slots)}, ` +
    `full parameters ${formatBytes(m.fullParams)}, gradients ${formatBytes(m.gradients)}, exchange ${formatBytes(m.exchange)}, ` +
    `activations ${formatBytes(m.activations)}) but there is ${where}; it would fit with more devices and the large variables sharded over them (layouts)${smaller}`
  );
}

/** One worker's estimated bytes for a stored run's config (null when its model or mesh cannot be built here). */
export function estimateForConfig(config: RunConfig, settings: Settings): number | null {
  try {
    return estimateWorkerMemory(storedRunShape(config, settings)).total;
  } catch {
    return null; // an old config this version no longer builds: the chart shows no estimate line
  }
}
