# Fixture cases for reductions and scans: sum, mean, prod, amax/amin, max/min (with indices),
# argmax/argmin, var/std, logsumexp, norm, cumsum — dim as number or list, keepdim, 0-d, empty.

import torch

from .common import case, rn, pos, distinct, ints, bools, f32, f64


def dims_cases(op, fn, make, lists=True):
    """The usual dim/keepdim grid for op(x, dim?, keepdim?); lists: dim may be a list."""
    case('all[2,3,4]', op, [make(2, 3, 4)], lambda x: fn(x))
    case('dim0', op, [make(2, 3, 4)], lambda x: fn(x, 0), {'dim': 0})
    case('dim-1-keepdim', op, [make(2, 3, 4)], lambda x: fn(x, -1, True), {'dim': -1, 'keepdim': True})
    if lists:
        case('dim[0,2]', op, [make(2, 3, 4)], lambda x: fn(x, [0, 2]), {'dim': [0, 2]})
        case('dim[-1,1]-keepdim', op, [make(2, 3, 4)], lambda x: fn(x, [-1, 1], True),
             {'dim': [-1, 1], 'keepdim': True})
    case('0d', op, [make()], lambda x: fn(x))
    case('0d-dim0', op, [make()], lambda x: fn(x, 0), {'dim': 0})
    case('size1-dim[3,1]', op, [make(3, 1)], lambda x: fn(x, 1), {'dim': 1})


def sums():
    dims_cases('sum', torch.sum, lambda *s: f32(rn(*s)))
    dims_cases('mean', torch.mean, lambda *s: f32(rn(*s)))
    # like PyTorch, prod takes one dim, not a list
    dims_cases('prod', torch.prod, lambda *s: f32(torch.sign(rn(*s)) * (0.6 + pos(*s) * 0.4)), lists=False)
    case('empty-dim0', 'sum', [f32(rn(0, 3))], lambda x: x.sum(0), {'dim': 0})
    case('empty-all', 'sum', [f32(rn(0, 3))], lambda x: x.sum())
    case('empty-dim1', 'sum', [f32(rn(0, 3))], lambda x: x.sum(1), {'dim': 1})
    case('empty-dim0', 'mean', [f32(rn(0, 3))], lambda x: x.mean(0), {'dim': 0}, grad=False)
    case('empty-dim0', 'prod', [f32(rn(0, 3))], lambda x: x.prod(0), {'dim': 0})
    case('int32', 'sum', [ints(-5, 5, 3, 4)], lambda x: x.sum(1), {'dim': 1})
    case('int32-all', 'sum', [ints(-5, 5, 3, 4)], lambda x: x.sum())
    case('bool', 'sum', [bools(3, 4)], lambda x: x.sum(0), {'dim': 0})
    case('float64', 'sum', [f64(rn(3, 4))], lambda x: x.sum(1), {'dim': 1})
    case('float64', 'mean', [f64(rn(3, 4))], lambda x: x.mean(), {})
    # prod's gradient with a zero in the row is still defined (PyTorch does not divide by x)
    z = f32(rn(2, 4))
    z[0, 1] = 0
    case('one-zero', 'prod', [z], lambda x: x.prod(1), {'dim': 1})
    z2 = f32(rn(2, 4))
    z2[1, 0] = 0
    z2[1, 2] = 0
    case('two-zeros', 'prod', [z2], lambda x: x.prod(1), {'dim': 1})
    case('int32', 'prod', [ints(1, 4, 2, 3)], lambda x: x.prod(1), {'dim': 1})


