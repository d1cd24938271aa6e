"""Builds Keras 3 models (JAX backend), trains them a few steps with Adadelta, and writes what a test
compares dtrain with: for each case NAME in OUTDIR,
  NAME.keras        the archive after `before` steps (weights, non-trainable state, optimizer slots),
  NAME.after.keras  the archive after `steps` more steps on the batches in NAME.npz,
  NAME.npz          x (every batch, concatenated), y, losses (Keras's loss at each of those steps),
  NAME.json         {"batch", "steps", "x_dtype", "task", "input_shape"}.

Usage: python keras_cases.py OUTDIR CASE [CASE ...]   (KERAS_BACKEND=jax; CASE names: see CASES)
       python keras_cases.py --list
"""
import json
import os
import sys

import numpy as np

import keras
from keras import layers as L
from keras import ops

# --- the layer cases: small models, each exercising a family of layers ---------------------------


def conv2d_family():
    i = keras.Input((9, 9, 4))
    x = L.ZeroPadding2D(((1, 0), (0, 1)))(i)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Conv2D(8, 3, groups=4, padding="same")(x)
    x = L.DepthwiseConv2D(3, depth_multiplier=2, padding="valid", activation="hard_silu")(x)
    x = L.SeparableConv2D(6, 2, padding="same")(x)
    x = L.Cropping2D(((1, 0), (0, 1)))(x)
    x = L.UpSampling2D(2)(x)
    x = L.MaxPooling2D(3, strides=2, padding="same")(x)
    x = L.AveragePooling2D(2, padding="same")(x)
    x = L.Conv2D(4, 1, groups=2, use_bias=False)(x)
    x = L.GlobalMaxPooling2D()(x)
    return keras.Model(i, L.Dense(3)(x)), "sparse_categorical_crossentropy_logits"


def depthwise_groups():
    # ConvNeXt's depthwise form (groups = channels) and a grouped conv with several filters per group.
    i = keras.Input((6, 6, 6))
    x = L.Conv2D(6, 3, groups=6, padding="same")(i)
    x = L.Conv2D(6, 3, groups=3, strides=2, padding="valid", activation="gelu")(x)
    x = L.DepthwiseConv2D((2, 1), strides=(1, 1), padding="same", use_bias=False)(x)
    x = L.GlobalAveragePooling2D(keepdims=True)(x)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(2)(x)), "mse"


def batchnorm():
    i = keras.Input((6, 6, 3))
    x = L.Conv2D(4, 3, use_bias=False)(i)
    x = L.BatchNormalization(momentum=0.9)(x)
    x = L.ReLU()(x)
    y = L.Conv2D(4, 1)(x)
    y = L.BatchNormalization(center=False, epsilon=1e-5)(y)
    x = L.Add()([x, y])
    x = L.BatchNormalization(scale=False)(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(5)(x)
    x = L.BatchNormalization()(x)
    return keras.Model(i, L.Dense(3)(x)), "sparse_categorical_crossentropy_logits"


def batchnorm_pairs():
    # Trained on batches of 2: on 2 devices each holds 1 example, whose own variance is 0 everywhere.
    model, loss = batchnorm()
    return model, loss, {"batch": 2}


def conv1d_family():
    i = keras.Input((12, 3))
    x = L.Conv1D(4, 3, padding="causal")(i)
    x = L.Conv1D(4, 3, strides=2, padding="same", groups=2, activation="tanh")(x)
    x = L.ZeroPadding1D(1)(x)
    x = L.MaxPooling1D(2)(x)
    x = L.UpSampling1D(2)(x)
    x = L.Cropping1D((1, 0))(x)
    x = L.AveragePooling1D(2, padding="same")(x)
    x = L.SeparableConv1D(4, 2, padding="same")(x)
    x = L.DepthwiseConv1D(2)(x)
    a = L.GlobalAveragePooling1D()(x)
    b = L.GlobalMaxPooling1D()(x)
    x = L.Concatenate()([a, b])
    return keras.Model(i, L.Dense(2)(x)), "mse"


def activation_layers():
    i = keras.Input((10,))
    x = L.Dense(8)(i)
    x = L.LeakyReLU(0.1)(x)
    x = L.Dense(8)(x)
    x = L.ELU(0.5)(x)
    x = L.Dense(8)(x)
    x = L.PReLU(alpha_initializer=keras.initializers.Constant(0.25))(x)
    x = L.Dense(8)(x)
    x = L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.05)(x)
    x = L.Dense(8)(x)
    x = L.ReLU(6.0)(x)
    x = L.Dense(4)(x)
    x = L.Softmax()(x)
    return keras.Model(i, x), "categorical_crossentropy"


