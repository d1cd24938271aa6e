// A model larger than one worker (docs/architecture.md, "The memory model"): an MLP of 8 Dense layers
// of 8192 × 8192 and a 10-class head, 537M parameters: 2 GiB of parameters, 8 GiB with its gradients
// and Adadelta's two slots. The memory check refuses it on 1 worker, with the reason; on 4 CPU workers
// with its kernels sharded it trains fully sharded. Printed: each worker's peak RSS against the
// estimate, the loss at every step, samples/s, and the share of a step spent waiting for the unit
// gathers (exposed communication), per worker.
import { freemem } from 'node:os';
import { resolve } from 'node:path';
import { Mesh } from '../src/core/dtensor/mesh';
import { buildModel } from '../src/core/models/index';
import { cpuDevices } from '../src/engine/coordinator/devices';
import { MeshSession } from '../src/engine/coordinator/mesh-session';
import { NodeProcessHost } from '../src/engine/coordinator/node-process-host';
import { dataBytes, formatBytes } from '../src/engine/config/memory-estimate';
import { planMemory } from '../src/engine/config/memory-fit';
import type { DeviceStats, StepProfile } from '../src/shared/api';
import type { TrainSetup } from '../src/shared/worker-protocol';
import { AUTO_COMPUTE } from '../src/shared/settings';
import type { BenchSection } from './section';
import { requireLearning } from './learning';

const WIDTH = 8192;
const MODEL = {
  type: 'mlp',
  input: [WIDTH],
  layers: [
    ...Array.from({ length: 8 }, () => ({ type: 'dense', units: WIDTH, activation: 'relu' })),
    { type: 'dense', units: 10 },
  ],
  loss: 'softmax_cross_entropy',
  metrics: ['accuracy'],
};
const DATA = {
  kind: 'synthetic' as const,
  name: 'blobs',
  options: { numClasses: 10, numFeatures: WIDTH, samplesPerClass: 16, seed: 1 },
};
const LAYOUTS = { 'dense.*kernel': ['batch', 'unsharded'], 'dense.*bias': ['batch'] };
const BATCH = 32;
const WARMUP = 1;
const STEPS = 5;

const setup = (fullySharded: boolean): Omit<TrainSetup, 'socketDir'> => ({
  model: MODEL,
  data: DATA,
  layouts: LAYOUTS,
  optimizer: { learning_rate: 0.05, rho: 0.95, epsilon: 1e-7 },
  globalBatchSize: BATCH,
  seed: 1,
  fullySharded,
  compute: AUTO_COMPUTE,
});

function plan(n: number, fullySharded: 'auto' | boolean) {
  const s = setup(true);
  return planMemory(
    {
      model: buildModel(MODEL),
      mesh: Mesh.parse(`batch=${n}`),
      layouts: LAYOUTS,
      optimizer: s.optimizer,
      globalBatchSize: BATCH,
      storage: 'host',
      reshardAfterForward: true,
      dataBytes: dataBytes({ examples: 160, featureShape: [WIDTH] }, Math.ceil(BATCH / n)),
    },
    fullySharded,
    { devices: cpuDevices(n), free: freemem() },
  );
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

export const scaleSection: BenchSection = {
  name: 'scale',
  description:
    'a 537M-parameter MLP: refused on 1 worker, trained fully sharded on 4 (peak RSS vs estimate, loss, samples/s, gather waits)',
  async run() {
    const params = buildModel(MODEL).paramCount;
    console.log(
      `model: 8 × Dense(${WIDTH}) + Dense(10) on ${WIDTH} inputs, ${(params / 1e6).toFixed(0)}M parameters, ${gib(4 * params)}`,
    );
    console.log(`host: ${gib(freemem())} free`);
    const one = plan(1, 'auto');
    console.log(`1 worker: ${one.problem ? `refused: ${one.problem}` : 'fits (unexpected)'}`);
    const four = plan(4, true);
    const m = four.estimate;
    const stepPeak = m.total - m.checkpoint; // this bench writes no checkpoint
    console.log(
      `4 workers, fully sharded: the estimate per worker is ${formatBytes(stepPeak)} for training ` +
        `(shards ${formatBytes(m.shards)}, slots ${formatBytes(m.slots)}, gradient shards ${formatBytes(m.gradientShards)}, ` +
        `one unit's parameters ${formatBytes(m.paramTensors)} and gradients ${formatBytes(m.gradTensors)}, gather staging ${formatBytes(m.gatherBuffers)}, ` +
        `reduce-scatter pool ${formatBytes(m.reduceBuffers)}, activations ${formatBytes(m.activations)}, runtime ${formatBytes(m.runtime)}), ` +
        `${formatBytes(m.total)} with a checkpoint's copies`,
    );
    if (four.problem) console.log(`   with a checkpoint, the check says: ${four.problem}`);

    const n = 4;
    const t0 = performance.now();
    const session = await MeshSession.start(
      {
        host: new NodeProcessHost(),
        workerEntry: resolve('src/workers/device-worker.ts'),
        mesh: Mesh.parse(`batch=${n}`),
        devices: cpuDevices(n),
      },
      setup(true),
    );
    try {
      console.log(`4 workers started and drew their shards in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const losses: number[] = [];
      session.onEvent((e) => {
        if (e.type !== 'step' || e.deviceId !== 0) return;
        losses.push(e.report.loss);
        console.log(`   step ${e.report.step}: loss ${e.report.loss.toFixed(4)}, ${(e.report.stepTimeMs / 1000).toFixed(1)} s`);
      });
      await session.train(0, WARMUP);
      const before = await session.stats();
      const t1 = performance.now();
      await session.train(WARMUP, STEPS);
      const seconds = (performance.now() - t1) / 1000;
      const after = await session.stats();
      requireLearning('the 537M-parameter MLP on 4 workers', losses);
      console.log(`samples/s: ${((STEPS * BATCH) / seconds).toFixed(2)} (${STEPS} steps of ${BATCH} in ${seconds.toFixed(1)} s)`);
      printWorkers(before, after, stepPeak);
    } finally {
      await session.close();
    }
  },
};

function printWorkers(before: DeviceStats[], after: DeviceStats[], estimate: number): void {
  for (const [i, a] of after.entries()) {
    const p = perStep(before[i]!.profile!, a.profile!);
    const step = Object.values(p).reduce((x, y) => x + y, 0);
    console.log(
      `   worker ${a.deviceId}: peak RSS ${gib(a.peakRssBytes!)} = ${(a.peakRssBytes! / estimate).toFixed(2)} × the estimate; ` +
        `per step ${(step / 1000).toFixed(1)} s: waiting for gathers ${(p.allGather / 1000).toFixed(1)} s (${((100 * p.allGather) / step).toFixed(0)}%), ` +
        `for reduce-scatters ${(p.reduceScatter / 1000).toFixed(1)} s, compute ${(p.compute / 1000).toFixed(1)} s, optimizer ${(p.optimizer / 1000).toFixed(1)} s`,
    );
  }
}

function perStep(a: StepProfile, b: StepProfile): StepProfile['phaseMs'] {
  const steps = b.steps - a.steps;
  const out = { ...b.phaseMs };
  for (const k of Object.keys(out) as (keyof StepProfile['phaseMs'])[]) out[k] = (b.phaseMs[k] - a.phaseMs[k]) / steps;
  return out;
}
