/**
 * Whether a run fits before any worker starts (a worker that grows until the host swaps, or dies of
 * `Invalid typed array length`, helps nobody), and which way it holds its parameters: with
 * `fullySharded` "auto" (the default) the gathered way when it fits, else fully sharded
 * (docs/architecture.md, "The memory model"). A run that fits neither way is refused with one line:
 * what a worker would hold, which limit it passes (free host memory, a wasm heap's 4 GiB, a GPU's
 * memory), its largest layer, and how many devices would fit.
 */
import { Mesh } from '../../core/dtensor/mesh';
import type { DeviceInfo } from '../../shared/api';
import { unitsCannotRun } from '../../core/models/units';
import { estimateWorkerMemory, formatBytes, WASM_HEAP_BYTES, type MemoryInputs, type WorkerMemory } from './memory-estimate';

export type FullyShardedSetting = 'auto' | boolean;

export interface FitContext {
  devices: DeviceInfo[];
  /** Free host memory in bytes. */
  free: number;
}

export interface MemoryPlan {
  fullySharded: boolean;
  estimate: WorkerMemory;
  /** Why the run does not fit and what would, one line; null when it fits. */
  problem: string | null;
}

/** Device counts tried when saying how many would fit. */
const MAX_DEVICES = 64;

export function planMemory(
  inputs: Omit<MemoryInputs, 'fullySharded'>,
  setting: FullyShardedSetting,
  ctx: FitContext,
): MemoryPlan {
  const estimate = (fullySharded: boolean) => estimateWorkerMemory({ ...inputs, fullySharded });
  const cannot = unitsCannotRun(inputs.model);
  if (setting === true && cannot)
    return { fullySharded: true, estimate: estimate(true), problem: `"fullySharded": true: ${cannot}; use "auto" or false` };
  if (setting !== 'auto') return withProblem(inputs, estimate(setting), ctx);
  const gathered = estimate(false);
  // A model units cannot run is planned gathered only (refused if that does not fit).
  if (cannot) return withProblem(inputs, gathered, ctx);
  if (limitsPassed(gathered, inputs.storage, ctx).length === 0) return { fullySharded: false, estimate: gathered, problem: null };
  return withProblem(inputs, estimate(true), ctx);
}

function withProblem(inputs: Omit<MemoryInputs, 'fullySharded'>, m: WorkerMemory, ctx: FitContext): MemoryPlan {
  const passed = limitsPassed(m, inputs.storage, ctx);
  if (passed.length === 0) return { fullySharded: m.fullySharded, estimate: m, problem: null };
  return {
    fullySharded: m.fullySharded,
    estimate: m,
    problem: `${describe(m)} but ${passed.join('; and ')}; ${advice(inputs, m, ctx)}`,
  };
}

/** The limits a worker holding `m` would pass, as phrases. */
export function limitsPassed(m: WorkerMemory, storage: 'host' | 'tensor', ctx: FitContext): string[] {
  const out: string[] = [];
  const gpu = ctx.devices.find((d) => d.kind === 'GPU' && d.memoryBytes);
  const n = ctx.devices.length;
  if (storage === 'host' && m.optimizerHeap > WASM_HEAP_BYTES)
    out.push(
      `its optimizer heap (shards, slots, gradient shards) would hold ${formatBytes(m.optimizerHeap)}, past a wasm heap's 4 GiB`,
    );
  if (gpu && m.tensorMemory > gpu.memoryBytes!)
    out.push(`its ${formatBytes(m.tensorMemory)} of tensors do not fit the ${formatBytes(gpu.memoryBytes!)} of ${gpu.label}`);
  if (!gpu && m.tensorMemory > WASM_HEAP_BYTES)
    out.push(
      `its tensors (parameters, gradients, activations) would hold ${formatBytes(m.tensorMemory)}, past tfjs-wasm's 4 GiB heap`,
    );
  // The engine holds a whole checkpoint (every shard of parameters and slots) while it writes one.
  const host = (gpu ? m.total - m.tensorMemory : m.total) * n + m.engineCheckpoint;
  if (host > ctx.free)
    out.push(
      `there is ${formatBytes(ctx.free)} of free memory for ${n} worker${n > 1 ? 's' : ''} and the engine's checkpoint (${formatBytes(host)} needed)`,
    );
  return out;
}