ACTIVATIONS = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "tanh", "tanh_shrink", "sigmoid", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "hard_shrink", "soft_shrink", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "squareplus", "exponential", "silu", "swish", "mish", "gelu", "log_sigmoid", "linear",
]


def activation_names():
    # Every elementwise activation by name, each on its own Dense layer, summed at the end.
    i = keras.Input((6,))
    outs = [L.Dense(3, activation=a, name=f"act_{a}")(i) for a in ACTIVATIONS]
    x = L.Add()(outs)
    x = L.Dense(4, activation="log_softmax")(x)
    x = L.Dense(5, activation="sparsemax")(x)
    return keras.Model(i, L.Dense(2, activation="softmax")(x)), "categorical_crossentropy"


def preprocessing():
    i = keras.Input((5, 5, 3))
    x = L.Rescaling(1 / 255.0, offset=-0.5)(i)
    norm = L.Normalization()
    norm.adapt(np.random.RandomState(3).rand(20, 5, 5, 3).astype("float32") - 0.5)
    x = norm(x)
    x = L.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 4.0, 0.25])(x)
    x = L.Conv2D(3, 2)(x)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(2)(x)), "mse", {"x_scale": 255.0}


def merging():
    i = keras.Input((4,))
    a = L.Dense(6, activation="tanh")(i)
    b = L.Dense(6, activation="sigmoid")(i)
    c = L.Dense(6)(i)
    m = [L.Multiply()([a, b]), L.Subtract()([a, c]), L.Average()([a, b, c]), L.Maximum()([a, c]), L.Minimum()([b, c])]
    x = L.Concatenate()(m)
    d = L.Dot(axes=1, normalize=True)([a, c])
    x = L.Concatenate()([x, d])
    x = L.Identity()(x)
    x = L.RepeatVector(3)(x)
    x = L.Permute((2, 1))(x)
    x = L.Reshape((-1,))(x)
    return keras.Model(i, L.Dense(3)(x)), "mse"


def lstm_stack():
    i = keras.Input((5, 3))
    x = L.LSTM(4, return_sequences=True)(i)
    x = L.LSTM(4, return_sequences=True, go_backwards=True)(x)
    x = L.LSTM(3, unit_forget_bias=False, activation="relu")(x)
    return keras.Model(i, L.Dense(2)(x)), "mse"


def gru_stack():
    i = keras.Input((5, 3))
    x = L.GRU(4, return_sequences=True)(i)
    x = L.GRU(4, return_sequences=True, reset_after=False, go_backwards=True)(x)
    x = L.GRU(3, use_bias=False)(x)
    return keras.Model(i, L.Dense(2)(x)), "mse"


def rnn_states():
    i = keras.Input((4, 3))
    seq, h = L.SimpleRNN(4, return_sequences=True, return_state=True)(i)
    out, h2, c2 = L.LSTM(3, return_state=True)(seq)
    g = L.GRU(3)(seq, initial_state=[h2])
    x = L.Concatenate()([h, out, h2, c2, g])
    return keras.Model(i, L.Dense(2)(x)), "mse"


def bidirectional():
    i = keras.Input((5, 3))
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(i)
    y = L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="sum")(x)
    z = L.Bidirectional(L.SimpleRNN(2, return_sequences=True), merge_mode="mul")(x)
    w = L.Bidirectional(L.LSTM(2), merge_mode="ave")(L.Concatenate()([y, z]))
    f, b = L.Bidirectional(L.GRU(2), merge_mode=None)(x)
    v = L.Concatenate()([w, f, b])
    return keras.Model(i, L.Dense(2)(v)), "mse"


def attention():
    q = keras.Input((5, 8))
    x = L.MultiHeadAttention(2, 4)(q, q)
    x = L.LayerNormalization()(L.Add()([q, x]))
    y = L.MultiHeadAttention(3, 2, output_shape=6, use_bias=False)(x, L.Dense(7)(x), L.Dense(5)(x))
    z = L.MultiHeadAttention(2, 3)(x, x, use_causal_mask=True)
    x = L.Concatenate()([y, z])
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(q, L.Dense(3)(x)), "sparse_categorical_crossentropy_logits"


