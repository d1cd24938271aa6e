import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Layout,
  MATCH,
  Mesh,
  UNSHARDED,
  axisSlices,
  extractShard,
  insertShard,
  isPrimaryReplica,
  localShape,
  numElements,
  replicaGroup,
  replicaIndex,
  shardGroup,
  shardIndex,
  shardSlices,
} from '../../../src/core/dtensor';

const MESHES = ['batch=1', 'batch=2', 'batch=3', 'batch=4', 'batch=2,model=2', 'x=3,y=2'].map((t) => Mesh.parse(t));
const SHAPES = [
  [],
  [0],
  [1],
  [2],
  [3],
  [5],
  [7],
  [2, 0],
  [1, 1],
  [1, 3],
  [3, 1],
  [4, 5],
  [5, 2],
  [3, 7],
  [1, 2, 3],
  [3, 1, 2],
  [2, 3, 5],
  [5, 4, 1],
  [4, 4, 4],
];

/** Every layout of `rank` on `mesh`: each axis UNSHARDED or an unused mesh dim. */
function allLayouts(mesh: Mesh, rank: number): Layout[] {
  let specs: string[][] = [[]];
  for (let axis = 0; axis < rank; axis++) {
    specs = specs.flatMap((s) => [UNSHARDED, ...mesh.dimNames.filter((d) => !s.includes(d))].map((choice) => [...s, choice]));
  }
  return specs.map((s) => new Layout(s, mesh));
}

/** Row-major flat index of `local` (an index into the shard) in the global tensor. */
function globalIndex(shape: readonly number[], slices: { start: number }[], local: number, localDims: number[]) {
  let flat = 0;
  for (let axis = shape.length - 1, rest = local, stride = 1; axis >= 0; axis--) {
    const i = rest % localDims[axis];
    rest = Math.floor(rest / localDims[axis]);
    flat += (slices[axis].start + i) * stride;
    stride *= shape[axis];
  }
  return flat;
}

const iota = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 1);

describe('axisSlices', () => {
  it('splits like numpy array_split', () => {
    assert.deepEqual(axisSlices(10, 3), [
      { start: 0, size: 4 },
      { start: 4, size: 3 },
      { start: 7, size: 3 },
    ]);
    assert.deepEqual(
      axisSlices(8, 4).map((s) => s.size),
      [2, 2, 2, 2],
    );
    assert.deepEqual(axisSlices(2, 4), [
      { start: 0, size: 1 },
      { start: 1, size: 1 },
      { start: 2, size: 0 },
      { start: 2, size: 0 },
    ]);
    assert.deepEqual(axisSlices(0, 2), [
      { start: 0, size: 0 },
      { start: 0, size: 0 },
    ]);
    assert.deepEqual(axisSlices(5, 1), [{ start: 0, size: 5 }]);
    assert.throws(() => axisSlices(5, 0), /positive integer/);
    assert.throws(() => axisSlices(-1, 2), /non-negative integer/);
  });
});

