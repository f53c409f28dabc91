# Fixture cases for element-wise ops: unary math, activations, binary arithmetic with
# broadcasting and dtype promotion, comparisons, where and maskedFill.

import torch
import torch.nn.functional as F

from .common import case, rn, pos, distinct, ints, bools, f32, f64


def s(t):
    return '[' + ','.join(str(d) for d in t.shape) + ']'


def unary():
    generic = {
        'neg': torch.neg, 'abs': torch.abs, 'exp': torch.exp, 'sin': torch.sin, 'cos': torch.cos,
        'tanh': torch.tanh, 'sigmoid': torch.sigmoid, 'relu': torch.relu, 'silu': F.silu,
    }
    for op, fn in generic.items():
        for x in (f32(rn(3, 4)), f32(rn(2, 1, 3)), f32(rn())):
            case(s(x), op, [x], fn)
        case('empty[0,3]', op, [f32(rn(0, 3))], fn)
    positive = {'log': torch.log, 'sqrt': torch.sqrt, 'rsqrt': torch.rsqrt, 'reciprocal': torch.reciprocal}
    for op, fn in positive.items():
        for x in (f32(pos(3, 4)), f32(pos())):
            case(s(x), op, [x], fn)
    case('negative[5]', 'reciprocal', [f32(-pos(5))], torch.reciprocal)
    case('zero-and-negative', 'log', [torch.tensor([0.0, -1.0, 1.0])], torch.log, grad=False)
    case('zero-and-negative', 'sqrt', [torch.tensor([0.0, -1.0, 4.0])], torch.sqrt, grad=False)
    case('zero', 'reciprocal', [torch.tensor([0.0, -0.0, 2.0])], torch.reciprocal, grad=False)
    # log1p / expm1 must stay accurate near 0, where log(1+x) / exp(x)-1 lose every digit.
    small = torch.tensor([1e-7, -3e-6, 2.5e-5, 1e-3, 0.5, -0.5, 2.0])
    for op, fn in (('log1p', torch.log1p), ('expm1', torch.expm1)):
        case('small-and-moderate[7]', op, [small.clone()], fn)
        case('[3,4]', op, [f32(rn(3, 4).clamp(min=-0.9))], fn)
    case('big', 'exp', [torch.tensor([80.0, 100.0, -100.0, -200.0])], torch.exp, grad=False)
    case('extreme', 'sigmoid', [torch.tensor([-100.0, -30.0, 30.0, 100.0])], torch.sigmoid)
    case('extreme', 'tanh', [torch.tensor([-50.0, -10.0, 10.0, 50.0])], torch.tanh)
    # sign/floor/ceil/round: gradient zero everywhere off the jumps; inputs kept off .5 for grads
    off_half = torch.tensor([-2.7, -1.2, -0.3, 0.2, 0.8, 1.3, 2.6, 3.9])
    for op, fn in (('sign', torch.sign), ('floor', torch.floor), ('ceil', torch.ceil), ('round', torch.round)):
        case('[8]', op, [off_half.clone()], fn)
    # PyTorch rounds half to even
    case('half-to-even', 'round', [torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5])], torch.round, grad=False)
    case('zero', 'sign', [torch.tensor([0.0, -3.0, 2.0])], torch.sign, grad=False)
    # int32 unary
    i = ints(-5, 5, 6)
    case('int32', 'neg', [i], torch.neg)
    case('int32', 'abs', [i], torch.abs)
    case('float64[3,2]', 'exp', [f64(rn(3, 2))], torch.exp)
    case('float64[3,2]', 'tanh', [f64(rn(3, 2))], torch.tanh)


def activations():
    x = f32(rn(3, 5, scale=2))
    case('default', 'leakyRelu', [x], lambda a: F.leaky_relu(a))
    case('slope0.2', 'leakyRelu', [x.clone()], lambda a: F.leaky_relu(a, 0.2), {'negativeSlope': 0.2})
    case('default', 'elu', [x.clone()], lambda a: F.elu(a))
    case('alpha0.5', 'elu', [x.clone()], lambda a: F.elu(a, 0.5), {'alpha': 0.5})
    case('exact', 'gelu', [x.clone()], lambda a: F.gelu(a), {'approximate': 'none'})
    case('tanh', 'gelu', [x.clone()], lambda a: F.gelu(a, approximate='tanh'), {'approximate': 'tanh'})
    case('default[2,3]', 'gelu', [f32(rn(2, 3))], lambda a: F.gelu(a))
    case('default', 'softplus', [x.clone()], lambda a: F.softplus(a))
    case('beta2-threshold1', 'softplus', [x.clone()], lambda a: F.softplus(a, beta=2, threshold=1),
         {'beta': 2, 'threshold': 1})
    case('large', 'softplus', [torch.tensor([-40.0, 15.0, 25.0, 100.0])], lambda a: F.softplus(a))
    case('float64', 'gelu', [f64(rn(4))], lambda a: F.gelu(a), {'approximate': 'none'})
    # clamp: values kept away from the bounds for gradients
    c = torch.tensor([[-2.1, -0.7, -0.2, 0.3], [0.6, 1.4, 2.2, -1.6]])
    case('min-max', 'clamp', [c], lambda a: torch.clamp(a, -0.5, 0.5), {'min': -0.5, 'max': 0.5})
    case('only-min', 'clamp', [c.clone()], lambda a: torch.clamp(a, min=0.0), {'min': 0.0})
    case('only-max', 'clamp', [c.clone()], lambda a: torch.clamp(a, max=1.0), {'max': 1.0})
    case('int32', 'clamp', [ints(-10, 10, 7)], lambda a: torch.clamp(a, -3, 4), {'min': -3, 'max': 4})