function describe(m: WorkerMemory): string {
  const parts: [string, number][] = [
    ['parameter shards', m.shards],
    ['optimizer slots', m.slots],
    ['gradient shards', m.gradientShards],
    ['full parameters', m.paramTensors + m.hostParams],
    ['gradients', m.gradTensors],
    ['exchange buffers', m.gatherBuffers + m.reduceBuffers],
    ['activations', m.activations],
    ['data', m.data],
    ['checkpoint copies', m.checkpoint],
  ];
  const mode = m.fullySharded ? 'fully sharded' : 'parameters gathered';
  const listed = parts.filter(([, b]) => b >= 2 ** 20).map(([name, b]) => `${name} ${formatBytes(b)}`);
  return `the run needs about ${formatBytes(m.total)} per worker (${mode}: ${listed.join(', ')})`;
}

/** The largest layer, how many devices would fit, and what a smaller batch would do. */
function advice(inputs: Omit<MemoryInputs, 'fullySharded'>, m: WorkerMemory, ctx: FitContext): string {
  const largest = `its largest layer, ${m.largestUnit.name}, has ${formatBytes(m.largestUnit.bytes)} of parameters, which a fully sharded worker gathers whole`;
  const fit = devicesThatFit(inputs, ctx);
  const how = fit?.suggested ? `, with each variable's first axis sharded over ${fit.dim}` : ', layouts as given';
  // The engine's copy of a checkpoint does not shrink with more devices: when it alone passes the free
  // memory, that, not the mesh, is what to change.
  const engineAlone =
    m.engineCheckpoint > ctx.free
      ? `: the engine alone holds ${formatBytes(m.engineCheckpoint)} while it writes a checkpoint, past the ${formatBytes(ctx.free)} free`
      : '';
  const devices = !fit
    ? `no mesh of up to ${MAX_DEVICES} devices would fit${engineAlone}`
    : fit.devices === inputs.mesh.size
      ? `fully sharded${how}, it would fit on these ${fit.devices} devices ("fullySharded": "auto" or true)`
      : `${fit.devices} devices would fit (fully sharded${how})`;
  const n = ctx.devices.length;
  const perWorker = ctx.free / n;
  const batch = m.perExample > 0 ? Math.floor((perWorker - (m.total - m.activations)) / m.perExample) * n : 0;
  const smaller =
    batch >= n && batch < inputs.globalBatchSize
      ? `, or a globalBatchSize of at most ${batch} (now ${inputs.globalBatchSize})`
      : '';
  return `${largest}; ${devices}${smaller}`;
}

/**
 * The fewest devices, from the mesh's own (growing its first sharded dimension), on which the run fits fully
 * sharded; when no variable is sharded, each variable's first axis is sharded over that dimension.
 * CPU workers share this host's free memory; GPU workers each bring a GPU like the first.
 */
export function devicesThatFit(
  inputs: Omit<MemoryInputs, 'fullySharded'>,
  ctx: FitContext,
): { devices: number; dim: string; suggested: boolean } | null {
  const { mesh } = inputs;
  const used = Object.values(inputs.layouts).flat();
  const dim = mesh.dimNames.find((d) => used.includes(d)) ?? mesh.dimNames[0]!;
  const suggested = !mesh.dimNames.some((d) => used.includes(d));
  const layouts = suggested
    ? Object.fromEntries(inputs.model.params.map((p) => [p.path, p.shape.map((_, a) => (a === 0 ? dim : 'unsharded'))]))
    : inputs.layouts;
  const others = mesh.size / mesh.dimSize(dim);
  const gpu = ctx.devices.find((d) => d.kind === 'GPU');
  for (let k = mesh.dimSize(dim); k * others <= MAX_DEVICES; k++) {
    const grown = Mesh.parse(mesh.dimNames.map((d, i) => `${d}=${d === dim ? k : mesh.shape[i]}`).join(','));
    if (inputs.globalBatchSize < grown.size) break;
    const m = estimateWorkerMemory({ ...inputs, mesh: grown, layouts, fullySharded: true });
    const devices = Array.from({ length: grown.size }, (_, i) => ({ ...(gpu ?? ctx.devices[0]!), deviceId: i }));
    if (limitsPassed(m, inputs.storage, { ...ctx, devices }).length === 0) return { devices: grown.size, dim, suggested };
  }
  return null;
}