def text_masking():
    # Variable-length text as keras.io writes it: Input(shape=(None,)), mask_zero, padded with zeros.
    i = keras.Input((None,), dtype="int32")
    e = L.Embedding(20, 6, mask_zero=True)(i)
    a = L.LSTM(4)(e)
    s = L.GRU(3, return_sequences=True)(e)
    m = L.MultiHeadAttention(2, 3)(s, s)
    b = L.GlobalAveragePooling1D()(L.Dense(3, activation="relu")(m))
    c = L.Bidirectional(L.SimpleRNN(2))(e)
    x = L.Concatenate()([a, b, c])
    return keras.Model(i, L.Dense(1, activation="sigmoid")(x)), "binary_crossentropy", {"ids": 20, "length": 7, "pad": True}


def ops_graph():
    # A Transformer's position ids as keras.ops, and elementwise/shape ops between layers.
    i = keras.Input((6,), dtype="int32")
    pos = ops.cumsum(ops.ones_like(i), axis=1) - 1
    x = L.Embedding(15, 8)(i) + L.Embedding(6, 8)(pos)
    x = ops.multiply(x, 0.5)
    h = L.Dense(8, activation="gelu")(x)
    x = ops.add(x, h)
    x = ops.gelu(x)
    x = ops.gelu(x, approximate=False)
    cls = x[:, 0, :]
    avg = ops.mean(x, axis=1)
    mx = ops.max(x, axis=1)
    t = ops.transpose(x, (0, 2, 1))
    t = ops.reshape(t, (-1, 48))
    sq = ops.sqrt(ops.square(cls) + 1.0)
    y = ops.concatenate([cls, avg, mx, t, sq, ops.tanh(avg) * ops.sigmoid(mx) - ops.exp(-ops.abs(cls))], axis=-1)
    return keras.Model(i, L.Dense(3)(y)), "sparse_categorical_crossentropy_logits", {"ids": 15}


def nested():
    inner = keras.Sequential([L.Dense(5, activation="relu"), L.Dense(4)], name="inner_seq")
    ii = keras.Input((4,))
    branch = keras.Model(ii, L.Dense(3)(L.Dense(4, activation="tanh")(ii)), name="inner_fn")
    i = keras.Input((6,))
    x = inner(i)
    y = branch(x)
    x = L.Concatenate()([x, y])
    outer = keras.Sequential([L.Dense(3), keras.Sequential([L.Dense(2)], name="deep")], name="outer_seq")
    return keras.Model(i, outer(x)), "mse"


def regularized():
    i = keras.Input((5, 5, 2))
    x = L.Conv2D(3, 2, kernel_regularizer=keras.regularizers.L2(0.01), bias_regularizer=keras.regularizers.L1(0.02))(i)
    x = L.BatchNormalization(gamma_regularizer=keras.regularizers.L2(0.05))(x)
    x = L.Flatten()(x)
    x = L.Dense(4, kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.02), activity_regularizer=keras.regularizers.L2(0.03))(x)
    return keras.Model(i, L.Dense(2, activity_regularizer=keras.regularizers.L1(0.01))(x)), "mse"


def normalizations():
    # (ConvNeXt's StochasticDepth draws without a seed generator: Keras on JAX cannot train it jitted.)
    from keras.src.applications.convnext import LayerScale

    i = keras.Input((4, 4, 6))
    x = L.GroupNormalization(groups=3)(i)
    x = L.LayerNormalization(axis=[1, 2, 3], epsilon=1e-6)(x)
    x = LayerScale(0.5, 6)(x)
    x = L.UnitNormalization()(x)
    x = L.Dropout(0.0, noise_shape=(None, 1, 1, 6))(x)
    x = L.SpatialDropout2D(0.0)(x)
    x = L.GaussianNoise(0.0)(x)
    x = L.Flatten()(x)
    return keras.Model(i, L.Dense(2)(x)), "mse"


def frozen():
    # Fine-tuning as keras.io writes it: a frozen base (its BatchNormalization in inference mode), a
    # frozen layer, a trainable head; the optimizer has slots for the trainable variables only.
    base = keras.Sequential([keras.Input((6, 6, 3)), L.Conv2D(4, 3), L.BatchNormalization(), L.ReLU()], name="base")
    base.trainable = False
    i = keras.Input((6, 6, 3))
    x = base(i, training=False)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(5, trainable=False)(x)
    return keras.Model(i, L.Dense(2)(x)), "mse"