describe('shard math', () => {
  it('tiles every global tensor exactly once per replica, for every layout', () => {
    let cases = 0;
    for (const mesh of MESHES) {
      for (const shape of SHAPES) {
        for (const layout of allLayouts(mesh, shape.length)) {
          const replicas = new Map<number, Uint8Array>();
          for (const device of mesh.deviceIds) {
            const slices = shardSlices(shape, layout, device);
            const dims = localShape(shape, layout, device);
            const seen = replicas.get(replicaIndex(layout, device)) ?? new Uint8Array(numElements(shape));
            replicas.set(replicaIndex(layout, device), seen);
            for (let k = 0; k < numElements(dims); k++) seen[globalIndex(shape, slices, k, [...dims])]++;
          }
          const expectedReplicas = mesh.size / numElements(layout.shardCounts());
          assert.equal(replicas.size, expectedReplicas, `${layout} replicas`);
          for (const seen of replicas.values())
            assert.ok(
              seen.every((c) => c === 1),
              `${layout} on ${shape}`,
            );
          cases++;
        }
      }
    }
    assert.ok(cases > 400, `${cases} cases`);
  });

  it('extracts the right elements and inserts them back (f32, f64, int32)', () => {
    for (const mesh of MESHES) {
      for (const shape of SHAPES) {
        for (const layout of allLayouts(mesh, shape.length)) {
          const global = iota(numElements(shape));
          const rebuilt = new Float64Array(global.length);
          for (const device of mesh.deviceIds) {
            const slices = shardSlices(shape, layout, device);
            const dims = [...localShape(shape, layout, device)];
            const shard = extractShard(global, shape, slices);
            assert.equal(shard.length, numElements(dims));
            shard.forEach((v, k) => assert.equal(v, global[globalIndex(shape, slices, k, dims)]));
            insertShard(rebuilt, shape, slices, shard);
          }
          assert.deepEqual(rebuilt, global, `${layout} on ${shape}`);
        }
      }
    }
    const f32 = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const inner = extractShard(
      f32,
      [2, 3],
      [
        { start: 0, size: 2 },
        { start: 1, size: 2 },
      ],
    );
    assert.ok(inner instanceof Float32Array);
    assert.deepEqual([...inner], [2, 3, 5, 6]);
    const i32 = new Int32Array(6);
    insertShard(
      i32,
      [2, 3],
      [
        { start: 1, size: 1 },
        { start: 0, size: 3 },
      ],
      Int32Array.from([7, 8, 9]),
    );
    assert.deepEqual([...i32], [0, 0, 0, 7, 8, 9]);
  });

  it('checks buffers, shapes and slices', () => {
    const mesh = Mesh.parse('batch=2');
    const layout = Layout.batchSharded(mesh, 'batch', 2);
    assert.throws(() => shardSlices([4], layout, 0), /Shape \[4\] has rank 1, but Layout\(.*\) has rank 2/);
    assert.throws(() => shardSlices([4, -1], layout, 0), /non-negative integers/);
    assert.throws(() => shardSlices([4, 2], layout, 2), /Device 2 is not in mesh batch=2/);
    assert.throws(() => shardSlices([4], new Layout([MATCH], mesh), 0), /uses MATCH/);
    assert.throws(
      () =>
        extractShard(
          new Float32Array(7),
          [4, 2],
          [
            { start: 0, size: 2 },
            { start: 0, size: 2 },
          ],
        ),
      /Global array has 7 elements, but shape \[4, 2\] holds 8/,
    );
    assert.throws(
      () =>
        extractShard(
          new Float32Array(8),
          [4, 2],
          [
            { start: 3, size: 2 },
            { start: 0, size: 2 },
          ],
        ),
      /Slices \[3:5, 0:2\] do not fit in shape \[4, 2\]/,
    );
    assert.throws(
      () =>
        insertShard(
          new Float32Array(8),
          [4, 2],
          [
            { start: 0, size: 2 },
            { start: 0, size: 2 },
          ],
          new Float32Array(3),
        ),
      /Shard has 3 elements, but the slices \[0:2, 0:2\] hold 4/,
    );
  });

  it('handles scalars', () => {
    const layout = Layout.replicated(Mesh.parse('batch=2'), 0);
    assert.deepEqual(shardSlices([], layout, 1), []);
    assert.deepEqual([...localShape([], layout, 1)], []);
    assert.deepEqual([...extractShard(Float32Array.of(3.5), [], [])], [3.5]);
  });
});

describe('shard groups on a 2x2 mesh', () => {
  const mesh = Mesh.parse('batch=2,model=2'); // device = 2·batch + model
  const model = new Layout([UNSHARDED, 'model'], mesh);
  const batch = new Layout(['batch', UNSHARDED], mesh);
  const both = new Layout(['model', 'batch'], mesh);
  const replicated = Layout.replicated(mesh, 2);

  it('groups the devices that hold one replica', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((d) => shardGroup(model, d)),
      [
        [0, 1],
        [0, 1],
        [2, 3],
        [2, 3],
      ],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((d) => shardGroup(batch, d)),
      [
        [0, 2],
        [1, 3],
        [0, 2],
        [1, 3],
      ],
    );
    assert.deepEqual(shardGroup(both, 2), [0, 1, 2, 3]);
    assert.deepEqual(shardGroup(replicated, 3), [3]);
  });

  it('groups the devices that hold the same shard', () => {
    assert.deepEqual(replicaGroup(model, 1), [1, 3]);
    assert.deepEqual(replicaGroup(batch, 1), [0, 1]);
    assert.deepEqual(replicaGroup(both, 2), [2]);
    assert.deepEqual(replicaGroup(replicated, 2), [0, 1, 2, 3]);
  });

  it('numbers replicas and shards consistently with the groups', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((d) => replicaIndex(model, d)),
      [0, 0, 1, 1],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((d) => replicaIndex(batch, d)),
      [0, 1, 0, 1],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((d) => replicaIndex(replicated, d)),
      [0, 1, 2, 3],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((d) => isPrimaryReplica(batch, d)),
      [true, false, true, false],
    );
    for (const layout of [model, batch, both, replicated]) {
      for (const d of mesh.deviceIds) assert.equal(shardGroup(layout, d).indexOf(d), shardIndex(layout, d));
    }
  });

  it('gives each device its slice', () => {
    // Axis 0 over model (coordinate = device % 2), axis 1 over batch (coordinate = device >> 1).
    assert.deepEqual(shardSlices([5, 3], both, 1), [
      { start: 3, size: 2 },
      { start: 0, size: 2 },
    ]);
    assert.deepEqual(shardSlices([5, 3], both, 2), [
      { start: 0, size: 3 },
      { start: 2, size: 1 },
    ]);
    assert.deepEqual([...localShape([5, 3], model, 3)], [5, 1]);
  });
});
