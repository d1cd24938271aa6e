// Real Keras models on 1 worker against Keras 3 itself, in one run: ResNet50 (32×32), MobileNetV2
// (32×32), an LSTM text model and a one-block Transformer encoder (bench/peers/keras_models_peer.py
// builds them). The peer writes each model as a .keras archive with its batch; dtrain trains that
// archive through the worker's step (DeviceTrainer: forward, backward, Adadelta) on its default
// backend (wasm, with the native BLAS where it loads), and the peer times Keras's train_on_batch on the
// same model, batch and one thread on JAX. The PyTorch peer (bench/peers/torch_models_peer.py) trains
// the same models written in torch.nn, on the same batch, with torch.optim.Adadelta on one thread.
// Target (docs/keras-models.md): ≥ 1.0× Keras-on-JAX CPU per step. Each side's CPU time per step is
// printed beside samples/s: on a shared machine it moves far less with the load than wall time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mesh } from '../src/core/dtensor/mesh';
import { createLocalCollectives } from '../src/core/collectives/local';
import { selectBackend } from '../src/core/tfjs';
import { DeviceTrainer } from '../src/workers/trainer';
import { nativeBlas, nativeBlasNote } from '../src/workers/native-blas';
import { resolveKerasModel } from '../src/engine/keras/run-model';
import { shardsForDevice } from '../src/engine/coordinator/checkpoint-shards';
import type { RunConfig } from '../src/shared/api';
import type { TrainSetup } from '../src/shared/worker-protocol';
import { AUTO_COMPUTE } from '../src/shared/settings';
import type { BenchSection } from './section';
import { bestRoundWallAndCpuMs } from './timing';
import { torchPython } from './torch-python';

const PEER = fileURLToPath(new URL('./peers/keras_models_peer.py', import.meta.url));
const TORCH_PEER = fileURLToPath(new URL('./peers/torch_models_peer.py', import.meta.url));
const VENV_PYTHON = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const MODELS = ['ResNet50', 'MobileNetV2', 'LSTM', 'Transformer'] as const;
const BATCH = 32;
// The peer's statistic (keras_models_peer.py): best of ROUNDS rounds of STEPS steps after WARMUP.
const [WARMUP, STEPS, ROUNDS] = [3, 4, 3];
/**
 * Every side's warm-up also lasts WARM_MS (the peers' WARM_SECONDS): XLA compiles the peer's whole
 * step in its first call, but V8 optimises dtrain's JavaScript over the first tens of steps. Three
 * warm-up steps left the LSTM's (~20 ms each) timed rounds inside that: its steps cost 16–60 ms of CPU
 * over the first ~20 and the two runs of one day differed by 39%. The peers warm up as long, so no
 * side is timed colder than another.
 */
const WARM_MS = 2_000;

type Model = (typeof MODELS)[number];
type Rates = Record<Model, number>;
/** Samples/s per model, and CPU ms per step. */
type Figures = Rates & { cpu: Rates };
type PeerFigures = Figures & { keras: string; backend: string };
type TorchFigures = Figures & { torch: string };
type Mine = { samplesPerSec: number; cpuMs: number };

/** One intra-op thread for JAX (XLA) and PyTorch, as dtrain's single-threaded worker. */
const ONE_THREAD = {
  XLA_FLAGS: '--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1',
  JAX_PLATFORMS: 'cpu',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
  PYTHONWARNINGS: 'ignore',
};

/**
 * Every side on the same one core. The thread settings alone do not hold JAX to one: unpinned, its
 * ResNet50, MobileNetV2 and Transformer steps ran on both cores of this machine (CPU time ~1.7–1.9×
 * wall time; 48.9 → 28.7 samples/s on ResNet50 once pinned), and V8's collector threads run beside
 * dtrain's step. taskset pins this process's threads and the peers; without it the bench says so.
 */
