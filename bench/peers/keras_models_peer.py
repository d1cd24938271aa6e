"""Keras 3 peer for `npm run bench -- models`: builds the bench's four models, writes each as a .keras
archive with its batches (so dtrain trains exactly the same model and data), and times Keras's own
training step on them.

  python keras_models_peer.py OUTDIR write     # OUTDIR/NAME.keras and OUTDIR/NAME.npz (x, y)
  python keras_models_peer.py OUTDIR time      # one JSON line: {"keras", "backend", NAME: samples/s,
                                               #   "cpu": {NAME: CPU ms per step}}

The bench runs it with KERAS_BACKEND=jax; the PyTorch figure comes from torch_models_peer.py, which
trains the same models in plain torch.nn on the batches written here. Each
figure is the best of a few timed rounds of `train_on_batch` after warm-up (compilation excluded), on
one intra-op thread, as dtrain's single-threaded worker. The CPU figure (time.process_time, every
thread of the process) is the best round's too: it moves less than wall time with the machine's load.
"""
import json
import os
import sys
import time

import numpy as np

import keras
from keras import layers as L
from keras import ops

WARMUP, STEPS, ROUNDS = 3, 4, 3
# Every side also warms up for 2 s, as dtrain does (bench/models.ts: V8 optimises over tens of steps).
WARM_SECONDS = 2.0


def resnet50():
    return keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10), {"image": (32, 32, 3)}


def mobilenet_v2():
    return keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10), {"image": (32, 32, 3)}


def lstm():
    # keras.io's bidirectional LSTM text classifier at a bench size.
    i = keras.Input(shape=(64,), dtype="int32")
    x = L.Embedding(2000, 64)(i)
    x = L.LSTM(64, return_sequences=True)(x)
    x = L.LSTM(64)(x)
    return keras.Model(i, L.Dense(10, activation="softmax")(x)), {"ids": 2000, "length": 64}


def transformer():
    # keras.io's text_classification_with_transformer: one encoder block, position ids as ops.
    maxlen, vocab, dim, heads, ff = 64, 2000, 64, 4, 128
    i = keras.Input(shape=(maxlen,), dtype="int32")
    positions = ops.cumsum(ops.ones_like(i), axis=1) - 1
    x = L.Embedding(vocab, dim)(i) + L.Embedding(maxlen, dim)(positions)
    attn = L.MultiHeadAttention(num_heads=heads, key_dim=dim // heads)(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(x + attn)
    f = L.Dense(ff, activation="relu")(x)
    x = L.LayerNormalization(epsilon=1e-6)(x + L.Dense(dim)(f))
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(i, L.Dense(10, activation="softmax")(x)), {"ids": vocab, "length": maxlen}


MODELS = {"ResNet50": resnet50, "MobileNetV2": mobilenet_v2, "LSTM": lstm, "Transformer": transformer}
BATCH = 32


def batch_of(spec, rng):
    if "image" in spec:
        x = rng.standard_normal((BATCH, *spec["image"])).astype("float32")
    else:
        x = rng.integers(0, spec["ids"], (BATCH, spec["length"])).astype("int32")
    return x, rng.integers(0, 10, (BATCH,)).astype("int32")


def compiled(name):
    keras.utils.set_random_seed(1)
    model, spec = MODELS[name]()
    model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0), loss="sparse_categorical_crossentropy")
    return model, spec


def write(outdir):
    for name in MODELS:
        model, spec = compiled(name)
        x, y = batch_of(spec, np.random.default_rng(2))
        model.save(os.path.join(outdir, f"{name}.keras"))
        np.savez(os.path.join(outdir, f"{name}.npz"), x=x, y=y)


def time_all():
    out = {"keras": keras.__version__, "backend": keras.backend.backend(), "cpu": {}}
    for name in MODELS:
        model, spec = compiled(name)
        x, y = batch_of(spec, np.random.default_rng(2))
        for _ in range(WARMUP):
            model.train_on_batch(x, y)
        warm_until = time.perf_counter() + WARM_SECONDS
        while time.perf_counter() < warm_until:
            model.train_on_batch(x, y)
        best, cpu = 0.0, float("inf")
        for _ in range(ROUNDS):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(STEPS):
                model.train_on_batch(x, y)
            best = max(best, BATCH * STEPS / (time.perf_counter() - t0))
            cpu = min(cpu, (time.process_time() - c0) * 1000 / STEPS)
        out[name] = best
        out["cpu"][name] = cpu
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[2] == "write":
        write(sys.argv[1])
    else:
        time_all()
