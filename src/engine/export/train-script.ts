/**
 * The `train.py` of `dtrain export --cluster`: a short Keras 3 script that continues a run under
 * `keras.distribution` with the run's mesh, its layouts as a LayoutMap, its batch size and its data
 * order (data.npz holds the rows in file order and `order`, the row indices of the run's next batches).
 */
import { Mesh } from '../../core/dtensor/mesh';

const py = (v: unknown): string => (v === null ? 'None' : JSON.stringify(v));

export interface TrainScriptInput {
  runId: string;
  runName: string;
  mesh: string;
  layouts: Record<string, string[]>;
  globalBatchSize: number;
  /** The step the archive was saved at and the data order starts from. */
  step: number;
}

export function trainScript(o: TrainScriptInput): string {
  const mesh = Mesh.parse(o.mesh);
  const dims = mesh.dimNames.map((name, i) => `${py(name)}: ${mesh.shape[i]}`).join(', ');
  const layoutLines = Object.entries(o.layouts).map(([key, specs]) => `    ${py(key)}: (${specs.map((s) => (s === 'unsharded' ? 'None' : py(s))).join(', ')}${specs.length === 1 ? ',' : ''}),`);
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
# The run's layouts: variable-path regex -> sharding per axis (None = not sharded).
LAYOUTS = {
${layoutLines.join('\n')}
}
BATCH_SIZE = ${o.globalBatchSize}


def distribution():
    devices = keras.distribution.list_devices()
    size = math.prod(MESH.values())
    if len(devices) < size:
        raise SystemExit(f"the run's mesh {MESH} needs {size} devices, found {len(devices)}")
    mesh = keras.distribution.DeviceMesh(shape=tuple(MESH.values()), axis_names=list(MESH), devices=devices[:size])
    if not any(axis for specs in LAYOUTS.values() for axis in specs):
        return keras.distribution.DataParallel(device_mesh=mesh)
    layout_map = keras.distribution.LayoutMap(mesh)
    for key, specs in LAYOUTS.items():
        layout_map[key] = specs
    return keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name=list(MESH)[0])


def main():
    data = np.load(os.path.join(HERE, "data.npz"))
    x, y, order = data["x"], data["y"], data["order"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=len(order) // BATCH_SIZE, help="steps to train (default: the run's remaining steps)")
    parser.add_argument("--out", default=os.path.join(HERE, "trained.keras"), help="where to save the trained archive")
    args = parser.parse_args()

    if os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES"):
        keras.distribution.initialize()
    keras.distribution.set_distribution(distribution())
    model = keras.saving.load_model(os.path.join(HERE, "model.keras"))
    for step in range(args.steps):
        # The run's data order: batch i is rows order[i*B : (i+1)*B], wrapping around the end of order.
        rows = order[(step * BATCH_SIZE + np.arange(BATCH_SIZE)) % len(order)]
        loss = model.train_on_batch(x[rows], y[rows])
        print(f"step {step + 1}/{args.steps} loss {float(loss):.6f}", flush=True)
    model.save(args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
`;
}
