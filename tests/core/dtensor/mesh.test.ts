import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh } from '../../../src/core/dtensor';
import { ValueError } from '../../../src/core/errors';

const mesh2x2 = () =>
  new Mesh({
    dims: [
      ['batch', 2],
      ['model', 2],
    ],
  });

describe('Mesh', () => {
  it('describes a row-major device grid', () => {
    const mesh = new Mesh({
      dims: [
        ['x', 3],
        ['y', 2],
      ],
    });
    assert.deepEqual(mesh.dimNames, ['x', 'y']);
    assert.deepEqual(mesh.shape, [3, 2]);
    assert.equal(mesh.size, 6);
    assert.deepEqual(mesh.deviceIds, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(mesh.strides, [2, 1]);
    assert.equal(mesh.deviceType, 'CPU');
    // DTensor's docstring: a reduction over 'x' reduces across columns (0, 2, 4) and (1, 3, 5).
    assert.deepEqual(mesh.coords(0), [0, 0]);
    assert.deepEqual(mesh.coords(3), [1, 1]);
    assert.deepEqual(mesh.coords(4), [2, 0]);
    assert.equal(mesh.coord(5, 'x'), 2);
    assert.deepEqual(mesh.subgroup(1, ['x']), [1, 3, 5]);
    assert.deepEqual(mesh.subgroup(2, ['y']), [2, 3]);
    assert.deepEqual(mesh.subgroup(2, []), [2]);
    assert.deepEqual(mesh.subgroup(2, ['x', 'y']), [0, 1, 2, 3, 4, 5]);
  });

  it('maps coordinates back to devices', () => {
    const mesh = mesh2x2();
    for (const id of mesh.deviceIds) assert.equal(mesh.deviceAt(mesh.coords(id)), id);
    assert.throws(() => mesh.deviceAt([2, 0]), /out of range for mesh dimension batch=2/);
    assert.throws(() => mesh.deviceAt([0]), /has 2 dimensions/);
  });

  it('accepts consecutive ids that do not start at 0', () => {
    const mesh = new Mesh({ dims: [['batch', 2]], deviceIds: [4, 5], deviceType: 'GPU' });
    assert.deepEqual(mesh.coords(5), [1]);
    assert.equal(mesh.deviceAt([0]), 4);
    assert.equal(mesh.hasDevice(3), false);
    assert.throws(() => mesh.coords(0), /Device 0 is not in mesh batch=2 \(device ids 4\.\.5\)/);
  });

  it('answers dimension queries with DTensor-style errors', () => {
    const mesh = mesh2x2();
    assert.equal(mesh.dimSize('model'), 2);
    assert.equal(mesh.contains('batch'), true);
    assert.equal(mesh.contains('x'), false);
    assert.throws(
      () => mesh.dimSize('x'),
      (e: Error) =>
        e instanceof ValueError && e.message === `"x" not a dimension name in current mesh. Dimension names: ['batch', 'model'].`,
    );
  });

  it('refuses invalid meshes with clear errors', () => {
    assert.throws(() => new Mesh({ dims: [] }), /at least one named dimension/);
    assert.throws(
      () =>
        new Mesh({
          dims: [
            ['batch', 2],
            ['batch', 2],
          ],
        }),
      /batch is repeated/,
    );
    assert.throws(() => new Mesh({ dims: [['batch', 0]] }), /positive integer size, got 0/);
    assert.throws(() => new Mesh({ dims: [['batch', 1.5]] }), /positive integer size/);
    assert.throws(() => new Mesh({ dims: [['unsharded', 2]] }), /Invalid mesh dimension name/);
    assert.throws(() => new Mesh({ dims: [['a=b', 2]] }), /Invalid mesh dimension name/);
    assert.throws(() => new Mesh({ dims: [['batch', 2]], deviceIds: [0, 2] }), /must sequentially increase: \[0, 2\]/);
    assert.throws(() => new Mesh({ dims: [['batch', 2]], deviceIds: [1, 0] }), /sequentially increase/);
    assert.throws(() => new Mesh({ dims: [['batch', 2]], deviceIds: [0] }), /has 2 devices, but 1 deviceIds/);
    assert.throws(() => new Mesh({ dims: [['batch', 2]], deviceType: 'TPU' as 'CPU' }), /'CPU' or 'GPU'/);
  });

  it('prints, parses and round-trips through JSON', () => {
    const mesh = mesh2x2();
    assert.equal(mesh.toString(), 'batch=2,model=2');
    assert.ok(Mesh.parse('batch=2,model=2').equals(mesh));
    assert.ok(Mesh.parse(' batch = 2 , model=2 ').equals(mesh));
    const gpu = new Mesh({ dims: [['batch', 4]], deviceIds: [2, 3, 4, 5], deviceType: 'GPU' });
    const json = JSON.parse(JSON.stringify(gpu));
    assert.deepEqual(json, { dims: [['batch', 4]], deviceIds: [2, 3, 4, 5], deviceType: 'GPU' });
    assert.ok(Mesh.fromJSON(json).equals(gpu));
    assert.ok(!Mesh.fromJSON(json).equals(Mesh.parse('batch=4')));
    assert.throws(() => Mesh.fromJSON({ dims: 3 }), /Invalid mesh JSON/);
  });

  it('explains malformed mesh text', () => {
    for (const text of ['', 'batch', 'batch=', 'batch=2,', 'batch=x', 'batch=-1', 'batch=2;model=2']) {
      assert.throws(() => Mesh.parse(text), /Invalid mesh text .*batch=2,model=2/, text);
    }
    assert.throws(() => Mesh.parse('batch=0'), /positive integer size/);
  });

  it('has a single-device default', () => {
    const mesh = Mesh.single();
    assert.equal(mesh.toString(), 'batch=1');
    assert.equal(mesh.size, 1);
    assert.deepEqual(mesh.deviceIds, [0]);
  });
});
