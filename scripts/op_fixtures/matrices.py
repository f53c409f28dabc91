# Fixture cases for issue 13's composites: tril/triu, diag/diagonal, outer, addmm/baddbmm, cdist,
# roll, einsum, cumprod, nanToNum, any/all, isclose/allclose.

import torch

from .common import case, rn, pos, ints, bools, f32, f64

NAN, INF = float('nan'), float('inf')


def triangles():
    for op, fn in (('tril', torch.tril), ('triu', torch.triu)):
        case('[3,4]', op, [f32(rn(3, 4))], lambda x, fn=fn: fn(x), {})
        case('[4,3]-diag1', op, [f32(rn(4, 3))], lambda x, fn=fn: fn(x, 1), {'diagonal': 1})
        case('[2,3,3]-diag-1', op, [f64(rn(2, 3, 3))], lambda x, fn=fn: fn(x, -1), {'diagonal': -1})
        case('int32', op, [ints(-5, 5, 3, 3)], lambda x, fn=fn: fn(x), {})
        case('bool', op, [bools(2, 3)], lambda x, fn=fn: fn(x), {})
    case('[3,4]', 'diagonal', [f32(rn(3, 4))], lambda x: torch.diagonal(x), {})
    case('[3,4]-offset1', 'diagonal', [f32(rn(3, 4))], lambda x: torch.diagonal(x, 1), {'offset': 1})
    case('[4,3]-offset-2', 'diagonal', [f32(rn(4, 3))], lambda x: torch.diagonal(x, -2), {'offset': -2})
    case('[2,3,4]-dims-1,-2', 'diagonal', [f32(rn(2, 3, 4))], lambda x: torch.diagonal(x, 0, -1, -2),
         {'offset': 0, 'dim1': -1, 'dim2': -2})
    case('[2,3,4]-dims0,2-offset1', 'diagonal', [f32(rn(2, 3, 4))], lambda x: torch.diagonal(x, 1, 0, 2),
         {'offset': 1, 'dim1': 0, 'dim2': 2})
    case('offset-past-end', 'diagonal', [f32(rn(2, 3))], lambda x: torch.diagonal(x, 5), {'offset': 5})
    case('1d', 'diag', [f32(rn(3))], lambda x: torch.diag(x), {})
    case('1d-k1', 'diag', [f32(rn(3))], lambda x: torch.diag(x, 1), {'diagonal': 1})
    case('1d-k-2', 'diag', [f32(rn(2))], lambda x: torch.diag(x, -2), {'diagonal': -2})
    case('2d', 'diag', [f32(rn(3, 4))], lambda x: torch.diag(x), {})
    case('2d-k-1', 'diag', [f32(rn(3, 4))], lambda x: torch.diag(x, -1), {'diagonal': -1})


