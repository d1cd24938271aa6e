import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Layout, Mesh, UNSHARDED } from '../../../src/core/dtensor';
import { extractShard, shardSlices } from '../../../src/core/dtensor/shard';
import {
  type CheckpointTensor,
  assembleGlobal,
  localShardFor,
  reshardTensor,
  tensorFromDeviceShards,
  tensorLayout,
} from '../../../src/core/checkpoint';

function arange(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i + 0.5);
}

/** The tensor as `layout`'s devices would save it: every device reports its shard. */
function saved(globalShape: number[], layout: Layout, global = arange(globalShape.reduce((a, b) => a * b, 1))): CheckpointTensor {
  const shards = layout.mesh.deviceIds.map((deviceId) => ({
    deviceId,
    data: extractShard(global, globalShape, shardSlices(globalShape, layout, deviceId)),
  }));
  return tensorFromDeviceShards({
    path: 'optimizer/Adadelta/accumulated_grad/dense.kernel',
    dtype: 'float32',
    globalShape,
    layout,
    shards,
  });
}

function layoutOn(meshText: string, specs: string[]): Layout {
  return new Layout(specs, Mesh.parse(meshText));
}

function checkReshard(globalShape: number[], from: Layout, to: Layout): void {
  const global = arange(globalShape.reduce((a, b) => a * b, 1));
  const tensor = saved(globalShape, from, global);
  assert.deepEqual(assembleGlobal(tensor), global);
  for (const deviceId of to.mesh.deviceIds) {
    const want = extractShard(global, globalShape, shardSlices(globalShape, to, deviceId));
    assert.deepEqual(localShardFor(tensor, to, deviceId), want, `device ${deviceId} of ${to}`);
    assert.deepEqual(localShardFor(tensor, tensorLayout(to), deviceId), want);
  }
  const moved = reshardTensor(tensor, to);
  assert.deepEqual(moved.layout, tensorLayout(to));
  assert.deepEqual(assembleGlobal(moved), global);
}

test('4 → 2 devices, rows sharded, uneven (10 rows over 4, then 2)', () => {
  checkReshard([10, 3], layoutOn('batch=4', ['batch', UNSHARDED]), layoutOn('batch=2', ['batch', UNSHARDED]));
});

test('2 → 3 devices, columns sharded, uneven (7 columns)', () => {
  checkReshard([5, 7], layoutOn('batch=2', [UNSHARDED, 'batch']), layoutOn('batch=3', [UNSHARDED, 'batch']));
});

test('1 → 4 devices, and a layout that moves the sharded axis', () => {
  checkReshard([6, 9], layoutOn('batch=1', [UNSHARDED, UNSHARDED]), layoutOn('batch=4', ['batch', UNSHARDED]));
  checkReshard([6, 9], layoutOn('batch=2', ['batch', UNSHARDED]), layoutOn('batch=3', [UNSHARDED, 'batch']));
});

test('2×2 → 3 devices: both axes sharded onto one', () => {
  const from = layoutOn('batch=2,model=2', ['batch', 'model']);
  checkReshard([5, 7], from, layoutOn('batch=3', ['batch', UNSHARDED]));
  checkReshard([5, 7], from, layoutOn('batch=3', [UNSHARDED, 'batch']));
  checkReshard(
    [4, 3, 5],
    layoutOn('batch=2,model=2', ['model', UNSHARDED, 'batch']),
    layoutOn('batch=3', [UNSHARDED, UNSHARDED, 'batch']),
  );
});

test('replicas are saved once: a 2×2 mesh sharding over model keeps 2 shards', () => {
  const tensor = saved([8, 2], layoutOn('batch=2,model=2', ['model', UNSHARDED]));
  assert.equal(tensor.shards.length, 2);
  const replicated = saved([3], layoutOn('batch=4', [UNSHARDED]));
  assert.equal(replicated.shards.length, 1);
});

test('equal layouts: each device gets its own shard back as a fresh copy', () => {
  const layout = layoutOn('batch=3', ['batch', UNSHARDED]);
  const tensor = saved([7, 2], layout);
  for (const deviceId of [0, 1, 2]) {
    const local = localShardFor(tensor, layout, deviceId);
    const own = tensor.shards.find((s) => s.slices[0].start === shardSlices([7, 2], layout, deviceId)[0].start)!;
    assert.deepEqual(local, own.data);
    assert.notEqual(local.buffer, own.data.buffer);
  }
});

test('a missing region is an error that names it', () => {
  const tensor = saved([8, 2], layoutOn('batch=4', ['batch', UNSHARDED]));
  tensor.shards.splice(2, 1);
  assert.throws(() => assembleGlobal(tensor), /cover 12 of 16 elements; missing \[4:6,0:2\]/);
  assert.throws(() => localShardFor(tensor, layoutOn('batch=1', [UNSHARDED, UNSHARDED]), 0), /missing \[4:6,0:2\]/);
  assert.throws(
    () =>
      tensorFromDeviceShards({
        ...tensor,
        layout: layoutOn('batch=4', ['batch', UNSHARDED]),
        shards: [{ deviceId: 0, data: new Float32Array(4) }],
      }),
    /missing/,
  );
});

test('overlapping or ill-sized shards are refused', () => {
  const tensor = saved([4], layoutOn('batch=2', ['batch']));
  const overlapping = { ...tensor, shards: [...tensor.shards, { slices: [{ start: 1, size: 2 }], data: new Float32Array(2) }] };
  assert.throws(() => assembleGlobal(overlapping), /overlap/);
  const short = { ...tensor, shards: [{ slices: tensor.shards[0].slices, data: new Float32Array(1) }, tensor.shards[1]] };
  assert.throws(() => assembleGlobal(short), /has 1 elements, but slices \[0:2\] hold 2/);
  const wrongType = { ...tensor, shards: tensor.shards.map((s) => ({ ...s, data: new Float64Array(s.data) })) };
  assert.throws(() => assembleGlobal(wrongType), /float32 data must be a Float32Array/);
});

test('float64 tensors and empty shards (3 rows over 4 devices)', () => {
  const layout = layoutOn('batch=4', ['batch']);
  const global = Float64Array.from([1.25, 2.5, 3.75]);
  const shards = layout.mesh.deviceIds.map((deviceId) => ({
    deviceId,
    data: extractShard(global, [3], shardSlices([3], layout, deviceId)),
  }));
  const tensor = tensorFromDeviceShards({ path: 'params/b', dtype: 'float64', globalShape: [3], layout, shards });
  assert.deepEqual(assembleGlobal(tensor), global);
  assert.deepEqual(localShardFor(tensor, layoutOn('batch=2', ['batch']), 1), Float64Array.from([3.75]));
});