def function_loss():
    # keras.io's mnist_cnn.py compiles with the function form of the loss.
    m = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(), L.Dropout(0.0), L.Dense(3, activation="softmax")])
    return m, keras.losses.categorical_crossentropy


# --- whole architectures, small ---------------------------------------------------------------------

A = keras.applications
from keras.src.applications import efficientnet  # noqa: E402


def app(fn, size, **kw):
    # Deep BatchNormalization networks at their random initialisation are chaotic in float32 (a 1e-7
    # relative change of the input moves ResNet50's gradients by ~9%, measured): "noise" also records
    # where Keras itself lands from inputs perturbed at float32's rounding, the yardstick for these.
    return lambda: (fn(weights=None, input_shape=(size, size, 3), classes=5, **kw), "sparse_categorical_crossentropy", {"noise": True})


def lstm_text():
    # keras.io bidirectional_lstm_imdb, small.
    i = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(50, 16)(i)
    x = L.Bidirectional(L.LSTM(8, return_sequences=True))(x)
    x = L.Bidirectional(L.LSTM(8))(x)
    return keras.Model(i, L.Dense(1, activation="sigmoid")(x)), "binary_crossentropy", {"ids": 50, "length": 12}


def gru_text():
    i = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(50, 16, mask_zero=True)(i)
    x = L.GRU(16, return_sequences=True)(x)
    x = L.GRU(8)(x)
    x = L.Dropout(0.0)(x)
    return keras.Model(i, L.Dense(3)(x)), "sparse_categorical_crossentropy_logits", {"ids": 50, "length": 12, "pad": True}


