# Fixture cases for ordering and data-dependent selection (issue 13): sort/argsort/topk, unique,
# searchsorted, bincount, nonzero/argwhere, maskedSelect, and max/min(a, b) as element-wise overloads.

import torch

from .common import case, rn, distinct, ints, bools, f32, f64

NAN, INF = float('nan'), float('inf')


def sorts():
    case('dim-1', 'sort', [f32(distinct(3, 4))], lambda x: torch.sort(x), {})
    case('dim0-descending', 'sort', [f32(distinct(3, 4))], lambda x: torch.sort(x, 0, descending=True),
         {'dim': 0, 'descending': True})
    case('float64-dim1[2,3,4]', 'sort', [f64(distinct(2, 3, 4))], lambda x: torch.sort(x, dim=1), {'dim': 1})
    # ties keep their order with stable=True; NaN sorts above every number
    case('stable-ties', 'sort', [torch.tensor([2.0, 1.0, 2.0, 1.0, 0.5, 2.0])],
         lambda x: torch.sort(x, stable=True), {'stable': True}, grad=False)
    case('stable-ties-descending', 'sort', [torch.tensor([2.0, 1.0, 2.0, 1.0, 0.5, 2.0])],
         lambda x: torch.sort(x, descending=True, stable=True), {'descending': True, 'stable': True}, grad=False)
    case('nan-inf', 'sort', [torch.tensor([1.0, NAN, -INF, 3.0, INF, -2.0])], lambda x: torch.sort(x), {}, grad=False)
    case('nan-descending', 'sort', [torch.tensor([1.0, NAN, -INF, 3.0])], lambda x: torch.sort(x, descending=True),
         {'descending': True}, grad=False)
    case('int32', 'sort', [torch.tensor([[5, -2, 7, 0], [3, 3, -1, 9]], dtype=torch.int32)],
         lambda x: torch.sort(x, stable=True), {'stable': True})
    case('0d', 'sort', [f32(rn())], lambda x: torch.sort(x), {})
    case('empty[0,3]', 'sort', [f32(rn(0, 3))], lambda x: torch.sort(x), {})
    case('dim-1', 'argsort', [f32(distinct(3, 4))], lambda x: torch.argsort(x), {})
    case('dim0-descending', 'argsort', [f32(distinct(4, 2))], lambda x: torch.argsort(x, 0, descending=True),
         {'dim': 0, 'descending': True})
    case('k2', 'topk', [f32(distinct(3, 5))], lambda x: torch.topk(x, 2), {'k': 2})
    case('k3-dim0-smallest', 'topk', [f32(distinct(4, 3))], lambda x: torch.topk(x, 3, dim=0, largest=False),
         {'k': 3, 'dim': 0, 'largest': False})
    case('k1[2,3,4]-dim1', 'topk', [f64(distinct(2, 3, 4))], lambda x: torch.topk(x, 1, dim=1), {'k': 1, 'dim': 1})
    # k · 8 < the dim's size: the heap selection path
    case('k3-of-40-heap', 'topk', [f32(distinct(2, 40))], lambda x: torch.topk(x, 3), {'k': 3})
    case('k2-of-30-smallest-dim0-heap', 'topk', [f32(distinct(30, 2))], lambda x: torch.topk(x, 2, dim=0, largest=False),
         {'k': 2, 'dim': 0, 'largest': False})
    case('k0', 'topk', [f32(distinct(2, 3))], lambda x: torch.topk(x, 0), {'k': 0})
    case('k-all-int32', 'topk', [torch.tensor([4, -1, 9, 2], dtype=torch.int32)], lambda x: torch.topk(x, 4), {'k': 4})


def uniques():
    x = torch.tensor([[3, 1, 2], [3, 0, 1]], dtype=torch.int32)
    case('sorted', 'unique', [x], lambda t: torch.unique(t), {})
    case('inverse-counts', 'unique', [x], lambda t: torch.unique(t, return_inverse=True, return_counts=True),
         {'returnInverse': True, 'returnCounts': True})
    case('float-counts', 'unique', [torch.tensor([0.5, -1.0, 0.5, 2.0, -1.0, 0.5])],
         lambda t: torch.unique(t, return_counts=True), {'returnCounts': True}, grad=False)
    case('bool-inverse', 'unique', [torch.tensor([True, False, True])], lambda t: torch.unique(t, return_inverse=True),
         {'returnInverse': True})
    seq = torch.tensor([1.0, 2.0, 2.0, 4.0, 7.0])
    vals = torch.tensor([[0.0, 2.0, 3.0], [7.0, 8.0, 2.0]])
    case('left', 'searchsorted', [seq, vals], lambda s, v: torch.searchsorted(s, v), {})
    case('right', 'searchsorted', [seq, vals], lambda s, v: torch.searchsorted(s, v, right=True), {'right': True})
    case('side-right', 'searchsorted', [seq, vals], lambda s, v: torch.searchsorted(s, v, side='right'), {'side': 'right'})
    case('batched[2,4]', 'searchsorted', [torch.tensor([[0, 2, 4, 6], [1, 3, 5, 7]], dtype=torch.int32),
                                          torch.tensor([[3, 6], [0, 7]], dtype=torch.int32)],
         lambda s, v: torch.searchsorted(s, v), {})
    case('counts', 'bincount', [torch.tensor([0, 2, 2, 5, 1, 2], dtype=torch.int32)], lambda t: torch.bincount(t), {})
    case('minlength', 'bincount', [torch.tensor([1, 1, 0], dtype=torch.int32)], lambda t: torch.bincount(t, minlength=5),
         {'minlength': 5})
    case('weights', 'bincount', [torch.tensor([0, 2, 2, 3], dtype=torch.int32), torch.tensor([0.5, 1.25, -2.0, 4.0])],
         lambda t, w: torch.bincount(t, weights=w), {}, grad=False)
    case('empty', 'bincount', [torch.zeros(0, dtype=torch.int32)], lambda t: torch.bincount(t), {})


def selections():
    z = f32(rn(3, 4))
    z[z.abs() < 0.6] = 0
    case('[3,4]', 'nonzero', [z], lambda t: torch.nonzero(t), {})
    case('bool[2,2,3]', 'nonzero', [bools(2, 2, 3)], lambda t: torch.nonzero(t), {})
    case('none', 'nonzero', [torch.zeros(2, 3)], lambda t: torch.nonzero(t), {})
    case('int32', 'argwhere', [torch.tensor([[0, 3], [-1, 0]], dtype=torch.int32)], lambda t: torch.argwhere(t), {})
    x = f32(rn(3, 4))
    case('[3,4]', 'maskedSelect', [x, bools(3, 4)], lambda t, m: torch.masked_select(t, m), {})
    case('broadcast-mask[4]', 'maskedSelect', [f32(rn(3, 4)), bools(4)], lambda t, m: torch.masked_select(t, m), {})
    case('broadcast-input[4]', 'maskedSelect', [f32(rn(4)), bools(2, 4)], lambda t, m: torch.masked_select(t, m), {})
    case('int32', 'maskedSelect', [ints(-5, 5, 2, 3), bools(2, 3)], lambda t, m: torch.masked_select(t, m), {})
    for op, fn in (('max', torch.max), ('min', torch.min)):
        case('elementwise[3,4]x[4]', op, [f32(distinct(3, 4)), f32(distinct(4))], lambda a, b, fn=fn: fn(a, b), {'other': True})
        case('elementwise-int32', op, [ints(-5, 5, 6), ints(-5, 5, 6)], lambda a, b, fn=fn: fn(a, b), {'other': True})


def build():
    sorts()
    uniques()
    selections()
