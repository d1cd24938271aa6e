// Sharded vs unsharded (DESIGN invariant): a variable sharded over 1–4 simulated devices, each device
// running its own optimizer SPMD-style over in-process collectives, updates exactly like one device —
// with clipnorm, global_clipnorm, clipvalue, EMA and sparse gradients. Also layout invariants.
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
  type AdadeltaArgs,
} from '../../../src/core';
import { insertShard } from '../../../src/core/dtensor/shard';

await useCpuBackend();

interface VarSpec {
  name: string;
  shape: number[];
  specs: string[];
}
const VARS: VarSpec[] = [
  { name: 'dense.kernel', shape: [7, 5], specs: ['model', UNSHARDED] }, // 7 rows over 2/3/4 shards: uneven
  { name: 'dense.bias', shape: [5], specs: [UNSHARDED] }, // replicated
  { name: 'embedding.table', shape: [9, 3], specs: [UNSHARDED, 'model'] }, // inner axis sharded (3 cols over 4: one empty)
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Gradient of step t for every variable: dense for the first two, sparse with a repeated row for the table. */
function gradsAt(t: number) {
  const kernel = Float32Array.from(seededValues(10 + t, 35, -3, 3));
  const bias = Float32Array.from(seededValues(20 + t, 5, -1, 1));
  const rows = [t % 9, 2, t % 9, 8];
  const values = Float32Array.from(seededValues(30 + t, rows.length * 3, -2, 2));
  return [kernel, bias, new IndexedSlices(values, rows, [9, 3])] as const;
}

/** Runs `steps` steps on `mesh` with one optimizer per device; returns every variable's and slot's global value. */
async function run(mesh: Mesh, args: AdadeltaArgs, steps: number) {
  const collectives = createLocalCollectives(mesh.deviceIds);
  const devices = mesh.deviceIds.map((deviceId, k) => {
    const vars = VARS.map(
      (spec, i) =>
        new ShardedVariable({
          name: spec.name,
          globalShape: spec.shape,
          layout: new Layout(
            spec.specs.map((s) => (mesh.contains(s) ? s : UNSHARDED)),
            mesh,
          ),
          deviceId,
          initialValue: seededValues(i + 1, size(spec.shape)),
        }),
    );
    return { vars, opt: new Adadelta({ ...args, mesh, collectives: collectives[k] }) };
  });
  for (let t = 0; t < steps; t++) {
    const grads = gradsAt(t);
    await Promise.all(devices.map(({ vars, opt }) => opt.applyGradients(vars.map((v, i) => [grads[i]!, v] as const))));
  }
  // Assemble global values from every device's shards (replicas must agree exactly).
  return VARS.map((spec, i) => {
    const assemble = (pick: (d: (typeof devices)[number]) => ShardedVariable) => {
      const global = new Float32Array(size(spec.shape)).fill(NaN);
      for (const d of devices) {
        const v = pick(d);
        const part = v.readLocal() as Float32Array;
        const probe = new Float32Array(global.length).fill(NaN);
        insertShard(probe, spec.shape, v.slices, part);
        probe.forEach((x, j) => {
          if (Number.isNaN(x)) return;
          if (!Number.isNaN(global[j]!)) assert.equal(x, global[j], `${v.name}: replicas disagree at ${j}`);
          global[j] = x;
        });
      }
      return Array.from(global);
    };
    const slots = (d: (typeof devices)[number]) => d.opt.slotsOf(d.vars[i]!);
    return {
      value: assemble((d) => d.vars[i]!),
      eg: assemble((d) => slots(d).accumulatedGrad),
      ed: assemble((d) => slots(d).accumulatedDeltaVar),
    };
  });
}

const CASES: [string, AdadeltaArgs][] = [
  ['plain', { learningRate: 0.5 }],
  ['clipnorm', { learningRate: 0.5, clipnorm: 1.5 }],
  ['global_clipnorm', { learningRate: 0.5, globalClipnorm: 2 }],
  ['clipvalue', { learningRate: 0.5, clipvalue: 0.7 }],
  ['ema with overwrite', { learningRate: 0.5, useEma: true, emaMomentum: 0.8, emaOverwriteFrequency: 2 }],
];

for (const [label, args] of CASES) {
  test(`${label}: 2, 3, 4 shards and a 2×2 mesh equal the one-device run exactly`, async () => {
    const reference = await run(Mesh.parse('model=1'), args, 6);
    for (const text of ['model=2', 'model=3', 'model=4', 'batch=2,model=2']) {
      const sharded = await run(Mesh.parse(text), args, 6);
      assert.deepEqual(sharded, reference, `mesh ${text}`);
    }
    assert.ok(reference[0]!.value.every(Number.isFinite));
  });
}

test('layout invariants: slots take the variable layout, iterations is replicated rank 0, a step keeps layouts', async () => {
  const mesh = Mesh.parse('batch=2,model=2');
  const collectives = createLocalCollectives(mesh.deviceIds);
  const layout = new Layout(['model', UNSHARDED], mesh);
  const devices = mesh.deviceIds.map((id, k) => ({
    v: new ShardedVariable({ name: 'w', globalShape: [6, 2], layout, deviceId: id, initialValue: seededValues(3, 12) }),
    opt: new Adadelta({ mesh, collectives: collectives[k], useEma: true }),
  }));
  await Promise.all(devices.map(({ v, opt }) => opt.applyGradients([[new Float32Array(12).fill(1), v]])));
  for (const { v, opt } of devices) {
    const [iterations, ...rest] = opt.variables;
    assert.ok(iterations!.layout.equals(Layout.replicated(mesh, 0)));
    for (const slot of rest) {
      assert.ok(slot.layout.equals(layout), `${slot.name} layout`);
      assert.deepEqual((slot as ShardedVariable).localShape, v.localShape);
    }
    assert.deepEqual(v.localShape, [3, 2]);
  }
});

test('a sharded variable takes its local shard gradient or the global one, and refuses other shapes', async () => {
  const mesh = Mesh.parse('model=2');
  const [c0, c1] = createLocalCollectives(mesh.deviceIds);
  const layout = new Layout(['model'], mesh);
  const a = new ShardedVariable({ name: 'a', globalShape: [4], layout, deviceId: 0, initialValue: [1, 1, 1, 1] });
  const b = new ShardedVariable({ name: 'a', globalShape: [4], layout, deviceId: 1, initialValue: [1, 1, 1, 1] });
  const oa = new Adadelta({ mesh, collectives: c0 });
  const ob = new Adadelta({ mesh, collectives: c1 });
  await Promise.all([
    oa.applyGradients([[new Float32Array([1, 1]), a]]),
    ob.applyGradients([[new Float32Array([1, 1, 1, 1]), b]]),
  ]);
  assert.deepEqual(Array.from(a.readLocal()), Array.from(b.readLocal()));
  await assert.rejects(oa.applyGradients([[new Float32Array(3), a]]), /expected its local shard \[2\] or its global shape \[4\]/);
});