def products():
    case('[3]x[4]', 'outer', [f32(rn(3)), f32(rn(4))], lambda a, b: torch.outer(a, b), {})
    case('float64', 'outer', [f64(rn(2)), f64(rn(3))], lambda a, b: torch.outer(a, b), {})
    case('default', 'addmm', [f32(rn(2, 4)), f32(rn(2, 3)), f32(rn(3, 4))], lambda i, a, b: torch.addmm(i, a, b), {})
    case('beta-alpha-broadcast', 'addmm', [f32(rn(4)), f32(rn(2, 3)), f32(rn(3, 4))],
         lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=-2.0), {'beta': 0.5, 'alpha': -2.0})
    nan_in = torch.full((2, 2), NAN)
    case('beta0-ignores-nan', 'addmm', [nan_in, f32(rn(2, 3)), f32(rn(3, 2))],
         lambda i, a, b: torch.addmm(i, a, b, beta=0), {'beta': 0}, grad=False)
    case('default', 'baddbmm', [f32(rn(2, 2, 4)), f32(rn(2, 2, 3)), f32(rn(2, 3, 4))],
         lambda i, a, b: torch.baddbmm(i, a, b), {})
    case('beta-alpha', 'baddbmm', [f64(rn(1, 4)), f64(rn(3, 2, 3)), f64(rn(3, 3, 4))],
         lambda i, a, b: torch.baddbmm(i, a, b, beta=2.0, alpha=0.25), {'beta': 2.0, 'alpha': 0.25})
    case('p2', 'cdist', [f32(rn(3, 4)), f32(rn(5, 4))], lambda a, b: torch.cdist(a, b), {})
    case('p1-batched', 'cdist', [f32(rn(2, 3, 2)), f32(rn(2, 4, 2))], lambda a, b: torch.cdist(a, b, p=1), {'p': 1})
    case('p3', 'cdist', [f64(rn(2, 3)), f64(rn(3, 3))], lambda a, b: torch.cdist(a, b, p=3), {'p': 3})
    case('pinf', 'cdist', [f32(rn(3, 2)), f32(rn(2, 2))], lambda a, b: torch.cdist(a, b, p=INF), {'p': 'inf'})
    e = torch.einsum
    case('ij,jk->ik', 'einsum', [f32(rn(2, 3)), f32(rn(3, 4))], lambda a, b: e('ij,jk->ik', a, b), {'equation': 'ij,jk->ik'})
    case('bij,bjk->bik', 'einsum', [f32(rn(2, 2, 3)), f32(rn(2, 3, 2))], lambda a, b: e('bij,bjk->bik', a, b),
         {'equation': 'bij,bjk->bik'})
    case('ii->i', 'einsum', [f32(rn(3, 3))], lambda a: e('ii->i', a), {'equation': 'ii->i'})
    case('ii', 'einsum', [f32(rn(3, 3))], lambda a: e('ii', a), {'equation': 'ii'})
    case('ij->ji', 'einsum', [f32(rn(2, 3))], lambda a: e('ij->ji', a), {'equation': 'ij->ji'})
    case('i,j->ij', 'einsum', [f32(rn(3)), f32(rn(2))], lambda a, b: e('i,j->ij', a, b), {'equation': 'i,j->ij'})
    case('implicit-ij,jk', 'einsum', [f32(rn(2, 3)), f32(rn(3, 2))], lambda a, b: e('ij,jk', a, b), {'equation': 'ij,jk'})
    case('bhqd,bhkd->bhqk', 'einsum', [f32(rn(1, 2, 3, 4)), f32(rn(1, 2, 5, 4))],
         lambda a, b: e('bhqd,bhkd->bhqk', a, b), {'equation': 'bhqd,bhkd->bhqk'})
    case('...ij,...jk', 'einsum', [f32(rn(2, 2, 3)), f32(rn(3, 2))], lambda a, b: e('...ij,...jk', a, b),
         {'equation': '...ij,...jk'})
    case('three-operands', 'einsum', [f32(rn(2, 3)), f32(rn(3, 4)), f32(rn(4))],
         lambda a, b, c: e('ij,jk,k->i', a, b, c), {'equation': 'ij,jk,k->i'})
    case('sum-out-ij->', 'einsum', [f64(rn(2, 3))], lambda a: e('ij->', a), {'equation': 'ij->'})
    case('bn,anm,bm->ba', 'einsum', [f32(rn(2, 3)), f32(rn(4, 3, 2)), f32(rn(2, 2))],
         lambda a, b, c: e('bn,anm,bm->ba', a, b, c), {'equation': 'bn,anm,bm->ba'})