const PIN_CPU = '0';
function pinToOneCore(): string {
  const r = spawnSync('taskset', ['-a', '-p', '-c', PIN_CPU, String(process.pid)], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return `not pinned (taskset: ${r.error?.message ?? r.stderr.trim()}): a peer may use several cores`;
  return `every side pinned to CPU ${PIN_CPU} (taskset)`;
}
let pinned = false;
/** The command for a peer: under taskset when this process is pinned. */
const pinnedCommand = (python: string, args: string[]): [string, string[]] =>
  pinned ? ['taskset', ['-c', PIN_CPU, python, ...args]] : [python, args];

function peer(python: string, backend: string, args: string[]): { out: string } | { reason: string } {
  const env = { ...process.env, ...ONE_THREAD, KERAS_BACKEND: backend };
  const [command, argv] = pinnedCommand(python, [PEER, ...args]);
  const r = spawnSync(command, argv, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { reason: `the Keras peer (${backend}) failed: ${r.stderr.trim().split('\n').pop()}` };
  return { out: r.stdout };
}

function peerFigures(python: string, dir: string): PeerFigures | { reason: string } {
  const r = peer(python, 'jax', [dir, 'time']);
  return 'reason' in r ? r : (JSON.parse(r.out.trim().split('\n').pop()!) as PeerFigures);
}

/** The plain-PyTorch peer on the batches the Keras peer wrote (Keras 3's torch backend needs a newer torch than Debian's). */
function torchFigures(dir: string): TorchFigures | { reason: string } {
  const found = torchPython();
  if ('reason' in found) return found;
  const env = { ...process.env, ...ONE_THREAD };
  const [command, argv] = pinnedCommand(found.python, [TORCH_PEER, dir]);
  const r = spawnSync(command, argv, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { reason: `the PyTorch peer failed: ${r.stderr.trim().split('\n').pop()}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchFigures;
}

/** Samples/s and CPU ms of the worker's training step on the model the peer wrote. */
async function dtrainStep(dir: string, name: string): Promise<Mine> {
  const config = {
    name,
    model: { type: 'keras', path: join(dir, `${name}.keras`) },
    data: { kind: 'npz', path: join(dir, `${name}.npz`), x: 'x', y: 'y', shuffle: false, task: 'classification' },
    mesh: 'batch=1',
    steps: 1_000,
    globalBatchSize: BATCH,
    seed: 1,
    checkpointEvery: 0,
  } as unknown as RunConfig;
  const resolved = await resolveKerasModel(config);
  const setup: TrainSetup = {
    model: resolved.config.model,
    data: resolved.config.data,
    layouts: {},
    optimizer: resolved.config.optimizer,
    emaFirstStep: 'keras3',
    globalBatchSize: BATCH,
    seed: 1,
    socketDir: '',
    compute: AUTO_COMPUTE,
  };
  const mesh = Mesh.parse('batch=1');
  const trainer = await DeviceTrainer.create(0, mesh, setup, createLocalCollectives([0])[0]!, 'host');
  if (resolved.initial)
    await trainer.importShards(
      shardsForDevice(resolved.initial.tensors, trainer.variableLayouts(), mesh, 0),
      resolved.initial.iterations,
    );
  let t = 0;
  // The data holds one batch: every step (each epoch) trains on it, as the peer's train_on_batch does.
  for (const start = performance.now(); performance.now() - start < WARM_MS;) await trainer.step(t++);
  const { wallMs, cpuMs } = await bestRoundWallAndCpuMs(() => trainer.step(t++), WARMUP, STEPS, ROUNDS);
  return { samplesPerSec: (BATCH * 1000) / wallMs, cpuMs };
}

async function run(): Promise<void> {
  const python = process.env.DTRAIN_PYTHON || VENV_PYTHON;
  if (!existsSync(python)) {
    console.log(`skipped: no Python with Keras (${python} is absent; set DTRAIN_PYTHON)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-bench-models-'));
  try {
    const written = peer(python, 'jax', [dir, 'write']);
    if ('reason' in written) {
      console.log(`skipped: ${written.reason}`);
      return;
    }
    const blas = nativeBlas(true);
    await selectBackend(['wasm'], blas.available ? { native: blas.native! } : {});
    const pin = pinToOneCore();
    pinned = pin.startsWith('every side');
    console.log(`dtrain: 1 worker, wasm, ${nativeBlasNote(blas, 'wasm')}; batch ${BATCH}; one thread everywhere; ${pin}`);
    const jax = peerFigures(python, dir);
    const torch = torchFigures(dir);
    if ('reason' in jax) console.log(`Keras on JAX: not measured: ${jax.reason}`);
    else console.log(`Keras ${jax.keras} on JAX (CPU, one thread)`);
    if ('reason' in torch) console.log(`PyTorch: not measured: ${torch.reason}`);
    else console.log(`PyTorch ${torch.torch} (torch.nn, CPU, one thread, torch.optim.Adadelta)`);
    const mine = new Map<Model, Mine>();
    for (const name of MODELS) mine.set(name, await dtrainStep(dir, name));
    const peers = { jax, torch };
    const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
    const times = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}×`);
    const of = (p: Figures | { reason: string }, name: Model) =>
      'reason' in p ? undefined : { rate: p[name], cpu: p.cpu[name] };
    console.log('samples/s     dtrain    keras-jax  torch     dtrain÷jax (target ≥ 1.0×)  dtrain÷torch');
    for (const name of MODELS) {
      const m = mine.get(name)!;
      const [j, t] = [of(peers.jax, name), of(peers.torch, name)];
      console.log(
        `${name.padEnd(12)} ${fmt(m.samplesPerSec).padStart(8)}   ${fmt(j?.rate).padStart(9)}  ${fmt(t?.rate).padStart(7)}   ${times(j && m.samplesPerSec / j.rate).padStart(10)}                  ${times(t && m.samplesPerSec / t.rate)}`,
      );
    }
    // The same comparison in CPU time: a peer's CPU per step over dtrain's is the speed ratio.
    console.log('CPU ms/step   dtrain    keras-jax  torch     jax÷dtrain (target ≥ 1.0×)  torch÷dtrain');
    for (const name of MODELS) {
      const m = mine.get(name)!;
      const [j, t] = [of(peers.jax, name), of(peers.torch, name)];
      console.log(
        `${name.padEnd(12)} ${fmt(m.cpuMs).padStart(8)}   ${fmt(j?.cpu).padStart(9)}  ${fmt(t?.cpu).padStart(7)}   ${times(j && j.cpu / m.cpuMs).padStart(10)}                  ${times(t && t.cpu / m.cpuMs)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const modelsSection: BenchSection = {
  name: 'models',
  description: 'real Keras models (ResNet50, MobileNetV2, LSTM, Transformer) on 1 worker vs Keras 3 on JAX and PyTorch',
  run,
};
