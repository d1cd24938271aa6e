"""Float64 truths for a live-Keras case (keras_cases.py), to tell float32 rounding from a difference of
formula in deep networks whose float32 training is chaotic. For case NAME in DIR it writes:
  NAME.f32.stepK.keras  Keras's own float32 continuation after K of the case's steps (K = 1…steps−1;
                        reloading the archive reproduces Keras's losses exactly, checked here),
  NAME.f64.fromK.keras  one step from Keras's float32 state K (NAME.keras for K = 0) in float64,
  NAME.f64.keras        the whole continuation from NAME.keras in float64,
  NAME.truth.json       {"losses_f64": […]} (the whole float64 continuation's losses).
Float64 is Keras 3 on JAX with x64 enabled, every dtype policy and input float64, the optimizer's
variables float64. The .json last: its presence says the files are complete.

Usage: python keras_truth.py DIR CASE [CASE ...]   (KERAS_BACKEND=jax)
"""
import json
import os
import sys
import tempfile
import zipfile

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import keras  # noqa: E402


def to_float64(node):
    """The config with every float32 dtype (policies and input layers) made float64."""
    if isinstance(node, dict):
        return {k: to_float64(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_float64(v) for v in node]
    return "float64" if node == "float32" else node


def load_float64(src, work):
    dst = os.path.join(work, "f64.keras")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "config.json":
                data = json.dumps(to_float64(json.loads(data))).encode()
            zout.writestr(item, data)
    model = keras.saving.load_model(dst)
    every = model.variables + model.optimizer.variables
    wrong = [v.path for v in every if "float" in str(v.dtype) and str(v.dtype) != "float64"]
    if wrong:
        raise SystemExit(f"not float64: {wrong[:5]}")
    return model


def assign_state(model, source):
    """Every model and optimizer variable of `source` (float32) into `model` (float64), in order."""
    for mine, theirs in zip(model.variables + model.optimizer.variables, source.variables + source.optimizer.variables):
        mine.assign(np.asarray(theirs).astype(mine.dtype))


def truth(outdir, name):
    path = lambda suffix: os.path.join(outdir, f"{name}{suffix}")
    d = np.load(path(".npz"))
    b = json.load(open(path(".json")))["batch"]
    steps = len(d["losses"])
    batch = lambda k, dtype: tuple(
        a[k * b : (k + 1) * b].astype(dtype) if a.dtype == np.float32 else a[k * b : (k + 1) * b] for a in (d["x"], d["y"])
    )
    keras32 = keras.saving.load_model(path(".keras"))
    for k in range(steps - 1):
        loss = float(keras32.train_on_batch(*batch(k, "float32")))
        if loss != float(d["losses"][k]):
            raise SystemExit(f"{name}: reloaded Keras reaches loss {loss} at step {k}, not {d['losses'][k]}")
        keras32.save(path(f".f32.step{k + 1}.keras"))
    # Float64 from here on: Keras takes the loss's and the optimizer's dtype from floatx.
    keras.config.set_floatx("float64")
    with tempfile.TemporaryDirectory() as work:
        model = load_float64(path(".keras"), work)
        for k in range(steps):
            if k > 0:
                assign_state(model, keras.saving.load_model(path(f".f32.step{k}.keras")))
            model.train_on_batch(*batch(k, "float64"))
            model.save(path(f".f64.from{k}.keras"))
        assign_state(model, keras.saving.load_model(path(".keras")))
        losses = [float(model.train_on_batch(*batch(k, "float64"))) for k in range(steps)]
        model.save(path(".f64.keras"))
    keras.config.set_floatx("float32")
    with open(path(".truth.json"), "w") as f:
        json.dump({"losses_f64": losses}, f)


if __name__ == "__main__":
    for case in sys.argv[2:]:
        truth(sys.argv[1], case)
