"""Continues a .keras archive with real Keras: load_model, then one train_on_batch per given batch.

Usage: python keras_continue.py REQUEST.json  (KERAS_BACKEND=jax)
REQUEST: {"archive": path, "batches": [{"x": [...], "y": [...]}, ...], "x_dtype": "float32"|"int32"}
Prints JSON: the state after loading ("loaded") and after the batches ("after"): weights by
model.weights order, optimizer variables by optimizer.variables order, and the per-step losses.
"""
import json
import sys

import keras
import numpy as np


def state(model):
    return {
        "weights": [{"path": w.path, "shape": list(w.shape), "values": np.asarray(w).ravel().tolist()} for w in model.weights],
        "optimizer": [{"path": v.path, "shape": list(v.shape), "values": np.asarray(v).ravel().astype(float).tolist()} for v in model.optimizer.variables],
    }


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    model = keras.saving.load_model(request["archive"])
    loaded = state(model)
    losses = []
    for batch in request["batches"]:
        x = np.asarray(batch["x"], dtype=request.get("x_dtype", "float32"))
        y = np.asarray(batch["y"])
        losses.append(float(model.train_on_batch(x, y, return_dict=True)["loss"]))  # metrics come too when compiled with any
    json.dump({"loaded": loaded, "after": {**state(model), "losses": losses}}, sys.stdout)


if __name__ == "__main__":
    main()
