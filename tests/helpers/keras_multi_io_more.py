"""Keras 3 models with several outputs in the forms a Keras user also writes, for
tests/engine/keras/multi-io-more-live.test.ts:

  unlossed     two inputs; a nested Functional "trunk" with two outputs; three outputs, the third
               ("aux") with no loss (loss=[mse, SparseCategoricalCrossentropy, None]) but metrics (mae,
               and "accuracy" as a weighted metric: BinaryAccuracy on its one value), loss_weights,
               metrics and weighted_metrics (a weighted metric named like a plain one: priority_weighted_mae).
  by_name      outputs as a dict; the loss dict leaves "extra" out (Keras allows that for dict outputs).
  weighted     one output with metrics=["accuracy"] and weighted_metrics=["accuracy"].

  python keras_multi_io_more.py make OUTDIR
      Per case: builds it, trains 2 steps, saves CASE.keras, continues 3 steps with train_on_batch on
      its named arrays, saves CASE.after.keras; writes CASE.npz (the continuation's rows, one array
      per input and target) and cases.json (per case: batch, steps, x and y names, Keras's figures).
  python keras_multi_io_more.py load CASE OURS.keras THEIRS.keras DATA.npz BATCH
      Loads both archives, trains each one more step on the first batch, prints JSON: the figures, and
      the largest weight difference relative to the change that step made.
"""
import json
import os
import sys

import numpy as np

import keras
from keras_multi_io import train_both  # same folder: the script's own directory is on sys.path

SCCE = lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # noqa: E731
ADADELTA = lambda: keras.optimizers.Adadelta(learning_rate=1.0)  # noqa: E731


def unlossed():
    t_in = keras.Input(shape=(3,), name="t_in")
    trunk = keras.Model(
        t_in,
        [keras.layers.Dense(5, activation="tanh", name="t_a")(t_in), keras.layers.Dense(3, activation="sigmoid", name="t_b")(t_in)],
        name="trunk",
    )
    numeric = keras.Input(shape=(3,), name="numeric")
    body = keras.Input(shape=(6,), name="body", dtype="int32")
    h1, h2 = trunk(numeric)
    e = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(body))
    priority = keras.layers.Dense(2, name="priority")(keras.layers.Concatenate()([h1, e]))
    department = keras.layers.Dense(4, name="department")(keras.layers.Concatenate()([h2, e]))
    aux = keras.layers.Dense(1, name="aux")(h1)
    model = keras.Model({"numeric": numeric, "body": body}, [priority, department, aux])
    model.compile(
        optimizer=ADADELTA(),
        loss=["mse", SCCE(), None],
        loss_weights=[2.0, 0.7, 0.3],
        metrics={"priority": ["mae"], "aux": ["mae"]},
        weighted_metrics={"priority": ["mae"], "department": ["accuracy"], "aux": ["accuracy"]},
    )
    data = lambda n, r: {  # noqa: E731
        "numeric": r.randn(n, 3).astype("float32"),
        "body": r.randint(0, 20, size=(n, 6)).astype("int32"),
        "priority": r.randn(n, 2).astype("float32"),
        "department": r.randint(0, 4, size=(n,)).astype("int32"),
        # aux has no loss, but its metrics read these (0/1, for its BinaryAccuracy).
        "aux": r.randint(0, 2, size=(n, 1)).astype("float32"),
    }
    return model, data, ["numeric", "body"], ["priority", "department", "aux"]


def by_name():
    x = keras.Input(shape=(4,), name="features")
    h = keras.layers.Dense(6, activation="tanh")(x)
    outs = {
        "score": keras.layers.Dense(1, name="score")(h),
        "label": keras.layers.Dense(3, name="label")(h),
        "extra": keras.layers.Dense(2, name="extra")(h),
    }
    model = keras.Model(x, outs)
    model.compile(
        optimizer=ADADELTA(),
        loss={"score": "mse", "label": SCCE()},
        loss_weights={"score": 1.5, "label": 0.5},
        metrics={"label": ["accuracy"]},
    )
    data = lambda n, r: {  # noqa: E731
        "features": r.randn(n, 4).astype("float32"),
        "score": r.randn(n, 1).astype("float32"),
        "label": r.randint(0, 3, size=(n,)).astype("int32"),
        "extra": r.randn(n, 2).astype("float32"),  # not read (no loss); Keras's metrics want it given
    }
    return model, data, ["features"], ["score", "label", "extra"]


def weighted():
    x = keras.Input(shape=(4,), name="features")
    model = keras.Model(x, keras.layers.Dense(3)(keras.layers.Dense(6, activation="tanh")(x)))
    model.compile(optimizer=ADADELTA(), loss=SCCE(), metrics=["accuracy"], weighted_metrics=["accuracy"])
    data = lambda n, r: {  # noqa: E731
        "x": r.randn(n, 4).astype("float32"),
        "y": r.randint(0, 3, size=(n,)).astype("int32"),
    }
    return model, data, None, None


CASES = {"unlossed": unlossed, "by_name": by_name, "weighted": weighted}


def take(d, k, batch, xs, ys):
    s = slice(k * batch, (k + 1) * batch)
    if xs is None:
        return d["x"][s], d["y"][s]
    return {n: d[n][s] for n in xs}, {n: d[n][s] for n in ys}


def make(outdir, batch=4, before=2, steps=3):
    meta = {}
    for seed, (name, build) in enumerate(CASES.items()):
        keras.utils.set_random_seed(7 + seed)
        model, data, xs, ys = build()
        d = data((before + steps) * batch, np.random.RandomState(11 + seed))
        for k in range(before):
            model.train_on_batch(*take(d, k, batch, xs, ys))
        model.save(os.path.join(outdir, f"{name}.keras"))
        figures = []
        for k in range(steps):
            r = model.train_on_batch(*take(d, before + k, batch, xs, ys), return_dict=True)
            figures.append({n: float(v) for n, v in r.items()})
        model.save(os.path.join(outdir, f"{name}.after.keras"))
        rest = slice(before * batch, (before + steps) * batch)
        np.savez(os.path.join(outdir, f"{name}.npz"), **{k: v[rest] for k, v in d.items()})
        meta[name] = {"batch": batch, "steps": steps, "x": xs, "y": ys, "figures": figures}
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(meta, f)


def load(case, ours_path, theirs_path, data, batch):
    _, _, xs, ys = CASES[case]()
    d = np.load(data)
    x, y = take({k: d[k] for k in d.files}, 0, batch, xs, ys)
    train_both(ours_path, theirs_path, x, y)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        load(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
