import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Layout, MATCH, Mesh, UNSHARDED } from '../../../src/core/dtensor';
import { ValueError } from '../../../src/core/errors';

const mesh = new Mesh({
  dims: [
    ['batch', 2],
    ['model', 4],
  ],
});

describe('Layout', () => {
  it('counts shards per axis', () => {
    const layout = new Layout(['model', UNSHARDED, 'batch'], mesh);
    assert.equal(layout.rank, 3);
    assert.deepEqual(layout.shardingSpecs, ['model', 'unsharded', 'batch']);
    assert.equal(layout.numShards(0), 4);
    assert.equal(layout.numShards(1), 1);
    assert.equal(layout.numShards(2), 2);
    assert.deepEqual(layout.shardCounts(), [4, 1, 2]);
    assert.deepEqual(layout.meshDimsUsed(), ['model', 'batch']);
    assert.deepEqual(layout.meshDimsUnused(), []);
    assert.equal(layout.isFullyReplicated(), false);
    assert.throws(() => layout.numShards(3), /Axis 3 is out of range for a layout of rank 3/);
  });

  it('builds the DTensor helper layouts', () => {
    assert.deepEqual(Layout.replicated(mesh, 0).shardingSpecs, []);
    assert.deepEqual(Layout.replicated(mesh, 2).shardingSpecs, [UNSHARDED, UNSHARDED]);
    assert.ok(Layout.replicated(mesh, 2).isFullyReplicated());
    assert.deepEqual(Layout.batchSharded(mesh, 'batch', 3).shardingSpecs, ['batch', UNSHARDED, UNSHARDED]);
    assert.deepEqual(Layout.innerSharded(mesh, 'model', 2).shardingSpecs, [UNSHARDED, 'model']);
    assert.deepEqual(Layout.innerSharded(mesh, 'model', 1).shardingSpecs, ['model']);
    assert.throws(() => Layout.batchSharded(mesh, 'batch', 0), /rank must be an integer >= 1, got 0/);
    assert.throws(() => Layout.replicated(mesh, -1), /rank must be an integer >= 0/);
  });

  it('treats a sharding over a size-1 mesh dim as replicated', () => {
    const single = Mesh.single();
    assert.ok(Layout.batchSharded(single, 'batch', 2).isFullyReplicated());
  });

  it('uses DTensor error texts', () => {
    assert.throws(
      () => new Layout(['batch', 'batch'], mesh),
      (e: Error) =>
        e instanceof ValueError &&
        e.message ===
          "Mesh dimension batch was repeated in sharding specification ['batch', 'batch']. " +
            'Mesh dimensions must be unique in a layout.',
    );
    assert.throws(
      () => new Layout(['x', UNSHARDED], mesh),
      (e: Error) =>
        e instanceof ValueError && e.message === 'x: A dimension sharding must either be a valid mesh dimension or UNSHARDED.',
    );
    assert.throws(() => new Layout(['batch'], {} as Mesh), /mesh is not a valid Mesh object/);
  });

  it('accepts MATCH (and repeated UNSHARDED/MATCH) like DTensor', () => {
    const layout = new Layout([MATCH, MATCH, UNSHARDED, UNSHARDED], mesh);
    assert.equal(layout.numShards(0), -1);
    assert.equal(layout.isFullyReplicated(), false);
    assert.deepEqual(layout.meshDimsUsed(), []);
  });

  it('compares, prints and round-trips through JSON', () => {
    const layout = new Layout(['batch', UNSHARDED], mesh);
    assert.ok(layout.equals(new Layout(['batch', UNSHARDED], Mesh.parse('batch=2,model=4'))));
    assert.ok(!layout.equals(new Layout([UNSHARDED, 'batch'], mesh)));
    assert.ok(!layout.equals(new Layout(['batch', UNSHARDED], Mesh.parse('batch=2,model=2'))));
    assert.equal(layout.toString(), "Layout(sharding_specs=['batch', 'unsharded'], mesh=batch=2,model=4)");
    const json = JSON.parse(JSON.stringify(layout));
    assert.deepEqual(json.shardingSpecs, ['batch', 'unsharded']);
    assert.ok(Layout.fromJSON(json).equals(layout));
    assert.equal(Layout.fromJSON(json, mesh).mesh, mesh, 'reuses an equal mesh');
    assert.throws(() => Layout.fromJSON({ mesh: mesh.toJSON() }), /Invalid layout JSON/);
  });

  it('keeps its specs immutable', () => {
    const specs = ['batch', UNSHARDED];
    const layout = new Layout(specs, mesh);
    specs[0] = 'model';
    assert.equal(layout.shardingSpecs[0], 'batch');
    assert.ok(Object.isFrozen(layout.shardingSpecs));
  });
});
