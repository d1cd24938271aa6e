// Keras 3's gradient_accumulation_steps and loss_scale_factor (keras/src/optimizers/base_optimizer.py):
// checked against an independent float64 re-statement of Keras 3's rules, and sharded == unsharded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { seededValues } from '../../helpers/reference-adadelta';
import {
  Adadelta,
  IndexedSlices,
  Layout,
  Mesh,
  ShardedVariable,
  UNSHARDED,
  createLocalCollectives,
  schedules,
  type AdadeltaArgs,
} from '../../../src/core';
import { insertShard } from '../../../src/core/dtensor/shard';

const tf = await useCpuBackend();
const SEED = Number(process.env.DTRAIN_TEST_SEED ?? 7);
console.log(`gradient-accumulation: seed ${SEED} (set DTRAIN_TEST_SEED to change)`);

interface Ref {
  x: number[];
  eg: number[];
  ed: number[];
  acc: number[];
  avg: number[];
  calls: number;
}

/**
 * One apply() of Keras 3 in float64: unscale, accumulate or (on every N-th call) take the mean, clip
 * by norm, Adadelta with the schedule read at the raw call count; EMA on every call with momentum 0
 * while floor(calls / N) is 0; overwrite when (floor(calls / N) + 1) % freq == 0; then calls += 1.
 */
function refApply(
  s: Ref,
  gIn: number[],
  o: {
    n: number;
    scale: number;
    clipnorm: number;
    lr: (calls: number) => number;
    rho: number;
    eps: number;
    mom: number;
    freq: number;
  },
): void {
  const g = gIn.map((v) => v / o.scale);
  if ((s.calls + 1) % o.n !== 0) {
    s.acc = s.acc.map((a, i) => a + g[i]!);
  } else {
    let m = g.map((v, i) => (v + s.acc[i]!) / o.n);
    s.acc = s.acc.map(() => 0);
    const norm = Math.sqrt(m.reduce((a, v) => a + v * v, 0));
    m = m.map((v) => (v * o.clipnorm) / Math.max(norm, o.clipnorm));
    const lr = o.lr(s.calls);
    for (let i = 0; i < s.x.length; i++) {
      s.eg[i] = o.rho * s.eg[i]! + (1 - o.rho) * m[i]! * m[i]!;
      const delta = (-Math.sqrt(s.ed[i]! + o.eps) * m[i]!) / Math.sqrt(s.eg[i]! + o.eps);
      s.ed[i] = o.rho * s.ed[i]! + (1 - o.rho) * delta * delta;
      s.x[i] = s.x[i]! + lr * delta;
    }
  }
  const iterations = Math.floor(s.calls / o.n);
  const mom = iterations === 0 ? 0 : o.mom;
  s.avg = s.avg.map((a, i) => mom * a + (1 - mom) * s.x[i]!);
  if ((iterations + 1) % o.freq === 0) s.x = [...s.avg];
  s.calls += 1;
}

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 2e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('accumulation N=3 with loss scaling, clipnorm, a schedule and Keras 3 EMA matches the float64 reference', async () => {
  const o = { n: 3, scale: 64, clipnorm: 0.8, lr: (c: number) => Math.pow(0.5, c / 4), rho: 0.9, eps: 1e-6, mom: 0.75, freq: 2 };
  const opt = new Adadelta({
    learningRate: new schedules.ExponentialDecay({ initialLearningRate: 1, decaySteps: 4, decayRate: 0.5 }),
    rho: o.rho,
    epsilon: o.eps,
    clipnorm: o.clipnorm,
    gradientAccumulationSteps: o.n,
    lossScaleFactor: o.scale,
    useEma: true,
    emaMomentum: o.mom,
    emaOverwriteFrequency: o.freq,
    emaFirstStep: 'keras3',
  });
  const x0 = seededValues(SEED, 6, -1, 1);
  const v = tf.variable(tf.tensor1d(x0));
  const ref: Ref = { x: [...x0], eg: x0.map(() => 0), ed: x0.map(() => 0), acc: x0.map(() => 0), avg: x0.map(() => 0), calls: 0 };
  for (let t = 0; t < 11; t++) {
    const g = seededValues(SEED * 100 + t, 6, -40, 40);
    await opt.applyGradients([[tf.tensor1d(g), v]]);
    refApply(ref, g, o);
    Array.from(v.dataSync()).forEach((x, i) => close(x, ref.x[i]!, `call ${t} x[${i}]`));
    assert.equal(opt.callCount, t + 1);
    assert.equal(opt.iterations, Math.floor((t + 1) / o.n));
    assert.equal(opt.learningRate, Math.fround(o.lr(t)), `learning rate read at raw call ${t}`);
  }
  // Keras 3 order: iteration, then per variable its average and accumulator, then the Adadelta slots.
  const names = opt.variables.map((x) => x.name);
  assert.deepEqual(names.slice(0, 3), [
    'iteration',
    `Adadelta/average/${names[1]!.split('/').pop()}`,
    `Adadelta/gradient_accumulator/${names[2]!.split('/').pop()}`,
  ]);
  Array.from((opt.variables[2] as ShardedVariable).readLocal()).forEach((a, i) => close(a, ref.acc[i]!, `accumulator[${i}]`));
});

