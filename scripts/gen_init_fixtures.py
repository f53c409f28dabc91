# Writes fixtures/init.json with PyTorch: the deterministic parts of torch.nn.init — calculate_gain
# for every nonlinearity, the fans, eye_ and dirac_ exactly, and the std (or bound) each random
# initialiser targets (from torch's own gain and fan code) — and, for trunc_normal_, the moments of
# the truncated normal from SciPy, checked here against a million of PyTorch's own draws.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_init_fixtures.py

import json
import math
import os

import torch
from scipy.stats import truncnorm
from torch.nn import init

SEED = 1357
torch.manual_seed(SEED)


def gains():
    out = []
    for nl in ('linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'selu'):
        out.append({'nonlinearity': nl, 'param': None, 'gain': init.calculate_gain(nl)})
    for param in (None, 0, 0.2, 1, 3.5, math.sqrt(5)):
        out.append({'nonlinearity': 'leaky_relu', 'param': param, 'gain': init.calculate_gain('leaky_relu', param)})
    return out


def fans():
    out = []
    for shape in ([10, 4], [8, 3, 5, 5], [16, 4, 3], [2, 3, 2, 2, 2], [7, 1], [3, 5, 0]):
        fi, fo = init._calculate_fan_in_and_fan_out(torch.empty(shape))
        out.append({'shape': shape, 'fanIn': fi, 'fanOut': fo})
    return out


def targets():
    """The std (normal) or bound (uniform) each initialiser aims at, computed by torch's code."""
    out = []
    nls = [('linear', None), ('sigmoid', None), ('tanh', None), ('relu', None), ('selu', None), ('conv2d', None),
           ('leaky_relu', 0.0), ('leaky_relu', 0.2), ('leaky_relu', math.sqrt(5))]
    for shape in ([200, 300], [64, 16, 3, 3]):
        t = torch.empty(shape)
        for mode in ('fan_in', 'fan_out'):
            fan = init._calculate_correct_fan(t, mode)
            for nl, a in nls:
                std = init.calculate_gain(nl, a) / math.sqrt(fan)
                out.append({'init': 'kaiming', 'shape': shape, 'mode': mode, 'nonlinearity': nl, 'a': a, 'std': std, 'bound': math.sqrt(3.0) * std})
        fi, fo = init._calculate_fan_in_and_fan_out(t)
        for gain in (1.0, 0.5, init.calculate_gain('relu')):
            std = gain * math.sqrt(2.0 / float(fi + fo))
            out.append({'init': 'xavier', 'shape': shape, 'gain': gain, 'std': std, 'bound': math.sqrt(3.0) * std})
    return out


def exact():
    out = []
    for shape in ([2, 3], [3, 3], [4, 2]):
        out.append({'init': 'eye_', 'shape': shape, 'groups': None, 'values': init.eye_(torch.empty(shape)).flatten().tolist()})
    for shape, groups in (([4, 2, 3], 1), ([4, 4, 3, 3], 2), ([6, 3, 3, 3], 3), ([2, 2, 3, 3, 3], 1), ([4, 2, 5], 2), ([3, 5, 4, 2], 1), ([5, 3, 3], 1)):
        out.append({'init': 'dirac_', 'shape': shape, 'groups': groups, 'values': init.dirac_(torch.empty(shape), groups).flatten().tolist()})
    return out


def trunc():
    out = []
    for mean, std, a, b in ((0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 0.02, -0.04, 0.04), (1.0, 1.0, 1.5, 4.0), (0.0, 1.0, -0.5, 0.5)):
        alpha, beta = (a - mean) / std, (b - mean) / std
        m, v = truncnorm.stats(alpha, beta, loc=mean, scale=std, moments='mv')
        draws = init.trunc_normal_(torch.empty(1_000_000, dtype=torch.float64), mean, std, a, b)
        tm, tv = draws.mean().item(), draws.var().item()
        # PyTorch's draws follow the truncated normal: its moments agree with SciPy's to sampling error
        assert abs(tm - m) < 6 * math.sqrt(v / 1e6) and abs(tv - v) < 6 * v * math.sqrt(2 / 1e6), (mean, std, a, b, tm, m, tv, v)
        out.append({'mean': mean, 'std': std, 'a': a, 'b': b, 'truncMean': float(m), 'truncVar': float(v), 'torchSampleMean': tm, 'torchSampleVar': tv,
                    'torchMin': draws.min().item(), 'torchMax': draws.max().item()})
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.normpath(os.path.join(here, '..', 'fixtures', 'init.json'))
    doc = {'torch': torch.__version__, 'seed': SEED, 'gains': gains(), 'fans': fans(), 'targets': targets(), 'exact': exact(), 'truncNormal': trunc()}
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')
    print(f"{len(doc['gains'])} gains, {len(doc['fans'])} fans, {len(doc['targets'])} targets, {len(doc['exact'])} exact fills, "
          f"{len(doc['truncNormal'])} truncated normals -> {path} ({os.path.getsize(path) / 1e3:.0f} kB)")


if __name__ == '__main__':
    main()
