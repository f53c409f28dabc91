# Fixture cases derived from the op records (scripts/op-manifest.ts): for every unary, binary and
# reduce record, PyTorch runs float32 and float64 inputs from the record's test domain (with
# gradients), int32 and bool inputs (where PyTorch takes them), and the edge values listed below.

import json
import os
import subprocess

import torch
import torch.nn.functional as F

from .common import case, rn, pos, distinct, ints, bools, f32, f64

INF, NAN = float('inf'), float('nan')

# The one fixture line an op adds besides its record: values where its formula is delicate
# (forward only). Binary ops list (x, y) pairs; a reduction's values are reduced over dim 0.
EDGES = {
    'atan': [0, -0.0, 1e-8, 1e30, -1e30, INF, -INF, NAN],
    'asin': [-1, 1, 0, -0.0, 0.5, 1.5, NAN],
    'acos': [-1, 1, 0, -0.0, 0.5, 1.5, NAN],
    'sinh': [0, -0.0, 1e-6, 20, -20, 100, INF, NAN],
    'cosh': [0, -0.0, 1e-6, 20, -20, 100, -INF, NAN],
    'asinh': [0, -0.0, 1e-10, 1e10, -1e10, INF, NAN],
    'acosh': [1, 0.5, 2, 1e10, INF, NAN],
    'atanh': [-1, 1, 0, -0.0, 0.5, 1.5, NAN],
    'log2': [0, -1, 1, 1024, 1e-30, INF, NAN],
    'log10': [0, -1, 1, 1000, 1e-30, INF, NAN],
    'exp2': [0, -1, 10, 127, 128, -149, -INF, INF, NAN],
    'trunc': [-2.5, 2.5, -0.3, -0.0, 1e20, -INF, NAN],
    'frac': [-2.5, 2.5, -0.3, -0.0, 1e20, INF, NAN],
    'erfc': [-INF, -3, 0, 2.4, 2.6, 10, 27, 30, INF, NAN],
    'erfinv': [-1, 1, 0, -0.0, 0.999, -0.9999, 1.5, NAN],
    'lgamma': [0, -1, -2.5, 0.5, 1, 2, 1e-3, 100, 1e10, INF, -INF, NAN],
    'digamma': [0, -1, -2.5, 0.5, 1, 1e-3, 100, 1e10, INF, NAN],
    'logit': [0, 1, 0.5, -1, 2, 1e-6, NAN],
    'erf': [-INF, -6, -2.6, 0, -0.0, 1e-9, 2.4, 6, INF, NAN],
    'square': [-3, 0, 1e20, -INF, NAN],
    'atan2': [(0, -1), (-0.0, -1), (0, 0), (1, 0), (-1, 0), (INF, INF), (-INF, 1), (NAN, 1)],
    'hypot': [(3, 4), (0, 0), (INF, NAN), (1e30, 1e30), (-3, 4), (-0.0, 0)],
    'fmod': [(5, 3), (-5, 3), (5, -3), (5, 0), (-0.0, 2), (INF, 2), (2, INF)],
    'remainder': [(5, 3), (-5, 3), (5, -3), (5, 0), (-0.0, 2), (0, -2), (2, INF)],
    'xlogy': [(0, 0), (0, NAN), (1, 0), (0, -1), (2, 3), (-1, 2)],
    'nansum': [1.5, NAN, 2, -4, NAN],
    'isnan': [0, -0.0, 1e38, INF, -INF, NAN],
    'isinf': [0, -0.0, 1e38, INF, -INF, NAN],
    'isfinite': [0, -0.0, 1e38, INF, -INF, NAN],
}


