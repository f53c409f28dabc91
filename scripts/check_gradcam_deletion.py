#!/usr/bin/python3
"""Grad-CAM on the CNN `nabla train fashion-mnist --model cnn` writes, recomputed with Captum and torch
(issue 17): the dumped maps of bench/explain-deletion.ts (--dump DIR) against Captum's LayerGradCam and
LayerGradientXActivation (summed over channels: HiResCAM) on the same weights and images, and the
deletion metric computed here, independently of Nabla, for black, mean-image and blurred baselines.

  node --import tsx bench/explain-deletion.ts runs/cnn/best.safetensors 200 --dump /tmp/gc
  CAPTUM_PATH=/path/to/captum /usr/bin/python3 scripts/check_gradcam_deletion.py /tmp/gc

Captum is not packaged in Debian: CAPTUM_PATH is a Captum source checkout (see captum_path.py).
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_torch  # noqa: E402

if len(sys.argv) != 2:
    sys.exit('usage: check_gradcam_deletion.py DUMP_DIR (written by bench/explain-deletion.ts --dump)')
import captum_path  # noqa: E402,F401  (CAPTUM_PATH on sys.path, stubs for Captum's display dependencies)
from captum.attr import LayerAttribution, LayerGradCam, LayerGradientXActivation  # noqa: E402

DUMP = sys.argv[1]
B = json.load(open(os.path.join(DUMP, 'bench.json')))
N, MEAN, STD = B['n'], B['mean'], B['std']
torch.manual_seed(0)

# The CNN of src/tasks/fashion-mnist/models.ts, under the same parameter names.
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.25), nn.Linear(256, 10))
tensors, _ = safetensors_torch.load(B['checkpoint'])
model.load_state_dict({k: v for k, v in tensors.items() if k in model.state_dict()}, strict=True)
model.eval()


def idx_images(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[i:i + 4], 'big') for i in (4, 8, 12))
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols).astype(np.float32) / 255


ROOT = '/usr/share/datasets/fashion-mnist'
pixels = torch.from_numpy(idx_images(f'{ROOT}/t10k-images-idx3-ubyte.gz')[:N]).unsqueeze(1)
x = (pixels - MEAN) / STD
with torch.no_grad():
    pred = model(x).argmax(1)
assert pred.tolist() == B['pred'], 'the predictions differ from the bench\'s'

# ---- the maps: ours (dumped) against Captum's ----
print(f'{N} test images of {B["checkpoint"]}; torch {torch.__version__}')
for layer in ['2', '6', '7']:
    mod = model[int(layer)]
    cap = {'gradcam': LayerGradCam(model, mod).attribute(x, target=pred).detach(),
           'hirescam': LayerGradientXActivation(model, mod).attribute(x, target=pred).detach().sum(1, keepdim=True)}
    for name, want in cap.items():
        got = torch.from_numpy(np.fromfile(os.path.join(DUMP, f'{name}-{layer}.f32'), dtype=np.float32).reshape(want.shape))
        rel = ((got - want).abs().amax(dim=(1, 2, 3)) / want.abs().amax(dim=(1, 2, 3)).clamp(min=1e-12)).max().item()
        print(f'layer {layer} {name:8}: Nabla vs Captum, worst |difference| / max |map| over the images: {rel:.2e}')

# ---- why: Grad-CAM averages each channel's gradient over positions. Behind global average pooling
# the gradient is the same at every position, so nothing is lost; behind this model's Flatten + Linear
# each position has its own weights, and where a channel's gradient changes sign across positions
# the average cancels. HiResCAM (Σ_c gradient × activation, position by position) keeps them, and
# adds up (nearly: the head's ReLU and biases) to the logit. ----
from scipy.stats import spearmanr  # noqa: E402
with torch.no_grad():
    logit = model(x)[torch.arange(N), pred]
for layer in ['6', '7']:
    mod = model[int(layer)]
    g = LayerGradientXActivation(model, mod, multiply_by_inputs=False).attribute(x, target=pred).detach()
    cancelled = (1 - g.sum((2, 3)).abs().sum(1) / g.abs().sum((1, 2, 3))).mean().item()
    gc = LayerGradCam(model, mod).attribute(x, target=pred).detach()
    hr = LayerGradientXActivation(model, mod).attribute(x, target=pred).detach().sum(1, keepdim=True)
    rho = np.mean([spearmanr(gc[i].flatten(), hr[i].flatten()).correlation for i in range(N)])
    gap = ((hr.sum((1, 2, 3)) - logit).abs() / logit.abs()).median().item()
    print(f'layer {layer}: share of the gradient\'s mass that cancels in the spatial mean {100 * cancelled:.0f}%; '
          f'Spearman ρ of Grad-CAM with HiResCAM maps {rho:.3f} (mean over images); HiResCAM sum vs the logit: median gap {100 * gap:.1f}%')

# ---- the deletion metric, computed here ----
train = torch.from_numpy(idx_images(f'{ROOT}/train-images-idx3-ubyte.gz'))
mean_img = ((train.mean(0) - MEAN) / STD).reshape(1, 1, 28, 28)
s = B['blurSigma']
r = int(np.ceil(3 * s))
k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float64) ** 2 / (2 * s * s))
k = (k / k.sum()).float()
blurred = F.conv2d(F.conv2d(pixels, k.reshape(1, 1, 1, -1), padding=(0, r)), k.reshape(1, 1, -1, 1), padding=(r, 0))
BASELINES = {'black': torch.full_like(x, -MEAN / STD), 'mean image': mean_img.expand_as(x), f'blur σ{s}': (blurred - MEAN) / STD}


def deletion_auc(attr, base, seed, steps=20):
    """Mean AUC of P(predicted class) as pixels go to the baseline, most attributed first (ties in a
    random order drawn from `seed`, as Nabla's deletionCurve does with its own generator)."""
    g = torch.Generator().manual_seed(seed)
    size = 784
    flat_x, flat_b = x.reshape(N, size), base.reshape(N, size)
    rows = flat_x.repeat_interleave(steps + 1, 0).clone()  # [N * (steps + 1), size]
    for i in range(N):
        perm = torch.randperm(size, generator=g)
        order = perm if attr is None else perm[torch.argsort(-attr.reshape(N, size)[i][perm], stable=True)]
        for st in range(steps + 1):
            rm = order[:round(st * size / steps)]
            rows[i * (steps + 1) + st, rm] = flat_b[i, rm]
    with torch.no_grad():
        p = torch.cat([F.softmax(model(c.reshape(-1, 1, 28, 28)), 1) for c in rows.split(1050)])
    p = p[torch.arange(N * (steps + 1)), pred.repeat_interleave(steps + 1)].reshape(N, steps + 1)
    return ((p[:, 1:] + p[:, :-1]) / (2 * steps)).sum(1).mean().item()


def upsampled(a, mode):
    return LayerAttribution.interpolate(a, (28, 28), interpolate_mode=mode)


def cam(cls, layer, mode, relu=True):
    a = cls(model, model[int(layer)]).attribute(x, target=pred).detach()
    if cls is LayerGradientXActivation:
        a = a.sum(1, keepdim=True)
    return upsampled(F.relu(a) if relu else a, mode)


METHODS = {
    'random order (3 seeds)': None,
    'gradCam layer 2 (28×28)': cam(LayerGradCam, '2', 'bilinear'),
    'gradCam layer 6 (14×14, bilinear)': cam(LayerGradCam, '6', 'bilinear'),
    "gradCam layer 6 (nearest: Captum's default)": cam(LayerGradCam, '6', 'nearest'),
    'gradCam layer 6, no ReLU': cam(LayerGradCam, '6', 'bilinear', relu=False),
    'gradCam layer 7 (7×7, bilinear)': cam(LayerGradCam, '7', 'bilinear'),
    'hiResCam layer 6 (14×14, bilinear)': cam(LayerGradientXActivation, '6', 'bilinear'),
    'hiResCam layer 6 (nearest)': cam(LayerGradientXActivation, '6', 'nearest'),
    'hiResCam layer 7 (7×7, bilinear)': cam(LayerGradientXActivation, '7', 'bilinear'),
}
# Ties (the zeros of a relu'd map) are removed in random order: each cell is the mean over three tie
# orders (three random orders for the random row) ± half their range, Nabla's bench in brackets.
print('\ndeletion metric (20 steps), computed here with Captum\'s maps: mean over 3 tie orders ± half their range [Nabla\'s bench]')
print(f'{"method":46} {"zeros":>6} ' + ''.join(f'{n:>26}' for n in BASELINES))
for label, attr in METHODS.items():
    cells = []
    for bn, base in BASELINES.items():
        a = [deletion_auc(attr, base, sd) for sd in (1, 2, 3)]
        ours = B['randomAuc'][bn] if attr is None else B['gradCam'].get(label, {}).get('auc', {}).get(bn)
        cell = f'{np.mean(a):.4f}±{(max(a) - min(a)) / 2:.4f}'
        cells.append(f'{cell} [{ours:.4f}]' if ours is not None else cell)
    zeros = '' if attr is None else f'{100 * (attr == 0).float().mean().item():.0f}%'
    print(f'{label:46} {zeros:>6} ' + ''.join(f'{c:>26}' for c in cells))
