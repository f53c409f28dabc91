# Shared machinery of the op fixture generator: input makers, encoding, and case() which runs
# PyTorch forward and backward for one case and records it.
#
# Values are computed in float64 from the exact float32 inputs and rounded to the dtype PyTorch
# gives for the original dtypes, so the reference is the true value, not torch's float32 rounding.
# A case's backward is of sum(outputs[0] * cotangent); grads[i] is d/d inputs[i] (null if the
# input does not require grad). NaN/Infinity are written as "nan"/"inf"/"-inf".

import math

import numpy as np
import torch

SEED = 1234
torch.manual_seed(SEED)
torch.set_default_dtype(torch.float32)

INF = float('inf')
CASES = []
NAMES = set()


# ---------------------------------------------------------------- input makers

def rn(*shape, lo=0.05, scale=1.0):
    """randn rounded to 3 decimals, pushed away from 0 (no relu/abs kinks at inputs)."""
    x = torch.randn(shape, dtype=torch.float64) * scale
    x = torch.sign(x) * (x.abs() + lo)
    x[x == 0] = lo
    return torch.round(x * 1000) / 1000


def pos(*shape, lo=0.2):
    """Positive values (log, sqrt, pow bases)."""
    return torch.round((torch.rand(shape, dtype=torch.float64) * 2 + lo) * 1000) / 1000


def distinct(*shape, scale=1.0):
    """Values with no ties (max/amax/maximum gradients are unambiguous)."""
    n = 1
    for d in shape:
        n *= d
    perm = torch.randperm(n).to(torch.float64)
    x = (perm - n / 2 + 0.5) * 0.173 * scale + torch.rand(n, dtype=torch.float64) * 0.05
    return (torch.round(x * 1000) / 1000).reshape(shape)


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape, dtype=torch.int32)


def bools(*shape):
    return torch.rand(shape) > 0.5


def f32(x):
    return x.to(torch.float32)


def f64(x):
    return x.to(torch.float64)


# ---------------------------------------------------------------- encoding

DT = {torch.float32: 'float32', torch.float64: 'float64', torch.int32: 'int32', torch.int64: 'int32',
      torch.bool: 'bool'}


def enc_num(v, dtype, exact=False):
    """A JSON value; exact=True round-trips the value (inputs), else 7/15 significant digits."""
    if dtype == 'bool':
        return bool(v)
    if dtype == 'int32':
        return int(v)
    v = float(v)
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    if v == 0 and math.copysign(1, v) < 0:
        return -0.0
    if v == int(v) and abs(v) < 1e15:
        return int(v)
    if exact:
        return float(str(np.float32(v))) if dtype == 'float32' else v
    r = float(('%.7g' if dtype == 'float32' else '%.15g') % v)
    # near the largest finite value the rounded digits overflow to inf: keep the value exact there
    return v if math.isinf(r) else r


def enc(t, dtype=None, exact=False):
    dtype = dtype or DT[t.dtype]
    flat = t.detach().reshape(-1).tolist()
    return {'shape': list(t.shape), 'dtype': dtype, 'data': [enc_num(v, dtype, exact) for v in flat]}


# ---------------------------------------------------------------- the case builder

def as_list(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if hasattr(out, 'values') and hasattr(out, 'indices'):
        return [out.values, out.indices]
    return list(out)


def case(name, op, inputs, fn, kwargs=None, grad=True, no_grad_inputs=(), rtol=None, atol=None, why=None):
    """inputs: tensors in their fixture dtype. fn(*inputs) -> tensor | tuple of tensors.
    Float inputs require grad when grad is True (except the indices in no_grad_inputs)."""
    full = f'{op}/{name}'
    assert full not in NAMES, full
    NAMES.add(full)
    kwargs = kwargs or {}
    # 1) dtype and shape of every output from the real dtypes
    with torch.no_grad():
        outs_native = as_list(fn(*[x.clone() for x in inputs]))
    # 2) values (and gradients) in float64
    hi = []
    for i, x in enumerate(inputs):
        if x.is_floating_point():
            y = f64(x).clone()
            if grad and i not in no_grad_inputs:
                y.requires_grad_(True)
            hi.append(y)
        else:
            hi.append(x.clone())
    outs = as_list(fn(*hi))
    assert len(outs) == len(outs_native), full
    enc_outs = []
    for o, on in zip(outs, outs_native):
        assert list(o.shape) == list(on.shape), (full, o.shape, on.shape)
        enc_outs.append(enc(o.to(on.dtype) if on.is_floating_point() else o, DT[on.dtype]))
    c = {'name': full, 'op': op,
         'inputs': [dict(enc(x, exact=True), requires_grad=bool(h.requires_grad)) for x, h in zip(inputs, hi)],
         'kwargs': kwargs, 'outputs': enc_outs}
    needs = [h for h in hi if h.requires_grad]
    o0 = outs[0]
    if needs and o0.requires_grad:
        cot = torch.round(torch.randn(o0.shape, dtype=torch.float64) * 1000) / 1000
        gs = torch.autograd.grad((o0 * cot).sum(), needs, allow_unused=True)
        gi = iter(gs)
        grads = []
        for x, h in zip(inputs, hi):
            if h.requires_grad:
                g = next(gi)
                if g is None:
                    g = torch.zeros_like(h)
                grads.append({'shape': list(g.shape), 'data': [enc_num(v, DT[x.dtype]) for v in g.to(x.dtype).reshape(-1).tolist()]})
            else:
                grads.append(None)
        c['cotangent'] = {'shape': list(cot.shape), 'data': [enc_num(v, 'float64') for v in cot.reshape(-1).tolist()]}
        c['grads'] = grads
    else:
        for h in hi:
            h.requires_grad_(False)
        c['inputs'] = [dict(enc(x, exact=True), requires_grad=False) for x in inputs]
    if rtol is not None:
        c['rtol'] = rtol
    if atol is not None:
        c['atol'] = atol
    if rtol is not None or atol is not None:
        assert why, f'{full}: a looser tolerance needs a reason'
        c['why_tolerance'] = why
    CASES.append(c)
