"""A Keras 3 model with two inputs and two outputs, as a Keras user writes one, for
tests/engine/keras/multi-io-live.test.ts.

  python keras_multi_io.py make OUTDIR
      Builds the model (a numeric vector and a token sequence through an Embedding; a regression output
      with mse and a classification output with sparse categorical crossentropy, loss_weights 2.0 and
      0.7, Adadelta), trains 2 steps, saves multi_io.keras, continues 3 steps with train_on_batch on
      dict inputs and targets, saves multi_io.after.keras. Writes multi_io.npz (one array per input and
      target, the continuation's rows in order) and multi_io.json (batch, steps, Keras's figures per step).
  python keras_multi_io.py load OURS.keras THEIRS.keras DATA.npz BATCH
      Loads both archives with keras.saving.load_model, trains each one more step on the first batch,
      prints JSON: the losses, and the largest weight difference relative to the change that step made.
"""
import json
import os
import sys

import numpy as np

import keras

NAME = "multi_io"


def build():
    # Keras's order (numeric, body; priority, department) is not the names' order: the packing is by name.
    numeric = keras.Input(shape=(3,), name="numeric")
    body = keras.Input(shape=(6,), name="body", dtype="int32")
    e = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(body))
    h = keras.layers.Dense(8, activation="tanh")(keras.layers.Concatenate()([numeric, e]))
    priority = keras.layers.Dense(2, name="priority")(h)
    department = keras.layers.Dense(4, name="department")(h)
    model = keras.Model({"numeric": numeric, "body": body}, [priority, department])
    model.compile(
        optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
        loss={"department": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "priority": "mse"},
        loss_weights={"department": 0.7, "priority": 2.0},
        metrics={"department": ["accuracy"], "priority": ["mae"]},
    )
    return model


def batches(n, batch, rng):
    return {
        "numeric": rng.randn(n * batch, 3).astype("float32"),
        "body": rng.randint(0, 20, size=(n * batch, 6)).astype("int32"),
        "priority": rng.randn(n * batch, 2).astype("float32"),
        "department": rng.randint(0, 4, size=(n * batch,)).astype("int32"),
    }


def take(d, k, batch):
    s = slice(k * batch, (k + 1) * batch)
    return {n: d[n][s] for n in ("numeric", "body")}, {n: d[n][s] for n in ("priority", "department")}


def make(outdir, batch=4, before=2, steps=3):
    keras.utils.set_random_seed(7)
    model = build()
    d = batches(before + steps, batch, np.random.RandomState(11))
    for k in range(before):
        model.train_on_batch(*take(d, k, batch))
    model.save(os.path.join(outdir, f"{NAME}.keras"))
    figures = []
    for k in range(steps):
        r = model.train_on_batch(*take(d, before + k, batch), return_dict=True)
        figures.append({n: float(v) for n, v in r.items()})
    model.save(os.path.join(outdir, f"{NAME}.after.keras"))
    rest = slice(before * batch, (before + steps) * batch)
    np.savez(os.path.join(outdir, f"{NAME}.npz"), **{k: v[rest] for k, v in d.items()})
    with open(os.path.join(outdir, f"{NAME}.json"), "w") as f:
        json.dump({"batch": batch, "steps": steps, "figures": figures}, f)


def load(ours_path, theirs_path, data, batch):
    d = np.load(data)
    x, y = take({k: d[k] for k in d.files}, 0, batch)
    train_both(ours_path, theirs_path, x, y)


def train_both(ours_path, theirs_path, x, y):
    """One train_on_batch on our export and on Keras's own archive: the figures, and how far apart the weights land."""
    ours = keras.saving.load_model(ours_path)
    theirs = keras.saving.load_model(theirs_path)
    before = [np.asarray(w).copy() for w in theirs.weights]
    a = ours.train_on_batch(x, y, return_dict=True)
    b = theirs.train_on_batch(x, y, return_dict=True)
    worst = 0.0
    for wa, wb, w0 in zip(ours.weights, theirs.weights, before):
        change = float(np.abs(np.asarray(wb) - w0).max())
        if change > 0:
            worst = max(worst, float(np.abs(np.asarray(wa) - np.asarray(wb)).max()) / change)
    print(json.dumps({"ours": {k: float(v) for k, v in a.items()}, "keras": {k: float(v) for k, v in b.items()}, "worst_vs_step_change": worst}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        load(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
