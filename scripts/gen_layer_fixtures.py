# Writes fixtures/layers.json: every non-recurrent nn layer run by real PyTorch — state dict keys,
# outputs, the input gradient and every parameter gradient, running statistics after train steps.
#
# Run with Debian's torch: /usr/bin/python3 scripts/gen_layer_fixtures.py
# A case's `spec` is the Nabla constructor call (class, positional args, camelCase options,
# children for containers); the same spec builds the torch module here. Parameters, buffers and
# inputs are float32-exact values; the reference is computed in float64 from them (module.double())
# and written with 17 significant digits, so float64 tests can be tight. In train mode with several
# `inputs`, the module runs on each in turn (running statistics move each time) and the backward,
# of sum(output * cotangent), is of the last forward only.

import json
import math
import os
import zlib

import torch
import torch.nn as nn

SEED = 2024
torch.manual_seed(SEED)
CASES = []


def r32(t):
    return t.to(torch.float32).to(torch.float64)


def randn(*shape, scale=1.0):
    return r32(torch.randn(*shape, dtype=torch.float64) * scale)


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.reshape(-1).tolist()]}
    data = []
    for v in t.to(torch.float64).reshape(-1).tolist():
        if math.isnan(v):
            data.append('nan')
        elif math.isinf(v):
            data.append('inf' if v > 0 else '-inf')
        else:
            data.append(float(f'{v:.17g}'))
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': data}


SNAKE = {
    'ceilMode': 'ceil_mode', 'countIncludePad': 'count_include_pad', 'divisorOverride': 'divisor_override',
    'outputPadding': 'output_padding', 'elementwiseAffine': 'elementwise_affine',
    'trackRunningStats': 'track_running_stats', 'paddingIdx': 'padding_idx', 'negativeSlope': 'negative_slope',
    'returnIndices': 'return_indices',
}


def tup(v):
    return tuple(tup(x) for x in v) if isinstance(v, list) else v


def build(spec):
    """The torch module for a Nabla constructor spec."""
    kind = spec['type']
    if kind == 'Sequential':
        return nn.Sequential(*[build(c) for c in spec['children']])
    args = [tup(a) for a in spec.get('args', [])]
    kw = {SNAKE.get(k, k): tup(v) for k, v in spec.get('opts', {}).items()}
    return getattr(nn, kind)(*args, **kw)


def randomize(module):
    """Random float32-exact parameters and buffers (norm scales near 1, variances positive)."""
    with torch.no_grad():
        for mname, m in module.named_modules():
            norm = isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm))
            for pname, p in m.named_parameters(recurse=False):
                if norm and pname == 'weight':
                    p.copy_(r32(1 + 0.3 * torch.randn(p.shape, dtype=torch.float64)))
                elif isinstance(m, nn.Embedding):
                    p.copy_(randn(*p.shape))
                    if m.padding_idx is not None:
                        p[m.padding_idx].zero_()
                else:
                    p.copy_(r32(torch.rand(p.shape, dtype=torch.float64) - 0.5))
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.track_running_stats:
                m.running_mean.copy_(r32(0.5 * torch.randn(m.running_mean.shape, dtype=torch.float64)))
                m.running_var.copy_(r32(0.5 + torch.rand(m.running_var.shape, dtype=torch.float64)))
                m.num_batches_tracked.fill_(3)


