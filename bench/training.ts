/**
 * Training-step throughput (loss + gradients only, no optimizer) on the wasm backend, single thread:
 *  - MLP 784→512→512→10 (669,706 parameters, the peer-comparison model), global batch 256,
 *    with the project kernels and with stock tfjs-wasm kernels (the ratio is the project kernels' gain);
 *  - CNN 28×28×1 → conv32 → pool → conv64 → pool → dense10, batch 256, with the project kernels and with
 *    stock kernels plus only our Conv2DBackpropFilter (stock wasm has none, so it cannot train at all);
 *  - both models with matmul and conv on the native BLAS (OpenBLAS, one thread) against the wasm
 *    project kernels, when the addon loads (else the reason is printed).
 * Run alone: node --import tsx bench/training.ts
 */
import { registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { buildModel, initParams, lossAndGrads, type Model } from '../src/core/models';
import { registerProjectKernels, selectBackend, unregisterProjectKernels } from '../src/core/tfjs';
import { conv2dBackpropFilterConfig } from '../src/core/tfjs/kernels/conv2d-backprop-filter';
import { counterUniform } from '../src/core/random/counter';
import { nativeBlas } from '../src/workers/native-blas';
import { benchCompute } from './compute';

const BATCH = 256;

const MLP_SPEC = {
  type: 'mlp',
  input: [784],
  layers: [
    { type: 'dense', units: 512, activation: 'relu' },
    { type: 'dense', units: 512, activation: 'relu' },
    { type: 'dense', units: 10 },
  ],
  loss: 'softmax_cross_entropy',
};
const CNN_SPEC = {
  type: 'sequential',
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 64, kernelSize: 3, activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 10 },
  ],
  loss: 'softmax_cross_entropy',
};

interface Setup {
  model: Model;
  params: Map<string, Float32Array>;
  x: Float32Array;
  y: Int32Array;
}

function setup(spec: unknown): Setup {
  const model = buildModel(spec);
  const inSize = model.inputShape.reduce((a, b) => a * b, 1);
  return {
    model,
    params: initParams(model, 1),
    x: new Float32Array(BATCH * inSize).map((_, i) => counterUniform(1, i)),
    y: new Int32Array(BATCH).map((_, i) => i % 10),
  };
}

/** Best-of-`steps` step time in ms after `warmup` steps (the first steps grow wasm memory and JIT). */
function timeSteps(s: Setup, warmup: number, steps: number): number {
  for (let i = 0; i < warmup; i++) lossAndGrads(s.model, s.params, s.x, s.y, BATCH);
  let best = Infinity;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    lossAndGrads(s.model, s.params, s.x, s.y, BATCH);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const rate = (ms: number): string =>
  `${Math.round((BATCH / ms) * 1000).toLocaleString('en-US')} samples/s (${ms.toFixed(1)} ms/step)`;

/** Times `fast` and `slow` in alternating rounds (fair under a noisy machine); best of each. */
function compare(s: Setup, fast: () => void, slow: () => void, rounds: number, fastSteps: number, slowSteps: number) {
  let f = Infinity;
  let sl = Infinity;
  for (let r = 0; r < rounds; r++) {
    fast();
    f = Math.min(f, timeSteps(s, r === 0 ? 8 : 1, fastSteps));
    slow();
    sl = Math.min(sl, timeSteps(s, 1, slowSteps));
  }
  fast();
  return { fast: f, slow: sl };
}

async function run(): Promise<void> {
  const sel = await selectBackend(['wasm']);
  console.log(`backend: ${sel.name} — ${sel.reason}`);
  const stockOnly = () => unregisterProjectKernels();
  const project = () => registerProjectKernels();

  const mlp = setup(MLP_SPEC);
  const m = compare(mlp, project, stockOnly, 2, 10, 2);
  console.log(`MLP 784-512-512-10 (${mlp.model.paramCount.toLocaleString('en-US')} params), batch ${BATCH}, loss+grads:`);
  console.log(`  wasm + project kernels: ${rate(m.fast)}`);
  console.log(`  wasm stock kernels:     ${rate(m.slow)}`);
  console.log(`  speed-up: ${(m.slow / m.fast).toFixed(1)}×`);

  const cnn = setup(CNN_SPEC);
  // Stock wasm cannot train a conv net (no Conv2DBackpropFilter): give it only that kernel of ours.
  let loneFilter = false;
  const stockPlusFilter = () => {
    unregisterProjectKernels();
    registerKernel(conv2dBackpropFilterConfig);
    loneFilter = true;
  };
  const backToProject = () => {
    if (loneFilter) unregisterKernel('Conv2DBackpropFilter', 'wasm');
    loneFilter = false;
    registerProjectKernels();
  };
  const c = compare(cnn, backToProject, stockPlusFilter, 2, 3, 2);
  console.log(
    `CNN 28x28x1 conv32-pool-conv64-pool-dense10 (${cnn.model.paramCount.toLocaleString('en-US')} params), batch ${BATCH}, loss+grads:`,
  );
  console.log(`  wasm + project kernels:                    ${rate(c.fast)}`);
  console.log(`  wasm stock + our Conv2DBackpropFilter only: ${rate(c.slow)}`);
  console.log(`  speed-up: ${(c.slow / c.fast).toFixed(1)}×`);

  const blas = nativeBlas(benchCompute().nativeBlas);
  if (!blas.available) {
    console.log(`native BLAS skipped: ${blas.reason}${blas.fix ? ` (fix: ${blas.fix})` : ''}`);
    return;
  }
  console.log(`native BLAS: ${blas.openblas}, one thread`);
  const onNative = () => registerProjectKernels({ native: blas.native });
  for (const [name, s, steps] of [
    ['MLP 784-512-512-10', mlp, 10],
    ['CNN conv32-pool-conv64-pool-dense10', cnn, 4],
  ] as const) {
    const r = compare(s, onNative, project, 3, steps, steps);
    console.log(`${name}, batch ${BATCH}, loss+grads (alternating rounds, best of each):`);
    console.log(`  native BLAS:          ${rate(r.fast)}`);
    console.log(`  wasm project kernels: ${rate(r.slow)}`);
    console.log(`  speed-up: ${(r.slow / r.fast).toFixed(2)}×`);
  }
  project();
}

export const trainingBench = { name: 'training', run };
export default trainingBench;

if (import.meta.url === `file://${process.argv[1]}`) await run();
