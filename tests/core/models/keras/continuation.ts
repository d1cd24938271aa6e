/**
 * Continues a Keras fixture case on N in-process devices the way a worker steps (DeviceTrainer.step):
 * each device computes its contiguous slice of the batch, gradients go through the worker's
 * StepExchange (dense reduce-scatter to shard owners, sparse ids and rows all-gathered), the sharded
 * Adadelta updates each device's shards, and parameters are all-gathered again.
 */
import assert from 'node:assert/strict';
import { buildKerasModel, lossAndGradsSum, type Model } from '../../../../src/core/models/index';
import { Mesh } from '../../../../src/core/dtensor/mesh';
import { Layout } from '../../../../src/core/dtensor/layout';
import { LayoutMap } from '../../../../src/core/dtensor/layout-map';
import { extractShard, insertShard } from '../../../../src/core/dtensor/shard';
import { createLocalCollectives } from '../../../../src/core/collectives/local';
import { ShardedVariable } from '../../../../src/core/variables/sharded-variable';
import { Adadelta } from '../../../../src/core/optimizers/adadelta';
import { localSlice } from '../../../../src/core/data/batches';
import { planExchange } from '../../../../src/core/collectives/exchange-plan';
import { StepExchange } from '../../../../src/workers/step-exchange';
import { assertNear, batchArrays, flat, kerasPaths, optimizerConfig, slotKey, type FixtureCase } from './fixture-case';

export interface Continued {
  model: Model;
  losses: number[];
  /** Global values by Keras path (weights) and Keras optimizer variable name. */
  weights: Map<string, Float32Array>;
  optimizer: Map<string, Float32Array>;
  iterations: number;
  finalized: Map<string, Float32Array> | null;
}

/** Row-sharding of every kernel and embedding table over the `model` mesh axis. */
export function rowShardedLayouts(model: Model): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of model.params) {
    if (/(kernel|embeddings)$/.test(p.path)) out[`^${p.path}$`] = ['model', ...p.shape.slice(1).map(() => 'unsharded')];
  }
  return out;
}