def case(name, spec, shape, mode='train', steps=1, int_input=None, tol=None):
    torch.manual_seed(zlib.crc32(name.encode()))
    m = build(spec)
    randomize(m)
    state = {k: enc(v) for k, v in m.state_dict().items()}
    keys = list(m.state_dict().keys())
    m = m.double()
    m.train(mode == 'train')
    inputs = []
    for _ in range(steps):
        if int_input is not None:
            inputs.append(torch.randint(0, int_input, shape))
        else:
            inputs.append(randn(*shape).requires_grad_(True))
    indices = None
    for x in inputs:
        out = m(x)
    if isinstance(out, tuple):
        out, indices = out
    cot = randn(*out.shape)
    (out * cot).sum().backward()
    last = inputs[-1]
    c = {
        'name': name, 'spec': spec, 'mode': mode, 'keys': keys, 'state': state,
        'inputs': [enc(x) for x in inputs], 'out': enc(out), 'cotangent': enc(cot),
        'grad_input': None if int_input is not None else enc(last.grad),
        'grads': {k: enc(p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in m.named_parameters()},
        'state_after': {k: enc(v) for k, v in m.state_dict().items() if k not in dict(m.named_parameters())},
    }
    if indices is not None:
        c['indices'] = enc(indices)
    if tol:
        c['tol'] = tol
    CASES.append(c)


def S(kind, *args, **opts):
    return {'type': kind, 'args': list(args), 'opts': opts}


# Linear
case('Linear(5,3)', S('Linear', 5, 3), [4, 5])
case('Linear(6,4) no bias, 3-D input', S('Linear', 6, 4, bias=False), [2, 3, 6])
case('Linear(1,1)', S('Linear', 1, 1), [3, 1])

# Convolutions
case('Conv1d(3,4,3)', S('Conv1d', 3, 4, 3), [2, 3, 9])
case('Conv1d strided/padded/dilated/grouped', S('Conv1d', 4, 6, 3, stride=2, padding=1, dilation=2, groups=2), [2, 4, 11])
case("Conv1d padding='same' no bias", S('Conv1d', 2, 3, 5, padding='same', bias=False), [2, 2, 7])
case('Conv1d unbatched', S('Conv1d', 2, 3, 2), [2, 6])
case('Conv2d(2,3,3)', S('Conv2d', 2, 3, 3), [2, 2, 6, 5])
case('Conv2d pairs + groups', S('Conv2d', 4, 6, [3, 2], stride=[2, 1], padding=[1, 0], dilation=[1, 2], groups=2), [2, 4, 7, 8])
case("Conv2d padding='same' dilated, no bias", S('Conv2d', 3, 2, 3, padding='same', dilation=2, bias=False), [1, 3, 6, 6])
case('Conv2d depthwise', S('Conv2d', 3, 6, 3, padding=1, groups=3), [2, 3, 5, 5])
case('Conv2d unbatched', S('Conv2d', 2, 3, 3, stride=2), [2, 7, 7])
case('ConvTranspose2d(3,2,3)', S('ConvTranspose2d', 3, 2, 3), [2, 3, 4, 5])
case('ConvTranspose2d stride/padding/outputPadding/groups', S('ConvTranspose2d', 4, 6, 3, stride=2, padding=1, outputPadding=1, groups=2), [2, 4, 3, 4])
case('ConvTranspose2d dilation, pairs, no bias', S('ConvTranspose2d', 2, 3, [2, 3], stride=[1, 2], dilation=[2, 1], bias=False), [1, 2, 4, 3])

# Pooling
case('MaxPool1d(3)', S('MaxPool1d', 3), [2, 3, 10])
case('MaxPool1d stride/padding/dilation/ceil', S('MaxPool1d', 3, stride=2, padding=1, dilation=2, ceilMode=True), [2, 2, 12])
case('MaxPool1d returnIndices', S('MaxPool1d', 2, returnIndices=True), [2, 2, 7])
case('MaxPool2d(2)', S('MaxPool2d', 2), [2, 3, 6, 6])
case('MaxPool2d(3, stride 2, padding 1)', S('MaxPool2d', 3, stride=2, padding=1), [2, 2, 7, 6])
case('MaxPool2d pairs, dilation, ceilMode', S('MaxPool2d', [3, 2], stride=[2, 1], dilation=[1, 2], ceilMode=True), [1, 2, 8, 7])
case('MaxPool2d returnIndices', S('MaxPool2d', 2, returnIndices=True), [2, 2, 4, 6])
case('MaxPool2d unbatched', S('MaxPool2d', 2), [3, 4, 4])
case('AvgPool1d(3)', S('AvgPool1d', 3), [2, 3, 10])
case('AvgPool1d stride/padding/countIncludePad=false', S('AvgPool1d', 3, stride=2, padding=1, countIncludePad=False), [2, 2, 9])
case('AvgPool1d ceilMode', S('AvgPool1d', 2, ceilMode=True), [1, 2, 7])
case('AvgPool2d(2)', S('AvgPool2d', 2), [2, 3, 6, 6])
case('AvgPool2d(3, stride 2, padding 1, countIncludePad=false)', S('AvgPool2d', 3, stride=2, padding=1, countIncludePad=False), [2, 2, 7, 6])
case('AvgPool2d divisorOverride', S('AvgPool2d', [2, 3], divisorOverride=5), [1, 2, 6, 6])
case('AvgPool2d ceilMode, padding', S('AvgPool2d', 3, stride=2, padding=1, ceilMode=True), [1, 2, 6, 6])
case('AdaptiveAvgPool2d(3) on 7x5', S('AdaptiveAvgPool2d', 3), [2, 2, 7, 5])
case('AdaptiveAvgPool2d([2, None])', S('AdaptiveAvgPool2d', [2, None]), [1, 3, 5, 4])
case('AdaptiveAvgPool2d(1)', S('AdaptiveAvgPool2d', 1), [2, 4, 3, 3])

# Batch norm: train (running statistics move, two steps), eval, options
case('BatchNorm1d train [N,C]', S('BatchNorm1d', 4), [6, 4], steps=2)
case('BatchNorm1d train [N,C,L]', S('BatchNorm1d', 3), [4, 3, 5], steps=2)
case('BatchNorm1d eval', S('BatchNorm1d', 3), [4, 3, 5], mode='eval')
case('BatchNorm1d momentum=None (cumulative) train', S('BatchNorm1d', 3, momentum=None), [5, 3], steps=3)
case('BatchNorm1d affine=false eps=1e-3 train', S('BatchNorm1d', 3, affine=False, eps=1e-3), [5, 3, 2], steps=2)
case('BatchNorm1d trackRunningStats=false train', S('BatchNorm1d', 3, trackRunningStats=False), [5, 3])
case('BatchNorm1d trackRunningStats=false eval', S('BatchNorm1d', 3, trackRunningStats=False), [5, 3], mode='eval')
case('BatchNorm2d train', S('BatchNorm2d', 3), [2, 3, 4, 5], steps=2)
case('BatchNorm2d eval', S('BatchNorm2d', 3), [2, 3, 4, 5], mode='eval')
case('BatchNorm2d momentum=0.3 train', S('BatchNorm2d', 2, momentum=0.3), [3, 2, 3, 3], steps=2)
case('BatchNorm2d momentum=None train', S('BatchNorm2d', 2, momentum=None), [3, 2, 3, 3], steps=2)
case('BatchNorm2d affine=false eval', S('BatchNorm2d', 2, affine=False), [3, 2, 3, 3], mode='eval')
case('BatchNorm2d trackRunningStats=false eval', S('BatchNorm2d', 2, trackRunningStats=False), [3, 2, 3, 3], mode='eval')

# Layer and group norm
case('LayerNorm(5)', S('LayerNorm', 5), [2, 3, 5])
case('LayerNorm([3,5])', S('LayerNorm', [3, 5]), [2, 3, 5])
case('LayerNorm elementwiseAffine=false eps=1e-3', S('LayerNorm', 4, elementwiseAffine=False, eps=1e-3), [3, 4])
case('GroupNorm(2,4)', S('GroupNorm', 2, 4), [2, 4, 3, 3])
case('GroupNorm(3,6) affine=false 3-D', S('GroupNorm', 3, 6, affine=False), [2, 6, 5])
case('GroupNorm(1,4) (layer-norm like)', S('GroupNorm', 1, 4), [3, 4, 2, 2])
case('GroupNorm(4,4) (instance-norm like) eval', S('GroupNorm', 4, 4), [2, 4, 3, 2], mode='eval')

# Embedding
case('Embedding(10,3)', S('Embedding', 10, 3), [2, 4], int_input=10)
case('Embedding paddingIdx=0', S('Embedding', 10, 3, paddingIdx=0), [3, 5], int_input=4)
case('Embedding paddingIdx=-1', S('Embedding', 6, 2, paddingIdx=-1), [12], int_input=6)

# Activations
ACT = [
    ('ReLU', S('ReLU')), ('LeakyReLU()', S('LeakyReLU')), ('LeakyReLU(0.2)', S('LeakyReLU', 0.2)),
    ('ELU()', S('ELU')), ('ELU(0.5)', S('ELU', 0.5)), ('GELU()', S('GELU')), ("GELU(approximate='tanh')", S('GELU', approximate='tanh')),
    ('SiLU', S('SiLU')), ('Sigmoid', S('Sigmoid')), ('Tanh', S('Tanh')), ('Softplus()', S('Softplus')),
    ('Softplus(beta=2, threshold=1)', S('Softplus', beta=2, threshold=1)), ('Softmax(1)', S('Softmax', 1)),
    ('Softmax(0)', S('Softmax', 0)), ('LogSoftmax(-1)', S('LogSoftmax', -1)), ('LogSoftmax(1) 3-D', S('LogSoftmax', 1)),
]
for name, spec in ACT:
    case(name, spec, [3, 4, 2] if '3-D' in name else [4, 5])

# Shape layers, dropout in eval mode (the identity)
case('Flatten()', S('Flatten'), [2, 3, 4])
case('Flatten(0, 1)', S('Flatten', 0, 1), [2, 3, 4])
case('Unflatten(1, [2, 3])', S('Unflatten', 1, [2, 3]), [2, 6, 4])
case('Identity', S('Identity'), [3, 4])
case('Dropout eval', S('Dropout', 0.3), [3, 4], mode='eval')
case('Dropout2d eval', S('Dropout2d', 0.3), [2, 3, 2, 2], mode='eval')

# Sequentials of several layers (keys '0.weight', '1.running_mean', …)
case('Sequential MLP train', {'type': 'Sequential', 'children': [
    S('Linear', 6, 8), S('BatchNorm1d', 8), S('GELU'), S('Linear', 8, 5), S('LayerNorm', 5), S('Tanh'), S('Linear', 5, 3), S('LogSoftmax', 1),
]}, [5, 6], steps=2)
case('Sequential CNN eval', {'type': 'Sequential', 'children': [
    S('Conv2d', 2, 4, 3, padding=1), S('BatchNorm2d', 4), S('ReLU'), S('Dropout2d', 0.2), S('MaxPool2d', 2),
    S('Conv2d', 4, 6, 3, stride=2, padding=1), S('GroupNorm', 2, 6), S('SiLU'), S('AdaptiveAvgPool2d', 2),
    S('Flatten'), S('Dropout', 0.5), S('Linear', 24, 5),
]}, [2, 2, 8, 8], mode='eval')



# Module structure: PyTorch's keys for containers and modules with attribute children; the same
# classes are written in test/nn-module.test.ts.
class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3)
        self.blocks = nn.ModuleList([Block(4), Block(4)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.heads = nn.ModuleDict({'cls': nn.Linear(4, 10), 'box': nn.Linear(4, 4, bias=False)})
        self.norm = nn.LayerNorm(10, elementwise_affine=False)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(7, 3)
        self.out = nn.Linear(3, 7, bias=False)
        self.out.weight = self.emb.weight


STRUCTURE = []
for name, m in [('Net', Net()), ('Tied', Tied()), ('Sequential in Sequential', nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)), nn.BatchNorm1d(1)))]:
    STRUCTURE.append({
        'name': name,
        'state_dict_keys': list(m.state_dict().keys()),
        'named_parameters': [k for k, _ in m.named_parameters()],
        'named_buffers': [k for k, _ in m.named_buffers()],
        'named_modules': [k for k, _ in m.named_modules()],
        'num_parameters': sum(p.numel() for p in m.parameters()),
        'shapes': {k: list(v.shape) for k, v in m.state_dict().items()},
    })

out = {'torch': torch.__version__, 'seed': SEED, 'cases': CASES, 'structure': STRUCTURE}
path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'layers.json')
with open(path, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
print(f'wrote {len(CASES)} cases to {os.path.normpath(path)}')
