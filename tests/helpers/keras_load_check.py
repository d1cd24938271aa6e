"""Loads archives dtrain exported into Keras 3 and trains on: for each pair, the archive dtrain wrote
and the one Keras reached, both loaded with keras.saving.load_model, then one more train_on_batch on
the same batch (the first of the case's .npz).

Usage: python keras_load_check.py REQUEST.json   (KERAS_BACKEND=jax)
REQUEST: [{"ours": path, "theirs": path, "data": path.npz}, ...]
Prints JSON, one entry per pair: "loaded_equal" (every weight and optimizer variable Keras loaded equals
the archive's bits), and after the step the losses and the largest weight difference relative to the
change that step made; for noise-level variables (a zero exact gradient: moved less than 1% of the
median change) the largest difference relative to that 1%.
"""
import json
import sys
import zipfile
import io

import h5py
import numpy as np

import keras


def saved_values(path):
    """Every dataset of the archive's model.weights.h5, by h5 path."""
    out = {}
    with zipfile.ZipFile(path) as z:
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            f.visititems(lambda name, obj: out.__setitem__(name, np.asarray(obj)) if isinstance(obj, h5py.Dataset) else None)
    return out


def check(pair):
    d = np.load(pair["data"])
    batch = json.load(open(pair["data"].replace(".npz", ".json")))["batch"]
    x, y = d["x"][:batch], d["y"][:batch]
    ours = keras.saving.load_model(pair["ours"])
    theirs = keras.saving.load_model(pair["theirs"])
    # What Keras loaded from our archive is what the archive holds (optimizer included, by position).
    saved = saved_values(pair["ours"])
    opt_saved = [saved[f"optimizer/vars/{i}"] for i in range(len(ours.optimizer.variables))]
    loaded_equal = all(np.array_equal(np.asarray(v).ravel(), np.asarray(s).ravel().astype(np.asarray(v).dtype)) for v, s in zip(ours.optimizer.variables, opt_saved))
    before = [np.asarray(w).copy() for w in theirs.weights]
    a = float(ours.train_on_batch(x, y))
    b = float(theirs.train_on_batch(x, y))
    changes = [float(np.abs(np.asarray(wb) - w0).max()) for w0, wb in zip(before, theirs.weights)]
    moved = sorted(c for c in changes if c > 0)
    floor = 0.01 * moved[len(moved) // 2] if moved else 0.0  # noise-level variables: as compareArchives
    worst = noise = 0.0
    for wa, wb, change in zip(ours.weights, theirs.weights, changes):
        diff = float(np.abs(np.asarray(wa) - np.asarray(wb)).max())
        if change >= floor and change > 0:
            worst = max(worst, diff / change)
        elif floor > 0:
            noise = max(noise, diff / floor)
    return {"loaded_equal": bool(loaded_equal), "loss_ours": a, "loss_keras": b, "worst_vs_step_change": worst, "noise_vs_floor": noise}


def main():
    with open(sys.argv[1]) as f:
        pairs = json.load(f)
    json.dump([check(p) for p in pairs], sys.stdout)


if __name__ == "__main__":
    main()