test('scaleLoss multiplies the loss; minimize differentiates the scaled loss and unscales (no net effect on the step)', async () => {
  const plain = new Adadelta({ learningRate: 1 });
  const scaled = new Adadelta({ learningRate: 1, lossScaleFactor: 1024 });
  assert.equal(scaled.scaleLoss(3), 3072);
  assert.equal(plain.scaleLoss(3), 3);
  const a = tf.variable(tf.tensor1d([0.5, -2]));
  const b = tf.variable(tf.tensor1d([0.5, -2]));
  const loss = (w: typeof a) => () => tf.sum(tf.square(tf.sub(w, tf.tensor1d([1, 1])))) as never;
  for (let i = 0; i < 3; i++) {
    await plain.minimize(loss(a), [a]);
    await scaled.minimize(loss(b), [b]);
  }
  // 1024 is a power of two: scaling and unscaling are exact, so the two runs agree bit for bit.
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.notDeepEqual(Array.from(a.dataSync()), [0.5, -2]);
});

test('validation: Keras 3 texts for gradient_accumulation_steps; 0 and null mean none', () => {
  assert.throws(() => new Adadelta({ gradientAccumulationSteps: 1 }), {
    name: 'ValueError',
    message: '`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps=1',
  });
  assert.throws(() => Adadelta.fromConfig({ gradient_accumulation_steps: 2.5 }), {
    message: /must be an integer >= 2. Received: gradient_accumulation_steps=2.5/,
  });
  assert.equal(new Adadelta({ gradientAccumulationSteps: 0 }).gradientAccumulationSteps, null);
  assert.equal(Adadelta.fromConfig({ gradient_accumulation_steps: null }).gradientAccumulationSteps, null);
  assert.throws(() => Adadelta.fromConfig({ loss_scale_factor: 'big' }), {
    name: 'TypeError',
    message: "`loss_scale_factor` must be a number or None. Received: 'big'",
  });
  assert.throws(() => new Adadelta({ lossScaleFactor: 0 }), { name: 'ValueError', message: /loss_scale_factor/ });
  assert.throws(() => new Adadelta({ emaFirstStep: 'keras4' as never }), { message: /emaFirstStep/ });
});

test('iterations with accumulation: the setter sets the call counter to value·N; the stored iteration counts calls', async () => {
  const opt = new Adadelta({ gradientAccumulationSteps: 4 });
  opt.iterations = 5;
  assert.equal(opt.callCount, 20);
  assert.equal(opt.iterations, 5);
  const v = tf.variable(tf.tensor1d([1]));
  await opt.applyGradients([[tf.tensor1d([1]), v]]);
  assert.equal(opt.getWeights()[0], 21);
  assert.equal(opt.iterations, 5);
  assert.deepEqual(Array.from(v.dataSync()), [1], 'the first of four calls only accumulates');
});