def manifest():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    out = subprocess.run(['node', '--import', 'tsx', 'scripts/op-manifest.ts'], cwd=root, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def draw(domain, *shape):
    """Inputs in a record's test domain (src/ops/spec.ts), float64 with 3 decimals."""
    if domain == 'positive':
        return pos(*shape, lo=0.05)
    if domain == 'unit':
        return torch.round((torch.rand(shape, dtype=torch.float64) * 1.9 - 0.95) * 1000) / 1000
    if domain == 'probability':
        return torch.round((torch.rand(shape, dtype=torch.float64) * 0.9 + 0.05) * 1000) / 1000
    if domain == 'above1':
        return 1.05 + pos(*shape)
    if domain == 'nonzero':
        return torch.sign(rn(*shape)) * pos(*shape, lo=0.5)
    return rn(*shape)


def int_draw(domain, *shape, divisor=False):
    if domain in ('positive', 'above1') or divisor:
        x = ints(1, 6, *shape)
        return x * (torch.randint(0, 2, shape, dtype=torch.int32) * 2 - 1) if divisor else x
    return ints(-5, 6, *shape)


def where_torch_takes(op, name, inputs, fn, **kw):
    """A case for a dtype PyTorch may refuse (abs of bool): it is left out where torch raises."""
    try:
        fn(*[x.clone() for x in inputs])
    except RuntimeError:
        return
    case(name, op, inputs, fn, **kw)


def unary(r, fn):
    op, d = r['name'], r['domains'][0]
    grad = r['differentiable']
    case('auto-float32[3,4]', op, [f32(draw(d, 3, 4))], fn, grad=grad)
    case('auto-float64[2,3]', op, [f64(draw(d, 2, 3))], fn, grad=grad)
    where_torch_takes(op, 'auto-int32', [int_draw(d, 7)], fn)
    where_torch_takes(op, 'auto-bool', [bools(6)], fn)
    if op in EDGES:
        case('edges', op, [torch.tensor(EDGES[op], dtype=torch.float32)], fn, grad=False)


def binary(r, fn):
    op, (da, db) = r['name'], r['domains']
    grad = r['differentiable']
    if r['logical']:
        case('auto-bool', op, [bools(3, 4), bools(4)], fn)
        case('auto-int32', op, [ints(0, 3, 6), ints(0, 3, 6)], fn)
        return
    case('auto-float32[3,4]x[4]', op, [f32(draw(da, 3, 4)), f32(draw(db, 4))], fn, grad=grad)
    case('auto-float64[2,3]x[2,3]', op, [f64(draw(da, 2, 3)), f64(draw(db, 2, 3))], fn, grad=grad)
    # a JS number as the second operand: a Python number, or a 0-d tensor where torch wants a tensor
    two = 2.5

    def with_scalar(a):
        try:
            return fn(a, two)
        except TypeError:
            return fn(a, torch.tensor(two, dtype=torch.float64))
    case('auto-scalar', op, [f32(draw(da, 2, 3))], with_scalar, {'scalar': two}, grad=grad)
    where_torch_takes(op, 'auto-int32', [int_draw(da, 7), int_draw(db, 7, divisor=r['intDivisor'] or not r['int'])], fn)
    where_torch_takes(op, 'auto-bool', [bools(6), bools(6)], fn)
    if op in EDGES:
        xs, ys = zip(*EDGES[op])
        case('edges', op, [torch.tensor(xs, dtype=torch.float32), torch.tensor(ys, dtype=torch.float32)], fn, grad=False)


def reduction(r, fn):
    op = r['name']
    grad = r['differentiable']
    # distinct values: an extreme's gradient is unambiguous
    case('auto-float32[3,4]-dim1', op, [f32(distinct(3, 4))], lambda x: fn(x, dim=1), {'dim': 1}, grad=grad)
    case('auto-float64[2,3,2]-dim0-keepdim', op, [f64(distinct(2, 3, 2))], lambda x: fn(x, dim=0, keepdim=True),
         {'dim': 0, 'keepdim': True}, grad=grad)
    where_torch_takes(op, 'auto-int32', [ints(-5, 6, 2, 3)], lambda x: fn(x, dim=1), kwargs={'dim': 1})
    where_torch_takes(op, 'auto-bool', [bools(2, 3)], lambda x: fn(x, dim=1), kwargs={'dim': 1})
    if op in EDGES:
        case('edges', op, [torch.tensor(EDGES[op], dtype=torch.float32)], lambda x: fn(x, dim=0), {'dim': 0}, grad=False)


def build():
    for r in manifest():
        if 'fixtures' in r['exempt']:
            continue
        fn = eval(r['torch'], {'torch': torch, 'F': F})
        {'unary': unary, 'binary': binary, 'reduction': reduction}[r['kind']](r, fn)