def binary():
    arith = {'add': torch.add, 'sub': torch.sub, 'mul': torch.mul, 'div': torch.div}
    shapes = [((3, 4), (3, 4)), ((3, 1), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((2, 3), ()),
              ((1,), (5,)), ((0, 3), (1, 3)), ((2, 0), (2, 1))]
    for op, fn in arith.items():
        for sa, sb in shapes:
            a, b = f32(rn(*sa)), f32(rn(*sb))
            if op == 'div':
                b = f32(torch.sign(rn(*sb)) * pos(*sb, lo=0.5))
            case(f'broadcast{s(a)}x{s(b)}' if sa != sb else s(a), op, [a, b], fn)
        case('scalar', op, [f32(rn(2, 3))], lambda a, fn=fn: fn(a, 2.5), {'scalar': 2.5})
        case('float64', op, [f64(rn(2, 3)), f64(pos(3))], fn)
    # maximum / minimum: no ties
    for op, fn in (('maximum', torch.maximum), ('minimum', torch.minimum)):
        d = distinct(2, 12)
        case('[3,4]', op, [f32(d[0].reshape(3, 4)), f32(d[1].reshape(3, 4))], fn)
        d = distinct(11)
        case('broadcast[2,1,4]x[3,1]', op, [f32(d[:8].reshape(2, 1, 4)), f32(d[8:].reshape(3, 1))], fn)
        case('int32', op, [ints(-9, 9, 5), ints(-9, 9, 5)], fn)
        case('nan', op, [torch.tensor([float('nan'), 1.0, 2.0]), torch.tensor([0.0, float('nan'), 3.0])], fn,
             grad=False)
    # pow: scalar exponent and tensor exponent (positive base so every gradient exists)
    x = f32(rn(3, 4))
    for e in (2, 3, -1, 0.5, 0):
        base = f32(pos(3, 4)) if e != int(e) or e < 0 else x.clone()
        case(f'scalar{e}', 'pow', [base], lambda a, e=e: torch.pow(a, e), {'scalar': e})
    case('tensor[3,4]x[3,4]', 'pow', [f32(pos(3, 4)), f32(rn(3, 4))], torch.pow)
    case('tensor-broadcast[2,3]x[3]', 'pow', [f32(pos(2, 3)), f32(rn(3))], torch.pow)
    case('int32-scalar2', 'pow', [ints(-4, 5, 6)], lambda a: torch.pow(a, 2), {'scalar': 2})
    # a number as the first operand, and add/sub's alpha
    case('scalar-first-1-x', 'sub', [f32(rn(2, 3))], lambda a: 1 - a, {'scalar': 1, 'scalarFirst': True})
    case('scalar-first-1/x', 'div', [f32(pos(2, 3))], lambda a: 1 / a, {'scalar': 1, 'scalarFirst': True})
    case('scalar-first-2**x', 'pow', [f32(rn(2, 3))], lambda a: torch.pow(2, a), {'scalar': 2, 'scalarFirst': True})
    case('alpha2', 'add', [f32(rn(2, 3)), f32(rn(3))], lambda a, b: torch.add(a, b, alpha=2), {'alpha': 2})
    case('alpha0.5', 'sub', [f32(rn(2, 3)), f32(rn(2, 3))], lambda a, b: torch.sub(a, b, alpha=0.5), {'alpha': 0.5})
    # dtype promotion
    i, j = ints(-5, 6, 2, 3), ints(1, 6, 2, 3)
    case('int32+float32', 'add', [i, f32(rn(2, 3))], torch.add)
    case('float32+int32', 'add', [f32(rn(3)), ints(-3, 3, 2, 3)], torch.add)
    case('int32+int32', 'add', [i.clone(), j], torch.add)
    case('int32/int32', 'div', [i.clone(), j.clone()], torch.div)
    case('int32/int-scalar', 'div', [i.clone()], lambda a: torch.div(a, 2), {'scalar': 2})
    case('int32*int-scalar', 'mul', [i.clone()], lambda a: a * 3, {'scalar': 3})
    case('int32*float-scalar', 'mul', [i.clone()], lambda a: a * 0.5, {'scalar': 0.5})
    case('float32*float-scalar', 'mul', [f32(rn(4))], lambda a: a * 1.5, {'scalar': 1.5})
    case('int32-int32', 'sub', [i.clone(), j.clone()], torch.sub)
    case('int32*int32', 'mul', [i.clone(), j.clone()], torch.mul)
    b1, b2 = bools(6), bools(6)
    case('bool+bool', 'add', [b1, b2], torch.add)
    case('bool*bool', 'mul', [b1.clone(), b2.clone()], torch.mul)
    case('bool+int-scalar', 'add', [b1.clone()], lambda a: a + 1, {'scalar': 1})
    case('bool+float32', 'add', [b1.clone(), f32(rn(6))], torch.add)
    case('float32+float64', 'add', [f32(rn(3)), f64(rn(3))], torch.add)
    case('float32+0d-float64', 'add', [f32(rn(3)), f64(rn())], torch.add)
    case('int32+0d-float32', 'add', [ints(0, 5, 3), f32(rn())], torch.add)
    case('div-by-zero', 'div', [torch.tensor([1.0, -1.0, 0.0]), torch.tensor([0.0, 0.0, 0.0])], torch.div, grad=False)


def comparisons():
    fns = {'eq': torch.eq, 'ne': torch.ne, 'lt': torch.lt, 'le': torch.le, 'gt': torch.gt, 'ge': torch.ge}
    a = f32(torch.round(rn(3, 4) * 2) / 2)
    b = a.clone()
    b[0] += 0.5
    b[2] -= 0.5
    for op, fn in fns.items():
        case('[3,4]', op, [a.clone(), b.clone()], fn)
        case('broadcast[3,4]x[4]', op, [a.clone(), b[1].clone()], fn)
        case('scalar', op, [a.clone()], lambda x, fn=fn: fn(x, 0.5), {'scalar': 0.5})
        case('int32', op, [ints(0, 3, 6), ints(0, 3, 6)], fn)
        case('int32-vs-float', op, [ints(0, 3, 4), torch.tensor([0.5, 1.0, 2.0, 1.5])], fn)
    case('nan', 'eq', [torch.tensor([float('nan'), 1.0]), torch.tensor([float('nan'), 1.0])], torch.eq)
    case('nan', 'ne', [torch.tensor([float('nan'), 1.0]), torch.tensor([float('nan'), 1.0])], torch.ne)


def select():
    cond = bools(3, 4)
    case('[3,4]', 'where', [cond, f32(rn(3, 4)), f32(rn(3, 4))], torch.where)
    case('broadcast[3,1]x[4]x[]', 'where', [bools(3, 1), f32(rn(4)), f32(rn())], torch.where)
    case('broadcast-cond[4]x[2,4]x[2,1]', 'where', [bools(4), f32(rn(2, 4)), f32(rn(2, 1))], torch.where)
    case('int32', 'where', [cond.clone(), ints(0, 9, 3, 4), ints(0, 9, 3, 4)], torch.where)
    case('mixed-int32-float32', 'where', [cond.clone(), ints(0, 9, 3, 4), f32(rn(3, 4))], torch.where)
    case('scalar-other', 'where', [bools(2, 3), f32(rn(2, 3))], lambda c, x: torch.where(c, x, 0.0), {'other': 0})
    case('empty', 'where', [bools(0, 2), f32(rn(0, 2)), f32(rn(0, 2))], torch.where)
    m = bools(3, 4)
    case('[3,4]', 'maskedFill', [f32(rn(3, 4)), m], lambda x, k: x.masked_fill(k, -1.5), {'value': -1.5})
    case('broadcast-mask[4]', 'maskedFill', [f32(rn(3, 4)), bools(4)], lambda x, k: x.masked_fill(k, 0.0),
         {'value': 0})
    case('-inf', 'maskedFill', [f32(rn(2, 3)), bools(2, 3)], lambda x, k: x.masked_fill(k, float('-inf')),
         {'value': '-inf'}, grad=False)
    case('int32', 'maskedFill', [ints(0, 9, 5), bools(5)], lambda x, k: x.masked_fill(k, 7), {'value': 7})


def build():
    unary()
    activations()
    binary()
    comparisons()
    select()
