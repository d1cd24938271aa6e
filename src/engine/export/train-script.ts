/**
 * The `train.py` of `dtrain export --cluster`: a short Keras 3 script that continues a run under
 * `keras.distribution` with the run's mesh, its layouts as a LayoutMap, its batch size and its data
 * order (data.npz holds the rows in file order and `order`, the row indices of the run's next batches).
 */
import type { Mesh } from '../../core/dtensor/mesh';
import type { ClusterVariable } from './cluster-layouts';

const py = (v: unknown): string => (v === null ? 'None' : JSON.stringify(v));

export interface TrainScriptInput {
  runId: string;
  runName: string;
  mesh: Mesh;
  /** Every variable's exact Keras path and sharding on the cluster (cluster-layouts.ts). */
  variables: ClusterVariable[];
  globalBatchSize: number;
  /** The step the archive was saved at and the data order starts from. */
  step: number;
  /** Outputs no loss or metric reads, and their shapes: Keras wants targets for them (any: it reads none). */
  unusedTargets?: { name: string; shape: number[] }[];
}

export function trainScript(o: TrainScriptInput): string {
  const { mesh } = o;
  const dims = mesh.dimNames.map((name, i) => `${py(name)}: ${mesh.shape[i]}`).join(', ');
  const layoutLines = o.variables.map(
    (v) => `    ${py(v.kerasPath)}: (${v.specs.map(py).join(', ')}${v.specs.length === 1 ? ',' : ''}),`,
  );
  const notes = o.variables.filter((v) => v.unsharded.length > 0).map((v) => `#   ${v.kerasPath}: ${v.unsharded.join('; ')}`);
  const notesBlock =
    notes.length === 0
      ? ''
      : `# Sharded by the run but not here (dtrain splits an axis unevenly, JAX's shardings refuse it):\n${notes.join('\n')}\n`;
  return `"""Continue dtrain run ${o.runId} (${o.runName.replace(/"/g, "'")}) from its step ${o.step} with Keras 3 under keras.distribution.

    python train.py [--steps N] [--out FILE.keras]

Single host: runs on this host's devices. Multi-host: set KERAS_DISTRIBUTION_JOB_ADDRESSES
(host:port of every process, comma-separated), KERAS_DISTRIBUTION_NUM_PROCESSES and
KERAS_DISTRIBUTION_PROCESS_ID on each host; keras.distribution.initialize() reads them.
Written by 'dtrain export --cluster'; bring the result back with 'dtrain train --config import.json'.
"""
import argparse
import math
import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # keras.distribution runs on JAX

import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MESH = {${dims}}  # the run's mesh: axis name -> size
# Every variable's exact Keras path -> its mesh dim per axis (None = not sharded). Keras 3 matches
# LayoutMap keys against variable.path with re.fullmatch, so these are paths, not the run's regexes.
${notesBlock}LAYOUTS = {
${layoutLines.join('\n')}
}
BATCH_SIZE = ${o.globalBatchSize}
# Outputs no loss or metric reads -> their shape: zeros stand in for their targets, which Keras does not read.
UNUSED_TARGETS = {${(o.unusedTargets ?? []).map((t) => `${py(t.name)}: (${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''})`).join(', ')}}


def distribution():
    devices = keras.distribution.list_devices()
    size = math.prod(MESH.values())
    if len(devices) < size:
        raise SystemExit(f"the run's mesh {MESH} needs {size} devices, found {len(devices)}")
    mesh = keras.distribution.DeviceMesh(shape=tuple(MESH.values()), axis_names=list(MESH), devices=devices[:size])
    if not any(axis for specs in LAYOUTS.values() for axis in specs):
        dist = keras.distribution.DataParallel(device_mesh=mesh)
    else:
        layout_map = keras.distribution.LayoutMap(mesh)
        for key, specs in LAYOUTS.items():
            layout_map[key] = specs
        dist = keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name=list(MESH)[0])
    replicas = list(MESH.values())[0]
    if BATCH_SIZE % replicas:
        # dtrain splits a batch unevenly over the devices, JAX's shardings cannot: every device then
        # sees the whole batch (the same numbers, each computed on every replica).
        print(f"note: the batch of {BATCH_SIZE} does not divide over {list(MESH)[0]}={replicas}; the batch is replicated, not split", flush=True)
        dist.get_data_layout = lambda shape: keras.distribution.TensorLayout([None] * len(shape), mesh)
    return dist


def process_rows(rows, example_shape):
    """This process's part of a global batch (keras.distribution takes each process's own rows)."""
    import jax

    if jax.process_count() == 1:
        return rows
    layout = keras.distribution.distribution().get_data_layout((len(rows),) + example_shape)
    spans = layout.backend_layout.addressable_devices_indices_map((len(rows),) + example_shape).values()
    starts = sorted({(s[0].start or 0, len(rows) if s[0].stop is None else s[0].stop) for s in spans})
    return np.concatenate([rows[a:b] for a, b in starts])


def arrays(data, prefix):
    """One array (\`x\`), or a dict of the arrays named \`x.<input>\` (a model with several inputs or outputs)."""
    named = {key[len(prefix) + 1 :]: data[key] for key in data.files if key.startswith(prefix + ".")}
    return named or data[prefix]


def rows_of(a, rows):
    return {name: v[rows] for name, v in a.items()} if isinstance(a, dict) else a[rows]


def main():
    data = np.load(os.path.join(HERE, "data.npz"))
    x, y, order = arrays(data, "x"), arrays(data, "y"), data["order"]
    example_shape = (next(iter(x.values())) if isinstance(x, dict) else x).shape[1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=len(order) // BATCH_SIZE, help="steps to train (default: the run's remaining steps)")
    parser.add_argument("--out", default=os.path.join(HERE, "trained.keras"), help="where to save the trained archive")
    args = parser.parse_args()

    if os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES"):
        keras.distribution.initialize()
    keras.distribution.set_distribution(distribution())
    model = keras.saving.load_model(os.path.join(HERE, "model.keras"))
    unknown = sorted(set(LAYOUTS) - {v.path for v in model.weights})
    if unknown:
        raise SystemExit(f"LAYOUTS names variables this model does not have: {unknown}")
    for step in range(args.steps):
        # The run's data order: batch i is rows order[i*B : (i+1)*B], wrapping around the end of order.
        rows = process_rows(order[(step * BATCH_SIZE + np.arange(BATCH_SIZE)) % len(order)], example_shape)
        targets = rows_of(y, rows)
        for name, shape in UNUSED_TARGETS.items():
            targets[name] = np.zeros((len(rows),) + shape, "float32")
        logs = model.train_on_batch(rows_of(x, rows), targets, return_dict=True)
        figures = " ".join(f"{name} {float(value):.6f}" for name, value in logs.items())
        print(f"step {step + 1}/{args.steps} {figures}", flush=True)
    model.save(args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
`;
}