def extremes():
    dims_cases('amax', torch.amax, lambda *s: f32(distinct(*s)))
    dims_cases('amin', torch.amin, lambda *s: f32(distinct(*s)))
    # amax splits the gradient evenly between ties
    case('ties', 'amax', [torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])], lambda x: x.amax(1), {'dim': 1})
    for op, fn in (('max', torch.max), ('min', torch.min)):
        case('all[3,4]', op, [f32(distinct(3, 4))], lambda x, fn=fn: fn(x))
        case('dim1', op, [f32(distinct(3, 4))], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('dim0-keepdim', op, [f32(distinct(3, 4))], lambda x, fn=fn: fn(x, 0, True), {'dim': 0, 'keepdim': True})
        case('dim-2[2,3,4]', op, [f32(distinct(2, 3, 4))], lambda x, fn=fn: fn(x, -2), {'dim': -2})
        case('0d-dim0', op, [f32(distinct(1).reshape(()))], lambda x, fn=fn: fn(x, 0), {'dim': 0})
        case('int32-dim1', op, [ints(-20, 20, 3, 4)], lambda x, fn=fn: fn(x, 1), {'dim': 1})
    # max() without a dim splits the gradient evenly between ties, like amax
    case('all-ties', 'max', [torch.tensor([[1.0, 3.0], [3.0, -2.0]])], lambda x: x.max())
    # first index of a tie, as PyTorch
    case('ties-first-index', 'max', [torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])], lambda x: x.max(1),
         {'dim': 1}, grad=False)
    for op, fn in (('argmax', torch.argmax), ('argmin', torch.argmin)):
        case('all[3,4]', op, [f32(distinct(3, 4))], lambda x, fn=fn: fn(x))
        case('dim1', op, [f32(distinct(3, 4))], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('dim0-keepdim', op, [f32(distinct(3, 4))], lambda x, fn=fn: fn(x, 0, True), {'dim': 0, 'keepdim': True})
        case('dim-1[2,3,4]', op, [f32(distinct(2, 3, 4))], lambda x, fn=fn: fn(x, -1), {'dim': -1})
        case('int32', op, [ints(-20, 20, 5)], lambda x, fn=fn: fn(x, 0), {'dim': 0})
    case('ties-first-index', 'argmax', [torch.tensor([1.0, 3.0, 3.0, 0.0])], lambda x: x.argmax())
    case('ties-first-index', 'argmin', [torch.tensor([1.0, 0.0, 3.0, 0.0])], lambda x: x.argmin())


def moments():
    for op, fn in (('var', torch.var), ('std', torch.std)):
        case('all[3,4]', op, [f32(rn(3, 4))], lambda x, fn=fn: fn(x))
        case('dim1', op, [f32(rn(3, 4))], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('dim0-unbiased-false', op, [f32(rn(3, 4))], lambda x, fn=fn: fn(x, 0, unbiased=False),
             {'dim': 0, 'unbiased': False})
        case('dim1-correction0', op, [f32(rn(3, 4))], lambda x, fn=fn: fn(x, 1, correction=0),
             {'dim': 1, 'correction': 0})
        case('dim1-correction2', op, [f32(rn(3, 5))], lambda x, fn=fn: fn(x, 1, correction=2),
             {'dim': 1, 'correction': 2})
        case('dim[0,2]-keepdim', op, [f32(rn(2, 3, 4))], lambda x, fn=fn: fn(x, [0, 2], keepdim=True),
             {'dim': [0, 2], 'keepdim': True})
        case('dim-1-keepdim', op, [f32(rn(2, 3))], lambda x, fn=fn: fn(x, -1, keepdim=True),
             {'dim': -1, 'keepdim': True})
        case('float64', op, [f64(rn(4, 3))], lambda x, fn=fn: fn(x, 0), {'dim': 0})
        case('single-element-nan', op, [f32(rn(3, 1))], lambda x, fn=fn: fn(x, 1), {'dim': 1}, grad=False)
    # offset data: a one-pass E[x²]-E[x]² formula loses the digits here
    case('offset-1000', 'var', [f32(rn(4, 6) + 1000)], lambda x: x.var(1), {'dim': 1})


def lse_norm_cumsum():
    case('dim1', 'logsumexp', [f32(rn(3, 4))], lambda x: torch.logsumexp(x, 1), {'dim': 1})
    case('dim0-keepdim', 'logsumexp', [f32(rn(3, 4))], lambda x: torch.logsumexp(x, 0, True),
         {'dim': 0, 'keepdim': True})
    case('dim[0,1]', 'logsumexp', [f32(rn(2, 3, 2))], lambda x: torch.logsumexp(x, [0, 1]), {'dim': [0, 1]})
    case('large', 'logsumexp', [f32(rn(2, 4) * 10 + 1000)], lambda x: torch.logsumexp(x, -1), {'dim': -1})
    case('very-negative', 'logsumexp', [f32(rn(2, 4) - 1000)], lambda x: torch.logsumexp(x, -1), {'dim': -1})
    case('float64', 'logsumexp', [f64(rn(3, 4))], lambda x: torch.logsumexp(x, 1), {'dim': 1})
    vn = torch.linalg.vector_norm
    case('p2-all', 'norm', [f32(rn(3, 4))], lambda x: vn(x), {})
    case('p2-dim1', 'norm', [f32(rn(3, 4))], lambda x: vn(x, 2, 1), {'p': 2, 'dim': 1})
    case('p1-dim1', 'norm', [f32(rn(3, 4))], lambda x: vn(x, 1, 1), {'p': 1, 'dim': 1})
    case('pinf-dim0', 'norm', [f32(distinct(3, 4))], lambda x: vn(x, float('inf'), 0), {'p': 'inf', 'dim': 0})
    case('p1-all', 'norm', [f32(rn(2, 3))], lambda x: vn(x, 1), {'p': 1})
    case('pinf-all', 'norm', [f32(distinct(2, 3))], lambda x: vn(x, float('inf')), {'p': 'inf'})
    case('p3-dim[0,2]-keepdim', 'norm', [f32(rn(2, 3, 2))], lambda x: vn(x, 3, [0, 2], True),
         {'p': 3, 'dim': [0, 2], 'keepdim': True})
    case('p2-dim-1-keepdim', 'norm', [f32(rn(2, 3))], lambda x: vn(x, 2, -1, True), {'p': 2, 'dim': -1, 'keepdim': True})
    case('float64', 'norm', [f64(rn(3, 4))], lambda x: vn(x, 2, 1), {'p': 2, 'dim': 1})
    case('dim0', 'cumsum', [f32(rn(3, 4))], lambda x: torch.cumsum(x, 0), {'dim': 0})
    case('dim-1', 'cumsum', [f32(rn(2, 3, 4))], lambda x: torch.cumsum(x, -1), {'dim': -1})
    case('dim1[2,3,4]', 'cumsum', [f32(rn(2, 3, 4))], lambda x: torch.cumsum(x, 1), {'dim': 1})
    case('0d', 'cumsum', [f32(rn())], lambda x: torch.cumsum(x, 0), {'dim': 0})
    case('empty', 'cumsum', [f32(rn(0, 3))], lambda x: torch.cumsum(x, 0), {'dim': 0})
    case('bool', 'cumsum', [bools(6)], lambda x: torch.cumsum(x, 0), {'dim': 0})
    case('int32', 'cumsum', [ints(-5, 5, 6)], lambda x: torch.cumsum(x, 0), {'dim': 0})
    case('float64', 'cumsum', [f64(rn(5))], lambda x: torch.cumsum(x, 0), {'dim': 0})


def build():
    sums()
    extremes()
    moments()
    lse_norm_cumsum()