def transformer_encoder():
    # keras.io text_classification_with_transformer, position ids as ops.
    maxlen, vocab, dim, heads, ff = 10, 60, 16, 2, 32
    i = keras.Input(shape=(maxlen,), dtype="int32")
    positions = ops.cumsum(ops.ones_like(i), axis=1) - 1
    x = L.Embedding(vocab, dim)(i) + L.Embedding(maxlen, dim)(positions)
    attn = L.MultiHeadAttention(num_heads=heads, key_dim=dim)(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(x + L.Dropout(0.0)(attn))
    f = L.Dense(ff, activation="relu")(x)
    f = L.Dense(dim)(f)
    x = L.LayerNormalization(epsilon=1e-6)(x + L.Dropout(0.0)(f))
    x = L.GlobalAveragePooling1D()(x)
    x = L.Dropout(0.0)(x)
    x = L.Dense(20, activation="relu")(x)
    return keras.Model(i, L.Dense(2, activation="softmax")(x)), "sparse_categorical_crossentropy", {"ids": vocab}


CASES = {
    "conv2d_family": conv2d_family,
    "depthwise_groups": depthwise_groups,
    "batchnorm": batchnorm,
    "batchnorm_pairs": batchnorm_pairs,
    "conv1d_family": conv1d_family,
    "activation_layers": activation_layers,
    "activation_names": activation_names,
    "preprocessing": preprocessing,
    "merging": merging,
    "lstm_stack": lstm_stack,
    "gru_stack": gru_stack,
    "rnn_states": rnn_states,
    "bidirectional": bidirectional,
    "attention": attention,
    "text_masking": text_masking,
    "ops_graph": ops_graph,
    "nested": nested,
    "regularized": regularized,
    "normalizations": normalizations,
    "frozen": frozen,
    "function_loss": function_loss,
    "ResNet50": app(lambda **k: A.ResNet50(**k), 32),
    "MobileNetV2": app(lambda **k: A.MobileNetV2(**k), 32),
    # EfficientNetB0's blocks and coefficients with its dropout and drop-connect rates at 0: random
    # masks cannot match Keras's RNG (README, "Random layers").
    "EfficientNetB0": app(lambda **k: efficientnet.EfficientNet(1.0, 1.0, 224, 0.0, drop_connect_rate=0.0, name="efficientnetb0", **k), 32),
    "DenseNet121": app(lambda **k: A.DenseNet121(**k), 32),
    "Xception": app(lambda **k: A.Xception(**k), 71),
    "MobileNetV3Small": app(lambda **k: A.MobileNetV3Small(**k), 32),
    "ConvNeXtTiny": app(lambda **k: A.ConvNeXtTiny(**k), 32),
    "InceptionV3": app(lambda **k: A.InceptionV3(**k), 75),
    "NASNetMobile": app(lambda **k: A.NASNetMobile(**k), 32),
    "VGG16": app(lambda **k: A.VGG16(**k), 32),
    "lstm_text": lstm_text,
    "gru_text": gru_text,
    "transformer_encoder": transformer_encoder,
}

LOSSES = {
    "sparse_categorical_crossentropy_logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
}


def data(model, loss, extra, batch, n, rng):
    """n batches of inputs and targets fitting the model and its loss."""
    shape = [d for d in model.inputs[0].shape[1:]]
    if "ids" in extra:
        length = extra.get("length", shape[0])
        x = rng.randint(1, extra["ids"], size=(n * batch, length)).astype("int32")
        if extra.get("pad"):
            for r in range(x.shape[0]):  # trailing padding of varying length, as padded text has
                x[r, length - (r % 4) :] = 0
    else:
        x = (rng.randn(n * batch, *shape) * extra.get("x_scale", 1.0)).astype("float32")
    out = model.outputs[0].shape[1:]
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", "")
    if name.startswith("sparse"):
        y = rng.randint(0, out[-1], size=(n * batch,) + tuple(out[:-1])).astype("int32")
    elif name.startswith("categorical"):
        y = np.eye(out[-1], dtype="float32")[rng.randint(0, out[-1], size=n * batch)]
    elif name.startswith("binary"):
        y = rng.randint(0, 2, size=(n * batch,) + tuple(out)).astype("float32")
    else:
        y = rng.randn(n * batch, *out).astype("float32")
    return x, y


def run_case(name, outdir, batch=4, before=2, steps=3):
    built = CASES[name]()
    model, loss, extra = built if len(built) == 3 else (*built, {})
    batch = extra.get("batch", batch)
    keras.utils.set_random_seed(7)
    jit = os.environ.get("KERAS_CASES_JIT", "1") == "1"
    model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0), loss=LOSSES.get(loss, loss), jit_compile=jit)
    rng = np.random.RandomState(11)
    x, y = data(model, loss, extra, batch, before + steps, rng)
    take = lambda k: (x[k * batch : (k + 1) * batch], y[k * batch : (k + 1) * batch])
    for k in range(before):
        model.train_on_batch(*take(k))
    model.save(os.path.join(outdir, f"{name}.keras"))
    losses = [float(model.train_on_batch(*take(before + k))) for k in range(steps)]
    model.save(os.path.join(outdir, f"{name}.after.keras"))
    if extra.get("noise"):
        noise_run(name, outdir, [take(before + k) for k in range(steps)])
    rest = slice(before * batch, (before + steps) * batch)
    np.savez(os.path.join(outdir, f"{name}.npz"), x=x[rest], y=y[rest], losses=np.asarray(losses, "float64"))
    meta = {"batch": batch, "steps": steps, "x_dtype": str(x.dtype), "y_dtype": str(y.dtype), "input_shape": list(x.shape[1:])}
    with open(os.path.join(outdir, f"{name}.json"), "w") as f:
        json.dump(meta, f)


def noise_run(name, outdir, batches):
    """The same continuation from the saved archive, inputs × (1 + 1e-7·N(0, 1)): NAME.noise.keras."""
    again = keras.saving.load_model(os.path.join(outdir, f"{name}.keras"))
    jitter = np.random.RandomState(5)
    for xb, yb in batches:
        again.train_on_batch((xb * (1 + 1e-7 * jitter.randn(*xb.shape))).astype("float32"), yb)
    again.save(os.path.join(outdir, f"{name}.noise.keras"))


def main():
    if sys.argv[1] == "--list":
        print("\n".join(CASES))
        return
    if sys.argv[1] == "--noise":  # --noise OUTDIR CASE…: only the noise run, from existing files
        for name in sys.argv[3:]:
            d = np.load(os.path.join(sys.argv[2], f"{name}.npz"))
            b = json.load(open(os.path.join(sys.argv[2], f"{name}.json")))["batch"]
            noise_run(name, sys.argv[2], [(d["x"][k * b : (k + 1) * b], d["y"][k * b : (k + 1) * b]) for k in range(len(d["losses"]))])
        return
    outdir = sys.argv[1]
    for name in sys.argv[2:]:
        run_case(name, outdir)


if __name__ == "__main__":
    main()