def scans_and_tests():
    case('dim1', 'cumprod', [f32(rn(3, 4))], lambda x: torch.cumprod(x, 1), {'dim': 1})
    case('dim0[3,2,2]', 'cumprod', [f64(rn(3, 2, 2))], lambda x: torch.cumprod(x, 0), {'dim': 0})
    z = f32(rn(2, 5))
    z[0, 1] = 0
    z[1, 2] = 0
    z[1, 4] = 0
    case('zeros', 'cumprod', [z], lambda x: torch.cumprod(x, -1), {'dim': -1})
    case('int32', 'cumprod', [ints(-3, 4, 5)], lambda x: torch.cumprod(x, 0), {'dim': 0})
    case('0d', 'cumprod', [f32(rn())], lambda x: torch.cumprod(x, 0), {'dim': 0})
    ed = torch.tensor([NAN, INF, -INF, 1.5, -0.0])
    # case() computes in float64, whose default ±inf replacement is float64's; a float32 input's
    # default is float32's largest value, spelled out here (and checked to be the default)
    f32max = torch.finfo(torch.float32).max
    as32 = lambda x: torch.nan_to_num(x, posinf=f32max, neginf=-f32max)  # noqa: E731
    assert torch.equal(torch.nan_to_num(ed), as32(ed))
    case('defaults', 'nanToNum', [ed], as32, {})
    case('given', 'nanToNum', [ed], lambda x: torch.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
         {'nan': -1.0, 'posinf': 9.0, 'neginf': -9.0})
    case('float64-defaults', 'nanToNum', [f64(ed)], lambda x: torch.nan_to_num(x), {})
    g = f32(rn(2, 3))
    g[0, 1] = NAN
    g[1, 2] = INF
    case('grad', 'nanToNum', [g], as32, {})
    case('finite', 'nanToNum', [f64(rn(2, 3))], lambda x: torch.nan_to_num(x), {})
    case('int32', 'nanToNum', [ints(-3, 3, 4)], lambda x: torch.nan_to_num(x), {})
    a = torch.tensor([[0.0, 1.5, 0.0], [0.0, 0.0, 0.0], [2.0, NAN, -1.0]])
    for op, fn in (('any', torch.any), ('all', torch.all)):
        case('all-elements', op, [a], lambda x, fn=fn: fn(x), {})
        case('dim1', op, [a], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('dim0-keepdim', op, [a], lambda x, fn=fn: fn(x, 0, keepdim=True), {'dim': 0, 'keepdim': True})
        case('bool-dim1', op, [bools(3, 4)], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('int32', op, [torch.tensor([0, 3, -1], dtype=torch.int32)], lambda x, fn=fn: fn(x), {})
        case('empty', op, [torch.zeros(0)], lambda x, fn=fn: fn(x), {})
    x = torch.tensor([1.0, 1.0, 1.0, INF, INF, NAN, 0.0, 1e-9])
    y = torch.tensor([1.0, 1.0 + 1e-6, 1.001, INF, -INF, NAN, 1e-9, 0.0])
    case('defaults', 'isclose', [x, y], lambda a, b: torch.isclose(a, b), {})
    case('rtol-atol-equalNan', 'isclose', [x, y], lambda a, b: torch.isclose(a, b, rtol=1e-2, atol=0.0, equal_nan=True),
         {'rtol': 1e-2, 'atol': 0.0, 'equalNan': True})
    case('float64', 'isclose', [f64(x), f64(y)], lambda a, b: torch.isclose(a, b, atol=1e-12), {'atol': 1e-12})
    case('int32', 'isclose', [torch.tensor([1, 2, 3], dtype=torch.int32), torch.tensor([1, 3, 3], dtype=torch.int32)],
         lambda a, b: torch.isclose(a, b), {})
    near = f32(rn(3, 4))
    case('true', 'allclose', [near, near + 1e-7], lambda a, b: torch.tensor(torch.allclose(a, b)), {})
    case('false', 'allclose', [near, near + 1e-3], lambda a, b: torch.tensor(torch.allclose(a, b)), {})
    case('atol', 'allclose', [near, near + 1e-3], lambda a, b: torch.tensor(torch.allclose(a, b, atol=1e-2)), {'atol': 1e-2})


def rolls():
    case('shift1-dim1', 'roll', [f32(rn(3, 4))], lambda x: torch.roll(x, 1, 1), {'shifts': 1, 'dims': 1})
    case('shift-5-dim0', 'roll', [f32(rn(3, 4))], lambda x: torch.roll(x, -5, 0), {'shifts': -5, 'dims': 0})
    case('flat', 'roll', [f32(rn(2, 3))], lambda x: torch.roll(x, 2), {'shifts': 2})
    case('two-dims', 'roll', [f32(rn(2, 3, 4))], lambda x: torch.roll(x, (1, -2), (0, 2)), {'shifts': [1, -2], 'dims': [0, 2]})
    case('int32', 'roll', [ints(0, 9, 5)], lambda x: torch.roll(x, 3, 0), {'shifts': 3, 'dims': 0})


def build():
    triangles()
    products()
    scans_and_tests()
    rolls()
