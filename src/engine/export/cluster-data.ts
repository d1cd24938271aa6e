/**
 * The `data.npz` of `dtrain export --cluster`: the run's dataset in file order and `order`, the row
 * indices of the run's next batches as the workers would read them. One `x` and one `y` for a model
 * fit on one array each; a model with several inputs or outputs gets one array per input and target,
 * named `x.<input>` and `y.<output>` (train.py fits on dicts of them, as `fit` takes them).
 */
import { encodeNpz, isIntegerDtype, localBatchIndices, type NpzEntry } from '../../core/data/index';
import type { ArrayPart, Dataset } from '../../core/data/index';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The run's batch order from `step` on, for `steps` steps of `batch` rows. */
export function batchOrder(numExamples: number, batch: number, seed: number, step: number, steps: number, shuffle: boolean) {
  const order = new Int32Array(steps * batch);
  for (let t = 0; t < steps; t++) order.set(localBatchIndices(numExamples, batch, seed, step + t, 1, 0, { shuffle }), t * batch);
  return order;
}

/** Each named array out of the packed rows (every part's values one after another, in packed order). */
function unpacked(prefix: 'x' | 'y', packed: ArrayLike<number>, n: number, parts: ArrayPart[]): NpzEntry[] {
  const width = parts.reduce((a, p) => a + size(p.shape), 0);
  let offset = 0;
  return parts.map((p) => {
    const w = size(p.shape);
    const int = isIntegerDtype(p.dtype as Parameters<typeof isIntegerDtype>[0]);
    const values = int ? new Int32Array(n * w) : new Float32Array(n * w);
    for (let r = 0; r < n; r++) for (let k = 0; k < w; k++) values[r * w + k] = packed[r * width + offset + k]!;
    offset += w;
    // A row of one value was a 1-D array (class ids as Keras's sparse losses take them).
    const shape = w === 1 && p.shape.length === 1 ? [n] : [n, ...p.shape];
    return { name: `${prefix}.${p.name}`, values, dtype: int ? 'int32' : 'float32', shape };
  });
}

export function clusterNpz(ds: Dataset, order: Int32Array): Uint8Array {
  const n = ds.numExamples;
  const intX = ds.xDtype !== undefined && /int/.test(ds.xDtype);
  const xs: NpzEntry[] = ds.xParts
    ? unpacked('x', ds.x, n, ds.xParts)
    : [
        {
          name: 'x',
          values: intX ? Int32Array.from(ds.x) : ds.x,
          dtype: intX ? 'int32' : 'float32',
          shape: [n, ...ds.featureShape],
        },
      ];
  const ys: NpzEntry[] = ds.yParts
    ? unpacked('y', ds.y, n, ds.yParts)
    : [
        ds.task === 'regression'
          ? { name: 'y', values: ds.y, dtype: 'float32', shape: [n, ds.targetDim ?? 1] }
          : { name: 'y', values: ds.y, dtype: 'int32', shape: [n] },
      ];
  return encodeNpz([...xs, ...ys, { name: 'order', values: order, dtype: 'int32', shape: [order.length] }]);
}
