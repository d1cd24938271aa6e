"""Plain-PyTorch peer for `npm run bench -- models`: the bench's four models written in torch.nn with
Keras's layer shapes, trained on the batch the Keras peer wrote (OUTDIR/NAME.npz), timed per step with
torch.optim.Adadelta on one intra-op thread, as dtrain's single-threaded worker.

  python3 torch_models_peer.py OUTDIR      # one JSON line: {"torch": version, NAME: samples/s,
                                           #   "cpu": {NAME: CPU ms per step}}

Keras 3.15's own torch backend needs a newer torch than Debian's python3-torch (1.13), so this peer does
not go through Keras. The models follow keras.applications and keras_models_peer.py layer for layer:
ResNet50 v1 (stride on each stage's first 1×1 convolution, biased convolutions, BatchNormalization eps
1.001e-5), MobileNetV2 (alpha 1, ReLU6, ZeroPadding before each stride-2 depthwise convolution as Keras
pads even inputs), the two-layer LSTM, and the one-block Transformer encoder (4 heads of 16). Each
figure is the best of ROUNDS rounds of STEPS steps after WARMUP, the Keras peer's statistic, for
wall time and for CPU time (time.process_time).
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WARMUP, STEPS, ROUNDS = 3, 4, 3
# Every side also warms up for 2 s, as dtrain does (bench/models.ts).
WARM_SECONDS = 2.0


def conv_bn(cin, cout, k, stride=1, padding=0, bias=True, eps=1.001e-5, groups=1):
    return [nn.Conv2d(cin, cout, k, stride, padding, bias=bias, groups=groups), nn.BatchNorm2d(cout, eps=eps)]


class Bottleneck(nn.Module):
    """keras.applications.resnet block1: 1×1 (stride) → 3×3 → 1×1 (4f), shortcut conv or identity."""

    def __init__(self, cin, filters, stride, conv_shortcut):
        super().__init__()
        self.shortcut = nn.Sequential(*conv_bn(cin, 4 * filters, 1, stride)) if conv_shortcut else None
        self.main = nn.Sequential(
            *conv_bn(cin, filters, 1, stride), nn.ReLU(),
            *conv_bn(filters, filters, 3, 1, 1), nn.ReLU(),
            *conv_bn(filters, 4 * filters, 1),
        )

    def forward(self, x):
        return F.relu((self.shortcut(x) if self.shortcut is not None else x) + self.main(x))


def resnet50():
    layers = [nn.ZeroPad2d(3), *conv_bn(3, 64, 7, 2), nn.ReLU(), nn.ZeroPad2d(1), nn.MaxPool2d(3, 2)]
    cin = 64
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            layers.append(Bottleneck(cin, filters, stride if b == 0 else 1, b == 0))
            cin = 4 * filters
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 10))


class InvertedResidual(nn.Module):
    """keras.applications.mobilenet_v2 _inverted_res_block (expand, depthwise, project, residual)."""

    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        mid = cin * expansion
        bn = dict(bias=False, eps=1e-3)
        expand = [*conv_bn(cin, mid, 1, **bn), nn.ReLU6()] if expansion != 1 else []
        pad = [nn.ZeroPad2d((0, 1, 0, 1))] if stride == 2 else []  # Keras's correct_pad for even sizes
        depthwise = conv_bn(mid, mid, 3, stride, 0 if stride == 2 else 1, groups=mid, **bn)
        self.body = nn.Sequential(*expand, *pad, *depthwise, nn.ReLU6(), *conv_bn(mid, cout, 1, **bn))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenet_v2():
    layers = [*conv_bn(3, 32, 3, 2, 0, bias=False, eps=1e-3), nn.ReLU6()]
    layers.insert(0, nn.ZeroPad2d((0, 1, 0, 1)))  # Keras: padding "same" with stride 2 on an even size
    cin = 32
    for filters, stride, expansion, count in ((16, 1, 1, 1), (24, 2, 6, 2), (32, 2, 6, 3), (64, 2, 6, 4), (96, 1, 6, 3), (160, 2, 6, 3), (320, 1, 6, 1)):
        for i in range(count):
            layers.append(InvertedResidual(cin, filters, stride if i == 0 else 1, expansion))
            cin = filters
    layers += [*conv_bn(cin, 1280, 1, bias=False, eps=1e-3), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 10)]
    return nn.Sequential(*layers)


class LstmText(nn.Module):
    """Embedding(2000, 64) → LSTM(64, sequences) → LSTM(64) → Dense(10)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(2000, 64)
        self.lstm1 = nn.LSTM(64, 64, batch_first=True)
        self.lstm2 = nn.LSTM(64, 64, batch_first=True)
        self.out = nn.Linear(64, 10)

    def forward(self, ids):
        x, _ = self.lstm1(self.embed(ids))
        x, _ = self.lstm2(x)
        return self.out(x[:, -1])


class Encoder(nn.Module):
    """keras.io's text_classification_with_transformer: token + position embeddings, one encoder block."""

    def __init__(self, vocab=2000, maxlen=64, dim=64, heads=4, ff=128):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(maxlen, dim)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.ReLU(), nn.Linear(ff, dim))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.out = nn.Linear(dim, 10)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        attended, _ = self.attention(x, x, x, need_weights=False)
        x = self.norm1(x + attended)
        x = self.norm2(x + self.ff(x))
        return self.out(x.mean(dim=1))


MODELS = {"ResNet50": resnet50, "MobileNetV2": mobilenet_v2, "LSTM": LstmText, "Transformer": Encoder}


def batch_of(outdir, name):
    data = np.load(os.path.join(outdir, f"{name}.npz"))
    x = torch.from_numpy(data["x"])
    if x.dtype == torch.float32:
        x = x.permute(0, 3, 1, 2).contiguous()  # Keras NHWC → torch NCHW
    else:
        x = x.long()
    return x, torch.from_numpy(data["y"]).long()


def samples_per_sec(outdir, name):
    torch.manual_seed(1)
    model = MODELS[name]()
    model.train()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-7)
    x, y = batch_of(outdir, name)

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(WARMUP):
        step()
    warm_until = time.perf_counter() + WARM_SECONDS
    while time.perf_counter() < warm_until:
        step()
    best, cpu = 0.0, float("inf")
    for _ in range(ROUNDS):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(STEPS):
            step()
        best = max(best, x.shape[0] * STEPS / (time.perf_counter() - t0))
        cpu = min(cpu, (time.process_time() - c0) * 1000 / STEPS)
    return best, cpu


if __name__ == "__main__":
    torch.set_num_threads(1)
    outdir = sys.argv[1]
    out = {"torch": torch.__version__, "cpu": {}}
    for name in MODELS:
        out[name], out["cpu"][name] = samples_per_sec(outdir, name)
    print(json.dumps(out))
