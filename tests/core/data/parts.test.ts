// Named arrays packed into one row per example (core/data/parts.ts): by name whatever order they were
// given in, values exact (integer ids included), several targets as float targets with their label
// ranges, one target keeping a plain y's class rules, and unequal rows refused naming the odd array.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { datasetFromParts, type NpyArray } from '../../../src/core/data/index';

const arr = (dtype: NpyArray['dtype'], shape: number[], values: number[]): NpyArray => ({
  dtype,
  shape,
  data: dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values),
});
const named = (name: string, array: NpyArray) => ({ name, label: `x.${name}`, array });

test('rows hold each input by name, then each target by name', () => {
  const ds = datasetFromParts(
    'd',
    [named('numeric', arr('float32', [2, 2], [0.5, 1.5, 2.5, 3.5])), named('body', arr('int32', [2, 3], [1, 2, 3, 4, 5, 6]))],
    [named('priority', arr('float32', [2], [9.5, 8.5])), named('department', arr('int32', [2], [3, 0]))],
  );
  assert.deepEqual(Array.from(ds.x), [1, 2, 3, 0.5, 1.5, 4, 5, 6, 2.5, 3.5]);
  assert.deepEqual(ds.featureShape, [5]);
  assert.deepEqual(Array.from(ds.y), [3, 9.5, 0, 8.5]);
  assert.equal(ds.task, 'regression');
  assert.deepEqual(
    ds.xParts!.map((p) => [p.name, p.shape]),
    [
      ['body', [3]],
      ['numeric', [2]],
    ],
  );
  assert.deepEqual(
    ds.yParts!.map((p) => [p.name, p.integral, p.min, p.max]),
    [
      ['department', true, 0, 3],
      ['priority', false, 8.5, 9.5],
    ],
  );
});

test('one named target keeps the rules of a plain y: integer labels are classes', () => {
  const ds = datasetFromParts('d', [named('a', arr('float32', [3, 1], [1, 2, 3]))], [named('cls', arr('int32', [3], [0, 2, 1]))]);
  assert.equal(ds.task, 'classification');
  assert.equal(ds.numClasses, 3);
});

test('unequal rows name the array that differs from the rest', () => {
  assert.throws(
    () =>
      datasetFromParts(
        'd',
        [named('a', arr('float32', [4], [1, 2, 3, 4])), named('b', arr('float32', [3], [1, 2, 3]))],
        [named('y', arr('float32', [4], [1, 2, 3, 4]))],
      ),
    /x\.b has 3 rows but x\.a has 4/,
  );
});