/** Runs 8 calls (N=2, sparse and dense gradients, global_clipnorm, Keras 3 EMA) on `mesh`; returns global values. */
async function shardedRun(mesh: Mesh, args: AdadeltaArgs) {
  const collectives = createLocalCollectives(mesh.deviceIds);
  const devices = mesh.deviceIds.map((deviceId, k) => {
    const layout = new Layout([mesh.contains('model') ? 'model' : UNSHARDED, UNSHARDED], mesh);
    const v = new ShardedVariable({
      name: 'kernel',
      globalShape: [7, 3],
      layout,
      deviceId,
      initialValue: seededValues(SEED + 1, 21),
    });
    const e = new ShardedVariable({
      name: 'table',
      globalShape: [5, 2],
      layout: new Layout([mesh.contains('model') ? 'model' : UNSHARDED, UNSHARDED], mesh),
      deviceId,
      initialValue: seededValues(SEED + 2, 10),
    });
    return { vars: [v, e], opt: new Adadelta({ ...args, mesh, collectives: collectives[k] }) };
  });
  for (let t = 0; t < 8; t++) {
    const dense = Float32Array.from(seededValues(SEED * 10 + t, 21, -3, 3));
    const sparse = new IndexedSlices(Float32Array.from(seededValues(SEED * 20 + t, 6, -2, 2)), [t % 5, 1, t % 5], [5, 2]);
    await Promise.all(
      devices.map(({ vars, opt }) =>
        opt.applyGradients([
          [dense, vars[0]!],
          [sparse, vars[1]!],
        ]),
      ),
    );
  }
  // Every model and optimizer variable's global value, assembled from the devices' shards.
  const assemble = (pick: (d: (typeof devices)[number]) => ShardedVariable) => {
    const shape = [...pick(devices[0]!).globalShape];
    const out = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (const d of devices) insertShard(out, shape, pick(d).slices, pick(d).readLocal() as Float32Array);
    return Array.from(out);
  };
  const optimizerVars = devices[0]!.opt.variables
    .slice(1)
    .map((_, j) => assemble((d) => d.opt.variables[j + 1] as ShardedVariable));
  return [...optimizerVars, assemble((d) => d.vars[0]!), assemble((d) => d.vars[1]!)];
}

test("sharded over 3 devices == one device, with accumulation (accumulators take the variable's layout)", async () => {
  const args: AdadeltaArgs = {
    learningRate: 0.7,
    gradientAccumulationSteps: 2,
    globalClipnorm: 1.5,
    useEma: true,
    emaFirstStep: 'keras3',
  };
  const one = await shardedRun(Mesh.parse('model=1'), args);
  const three = await shardedRun(Mesh.parse('model=3'), args);
  assert.equal(three.length, 2 * 4 + 2); // per variable: average, accumulator, two slots; then the two variables
  three.forEach((vals, k) => vals.forEach((x, i) => close(x, one[k]![i]!, `variable ${k}[${i}]`)));
  assert.ok(
    three[0]!.some((x) => x !== 0),
    'the averages moved',
  );
  assert.ok(
    three[1]!.every((x) => x === 0),
    'after 8 calls with N=2 the accumulators were just reset',
  );
  const collectives = createLocalCollectives([0, 1, 2]);
  const mesh = Mesh.parse('model=3');
  const opt = new Adadelta({ ...args, mesh, collectives: collectives[0] });
  const v = new ShardedVariable({
    name: 'k',
    globalShape: [7, 3],
    layout: new Layout(['model', UNSHARDED], mesh),
    deviceId: 0,
    initialValue: new Array(21).fill(0),
  });
  opt.build([v]);
  const acc = opt.variables.find((x) => x.name.includes('gradient_accumulator')) as ShardedVariable;
  assert.deepEqual(acc.layout.shardingSpecs, ['model', UNSHARDED]);
  assert.deepEqual(acc.localShape, v.localShape);
});