export async function continueCase(
  c: FixtureCase,
  meshText: string,
  layouts: (m: Model) => Record<string, string[]> = () => ({}),
): Promise<Continued> {
  const model = buildKerasModel(c.model_json);
  const kpath = kerasPaths(model, c);
  const mesh = Mesh.parse(meshText);
  const colls = createLocalCollectives(mesh.deviceIds);
  const map = new LayoutMap(mesh);
  for (const [k, specs] of Object.entries(layouts(model))) map.set(k, new Layout(specs, mesh));
  const cfg = optimizerConfig(c);
  const global = (k: string) => Float32Array.from(flat(c.at_save.optimizer[k]));
  const devices = mesh.deviceIds.map((d, rank) => {
    const vars = model.params.map(
      (p) =>
        new ShardedVariable({
          name: p.path,
          globalShape: p.shape,
          layout: map.layoutFor(p.path, p.shape.length),
          deviceId: d,
          initialValue: flat(c.at_save.weights[kpath.get(p.path)!]),
        }),
    );
    const plans = model.params.map((p, i) => planExchange(p.path, p.shape, vars[i]!.layout, d));
    const exchange = new StepExchange(
      plans,
      model.params.map((p) => !!p.sparse),
      d,
    );
    // Keras 3's EMA first step differs from the seed's only at iteration 0; these continue from 3.
    const opt = Adadelta.fromConfig(cfg, { mesh, collectives: colls[rank] });
    opt.iterations = Number(c.at_save.optimizer['adadelta/iteration']);
    opt.build(vars);
    const local = (k: string, v: ShardedVariable) => extractShard(global(k), v.globalShape, v.slices);
    const kp = (v: ShardedVariable) => kpath.get(v.name)!;
    opt.setWeights([
      opt.iterations,
      ...(opt.useEma ? vars.map((v) => local(slotKey(kp(v), 'average'), v)) : []),
      ...vars.flatMap((v) => [local(slotKey(kp(v), 'accumulated_grad'), v), local(slotKey(kp(v), 'accumulated_delta_var'), v)]),
    ]);
    const fulls = vars.map((v, i) => (plans[i]!.replicated ? null : Float32Array.from(flat(c.at_save.weights[kp(v)]))));
    return { d, rank, vars, exchange, opt, fulls, coll: colls[rank]! };
  });
  type Device = (typeof devices)[number];
  const N = mesh.size;
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  const labelsPer = (y: ArrayLike<number>, B: number) => y.length / B;

  async function step(dev: Device, x: Float32Array, y: Float32Array | Int32Array, B: number): Promise<number> {
    const { start, size } = localSlice(B, N, dev.rank);
    const lp = labelsPer(y, B);
    const params = new Map(dev.vars.map((v, i) => [v.name, dev.fulls[i] ?? (v.hostArray() as Float32Array)]));
    const sums = lossAndGradsSum(
      model,
      params,
      x.subarray(start * per, (start + size) * per),
      y.subarray(start * lp, (start + size) * lp),
      size,
      { dropoutSeed: 1, exampleOffset: start },
    );
    const grads = await dev.exchange.reduce(sums, dev.coll);
    const scalars = Float64Array.of(sums.count, sums.lossSum);
    if (N > 1) await dev.coll.allReduceSum(scalars);
    const input = dev.exchange.optimizerInput(StepExchange.scale(grads, scalars[0]!));
    await dev.opt.applyGradients(input.map((g, i) => [g, dev.vars[i]!] as const));
    dev.exchange.gather!.start((k) => dev.vars[k]!.hostArray() as Float32Array, dev.coll);
    await dev.exchange.gather!.finish((k) => dev.fulls[k] ?? null);
    return scalars[1]! / scalars[0]!;
  }

  const losses: number[] = [];
  for (const b of c.batches) {
    const { x, y } = batchArrays(b, model);
    const perDevice = await Promise.all(devices.map((dev) => step(dev, x, y, b.y.length)));
    losses.push(perDevice[0]!);
  }
  const assemble = (pick: (dev: Device, i: number) => ShardedVariable) =>
    model.params.map((p, i) => {
      const out = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
      for (const dev of devices) {
        const v = pick(dev, i);
        insertShard(out, v.globalShape, v.slices, v.readLocal() as Float32Array);
      }
      return out;
    });
  const weights = new Map(assemble((dev, i) => dev.vars[i]!).map((w, i) => [kpath.get(model.params[i]!.path)!, w]));
  // Optimizer variables in Keras's order: iteration, EMA averages, then (accumulated_grad, accumulated_delta_var) per weight.
  const optimizer = new Map<string, Float32Array>();
  const names = [
    ...(devices[0]!.opt.useEma ? model.params.map((p) => slotKey(kpath.get(p.path)!, 'average')) : []),
    ...model.params.flatMap((p) => [
      slotKey(kpath.get(p.path)!, 'accumulated_grad'),
      slotKey(kpath.get(p.path)!, 'accumulated_delta_var'),
    ]),
  ];
  names.forEach((name, j) => {
    const first = devices[0]!.opt.variables[j + 1] as ShardedVariable;
    const out = new Float32Array(first.globalShape.reduce((a, b) => a * b, 1));
    for (const dev of devices) {
      const v = dev.opt.variables[j + 1] as ShardedVariable;
      insertShard(out, v.globalShape, v.slices, v.readLocal() as Float32Array);
    }
    optimizer.set(name, out);
  });
  let finalized: Map<string, Float32Array> | null = null;
  if (devices[0]!.opt.useEma) {
    for (const dev of devices) dev.opt.finalizeVariableValues(dev.vars);
    finalized = new Map(assemble((dev, i) => dev.vars[i]!).map((w, i) => [kpath.get(model.params[i]!.path)!, w]));
  }
  return { model, losses, weights, optimizer, iterations: devices[0]!.opt.iterations, finalized };
}

/** Asserts a continuation reached what Keras did: losses, weights, optimizer variables, EMA-finalized weights. */
export function compareWithKeras(c: FixtureCase, got: Continued): void {
  const want = c.after_more_steps;
  got.losses.forEach((l, i) => {
    const k = want.losses[i]!;
    assert.ok(Math.abs(l - k) <= 1e-4 * Math.abs(k), `${c.name}: loss of step ${i} is ${l}, Keras ${k}`);
  });
  assert.equal(got.iterations, Number(want.optimizer['adadelta/iteration']), 'iterations continue from the archive');
  assert.deepEqual([...got.weights.keys()], Object.keys(want.weights), 'parameters in Keras weight order');
  for (const [k, w] of got.weights) assertNear(`${c.name} ${k}`, w, flat(want.weights[k]), flat(c.at_save.weights[k]));
  const slots = Object.keys(want.optimizer).filter((k) => k !== 'adadelta/iteration' && k !== 'adadelta/learning_rate');
  assert.deepEqual([...got.optimizer.keys()], slots, 'optimizer variables in Keras order');
  for (const [k, v] of got.optimizer) assertNear(`${c.name} ${k}`, v, flat(want.optimizer[k]), flat(c.at_save.optimizer[k]));
  if (want.weights_after_finalize) {
    assert.ok(got.finalized, `${c.name}: Keras finalized EMA weights, the optimizer here has no EMA`);
    for (const [k, w] of got.finalized)
      assertNear(`${c.name} finalized ${k}`, w, flat(want.weights_after_finalize[k]), flat(c.at_save.weights[k]));
  }
}
