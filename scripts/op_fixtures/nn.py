# Fixture cases for linear algebra and network ops: matmul, linear, conv1d/2d, convTranspose2d,
# pooling, adaptiveAvgPool2d, embedding, dropout (deterministic settings), oneHot, softmax/logSoftmax.

import torch
import torch.nn.functional as F

from .common import case, rn, distinct, ints, f32, f64


def s(*shapes):
    return 'x'.join('[' + ','.join(str(d) for d in sh) + ']' for sh in shapes)


def matmuls():
    for sa, sb in (((4,), (4,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)),
                   ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((3, 2, 4), (4, 2)),
                   ((3, 4), (2, 4, 2)), ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((1, 1), (1, 1))):
        case(s(sa, sb), 'matmul', [f32(rn(*sa)), f32(rn(*sb))], torch.matmul)
    case('float64', 'matmul', [f64(rn(3, 4)), f64(rn(4, 2))], torch.matmul)
    case('larger[16,33]x[33,9]', 'matmul', [f32(rn(16, 33)), f32(rn(33, 9))], torch.matmul)
    case('int32', 'matmul', [ints(-3, 4, 2, 3), ints(-3, 4, 3, 2)], torch.matmul)
    case('bias', 'linear', [f32(rn(4, 3)), f32(rn(5, 3)), f32(rn(5))], F.linear)
    case('no-bias', 'linear', [f32(rn(4, 3)), f32(rn(5, 3))], F.linear)
    case('batched[2,3,4]', 'linear', [f32(rn(2, 3, 4)), f32(rn(2, 4)), f32(rn(2))], F.linear)
    case('1d-input', 'linear', [f32(rn(3)), f32(rn(2, 3)), f32(rn(2))], F.linear)
    case('[2,3]x[3,4]', 'mm', [f32(rn(2, 3)), f32(rn(3, 4))], torch.mm)
    case('[2,2,3]x[2,3,4]', 'bmm', [f32(rn(2, 2, 3)), f32(rn(2, 3, 4))], torch.bmm)


def convs():
    def c2(name, xs, ws, bias=True, **kw):
        ins = [f32(rn(*xs)), f32(rn(*ws))] + ([f32(rn(ws[0]))] if bias else [])
        case(name, 'conv2d', ins, lambda x, w, b=None: F.conv2d(x, w, b, **kw), _camel(kw))

    c2('basic', (2, 3, 5, 5), (4, 3, 3, 3))
    c2('no-bias', (1, 2, 4, 4), (3, 2, 2, 2), bias=False)
    c2('stride2-pad1', (2, 3, 6, 6), (4, 3, 3, 3), stride=2, padding=1)
    c2('stride(2,1)-pad(1,2)', (1, 2, 5, 6), (3, 2, 3, 2), stride=(2, 1), padding=(1, 2))
    c2('dilation2', (1, 2, 7, 7), (2, 2, 3, 3), dilation=2)
    c2('groups3', (2, 3, 5, 5), (6, 1, 3, 3), groups=3, padding=1)
    c2('groups2-stride2-dil2', (1, 4, 8, 8), (4, 2, 2, 3), groups=2, stride=2, dilation=2, padding=1)
    c2('1x1', (2, 4, 3, 3), (2, 4, 1, 1))
    case('unbatched[3,5,5]', 'conv2d', [f32(rn(3, 5, 5)), f32(rn(2, 3, 3, 3)), f32(rn(2))],
         lambda x, w, b: F.conv2d(x, w, b, padding=1), {'padding': 1})
    c2('kernel-eq-input', (2, 2, 3, 3), (3, 2, 3, 3))
    case('empty-batch', 'conv2d', [f32(rn(0, 2, 4, 4)), f32(rn(3, 2, 3, 3)), f32(rn(3))], lambda x, w, b: F.conv2d(x, w, b))
    case('float64', 'conv2d', [f64(rn(1, 2, 4, 4)), f64(rn(2, 2, 3, 3)), f64(rn(2))],
         lambda x, w, b: F.conv2d(x, w, b, padding=1), {'padding': 1})

    def c1(name, xs, ws, bias=True, **kw):
        ins = [f32(rn(*xs)), f32(rn(*ws))] + ([f32(rn(ws[0]))] if bias else [])
        case(name, 'conv1d', ins, lambda x, w, b=None: F.conv1d(x, w, b, **kw), _camel(kw))

    c1('basic', (2, 3, 7), (4, 3, 3))
    c1('stride2-pad1', (2, 3, 8), (4, 3, 3), stride=2, padding=1)
    c1('dilation2-no-bias', (1, 2, 9), (3, 2, 3), bias=False, dilation=2)
    c1('groups2', (2, 4, 6), (6, 2, 2), groups=2)

    def ct(name, xs, ws, bias=True, **kw):
        cout = ws[1] * kw.get('groups', 1)
        ins = [f32(rn(*xs)), f32(rn(*ws))] + ([f32(rn(cout))] if bias else [])
        case(name, 'convTranspose2d', ins, lambda x, w, b=None: F.conv_transpose2d(x, w, b, **kw), _camel(kw))

    ct('basic', (2, 3, 3, 3), (3, 2, 3, 3))
    ct('stride2', (1, 2, 3, 3), (2, 3, 3, 3), stride=2)
    ct('stride2-pad1-outpad1', (2, 2, 3, 4), (2, 3, 3, 3), stride=2, padding=1, output_padding=1)
    ct('stride(2,3)-outpad(1,2)', (1, 2, 3, 3), (2, 2, 2, 3), stride=(2, 3), output_padding=(1, 2))
    ct('groups2', (1, 4, 3, 3), (4, 1, 2, 2), groups=2, bias=False)
    ct('dilation2', (1, 2, 3, 3), (2, 2, 3, 3), dilation=2, padding=1)


def _camel(kw):
    out = {}
    for k, v in kw.items():
        k2 = {'output_padding': 'outputPadding', 'ceil_mode': 'ceilMode', 'count_include_pad': 'countIncludePad',
              'kernel_size': 'kernelSize'}.get(k, k)
        out[k2] = list(v) if isinstance(v, tuple) else v
    return out


def pools():
    def mp2(name, xs, k, **kw):
        case(name, 'maxPool2d', [f32(distinct(*xs))], lambda x: F.max_pool2d(x, k, **kw),
             dict(kernelSize=list(k) if isinstance(k, tuple) else k, **_camel(kw)))

    mp2('k2', (2, 3, 4, 4), 2)
    case('k2-indices', 'maxPool2dWithIndices', [f32(distinct(1, 2, 4, 4))], lambda x: F.max_pool2d(x, 2, return_indices=True),
         {'kernelSize': 2})
    case('k3-s2-p1-indices', 'maxPool2dWithIndices', [f32(distinct(1, 2, 5, 5))],
         lambda x: F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True), {'kernelSize': 3, 'stride': 2, 'padding': 1})
    mp2('unbatched[2,4,4]-k2', (2, 4, 4), 2)
    mp2('k3-s2-p1', (1, 2, 5, 5), 3, stride=2, padding=1)
    mp2('empty-batch', (0, 2, 4, 4), 2)
    mp2('k3-s2-ceil', (1, 2, 6, 6), 3, stride=2, ceil_mode=True)
    mp2('k2-dilation2', (1, 1, 6, 6), 2, dilation=2)
    mp2('k(2,3)-s1', (1, 2, 4, 5), (2, 3), stride=1)
    mp2('k2-s1-p1-ceil', (1, 1, 4, 4), 2, stride=1, padding=1, ceil_mode=True)

    def mp1(name, xs, k, **kw):
        case(name, 'maxPool1d', [f32(distinct(*xs))], lambda x: F.max_pool1d(x, k, **kw),
             dict(kernelSize=k, **_camel(kw)))

    mp1('k2', (2, 3, 8), 2)
    mp1('unbatched[2,6]-k2', (2, 6), 2)
    mp1('k3-s2-p1', (1, 2, 7), 3, stride=2, padding=1)
    mp1('k3-s2-ceil', (1, 2, 8), 3, stride=2, ceil_mode=True)
    mp1('k2-dilation2', (1, 2, 7), 2, dilation=2)

    def ap2(name, xs, k, **kw):
        case(name, 'avgPool2d', [f32(rn(*xs))], lambda x: F.avg_pool2d(x, k, **kw),
             dict(kernelSize=list(k) if isinstance(k, tuple) else k, **_camel(kw)))

    ap2('k2', (2, 3, 4, 4), 2)
    ap2('unbatched[2,4,4]-k2', (2, 4, 4), 2)
    ap2('k3-s2-p1', (1, 2, 5, 5), 3, stride=2, padding=1)
    ap2('k3-s2-p1-exclude-pad', (1, 2, 5, 5), 3, stride=2, padding=1, count_include_pad=False)
    ap2('k3-s2-ceil', (1, 2, 6, 6), 3, stride=2, ceil_mode=True)
    ap2('k2-s2-p1-ceil-exclude', (1, 1, 5, 5), 2, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    ap2('k2-s2-p1-ceil-include', (1, 1, 5, 5), 2, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
    ap2('k(2,3)-s(1,2)', (1, 2, 4, 7), (2, 3), stride=(1, 2))

    def ap1(name, xs, k, **kw):
        case(name, 'avgPool1d', [f32(rn(*xs))], lambda x: F.avg_pool1d(x, k, **kw), dict(kernelSize=k, **_camel(kw)))

    ap1('k2', (2, 3, 8), 2)
    ap1('k3-s2-p1', (1, 2, 7), 3, stride=2, padding=1)
    ap1('k3-s2-p1-exclude-pad', (1, 2, 7), 3, stride=2, padding=1, count_include_pad=False)
    ap1('k3-s2-ceil', (1, 2, 8), 3, stride=2, ceil_mode=True)

    for xs, o in (((2, 3, 6, 6), (3, 3)), ((1, 2, 7, 5), (3, 2)), ((1, 2, 5, 5), (1, 1)), ((1, 1, 4, 6), 2),
                  ((1, 1, 3, 3), (5, 4))):
        case(f'{s(xs)}->{str(o).replace(" ", "")}', 'adaptiveAvgPool2d', [f32(rn(*xs))], lambda x, o=o: F.adaptive_avg_pool2d(x, o),
             {'outputSize': list(o) if isinstance(o, tuple) else o})


def misc():
    w = f32(rn(10, 4))
    case('[2,3]', 'embedding', [torch.tensor([[1, 2, 4], [4, 3, 9]], dtype=torch.int32), w],
         lambda i, w: F.embedding(i.long(), w))
    case('repeated-index', 'embedding', [torch.tensor([0, 0, 5, 0], dtype=torch.int32), f32(rn(6, 3))],
         lambda i, w: F.embedding(i.long(), w))
    case('0d-index', 'embedding', [torch.tensor(3, dtype=torch.int32), f32(rn(5, 2))],
         lambda i, w: F.embedding(i.long(), w))
    case('eval', 'dropout', [f32(rn(3, 4))], lambda x: F.dropout(x, 0.5, False), {'p': 0.5, 'training': False})
    case('p0-train', 'dropout', [f32(rn(3, 4))], lambda x: F.dropout(x, 0.0, True), {'p': 0, 'training': True})
    case('p1-train', 'dropout', [f32(rn(3, 4))], lambda x: F.dropout(x, 1.0, True), {'p': 1, 'training': True})
    case('[4]-5', 'oneHot', [torch.tensor([0, 4, 2, 2], dtype=torch.int32)],
         lambda i: F.one_hot(i.long(), 5), {'numClasses': 5})
    case('[2,3]-inferred', 'oneHot', [torch.tensor([[0, 1, 3], [3, 2, 0]], dtype=torch.int32)],
         lambda i: F.one_hot(i.long()), {})
    case('empty', 'oneHot', [torch.zeros(0, dtype=torch.int32)], lambda i: F.one_hot(i.long(), 4), {'numClasses': 4})
    case('empty-index', 'embedding', [torch.zeros(0, 2, dtype=torch.int32), f32(rn(5, 3))],
         lambda i, w: F.embedding(i.long(), w))
    case('0d-3', 'oneHot', [torch.tensor(1, dtype=torch.int32)], lambda i: F.one_hot(i.long(), 3), {'numClasses': 3})
    for op, fn in (('softmax', F.softmax), ('logSoftmax', F.log_softmax)):
        case('dim-1[3,5]', op, [f32(rn(3, 5))], lambda x, fn=fn: fn(x, -1), {'dim': -1})
        case('dim0[3,5]', op, [f32(rn(3, 5))], lambda x, fn=fn: fn(x, 0), {'dim': 0})
        case('dim1[2,3,4]', op, [f32(rn(2, 3, 4))], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('large-values', op, [f32(rn(2, 4) * 5 + 500)], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        # x - logsumexp(x) rounds the sum near 1000 (spacing 6e-5); (x - max) - log(Σ exp(x - max)) does not
        case('offset-1000', op, [torch.tensor([[998.75, 996.5, 1005.25, 998.5], [1002.75, 1000.25, 997.75, 997.25]])],
             lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('-inf-entry', op, [torch.tensor([[0.5, float('-inf'), 1.0], [2.0, -1.0, 0.3]])],
             lambda x, fn=fn: fn(x, 1), {'dim': 1}, grad=False)
        case('0d', op, [f32(rn())], lambda x, fn=fn: fn(x, 0), {'dim': 0})
        case('size1-dim', op, [f32(rn(3, 1))], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('empty[0,3]', op, [f32(rn(0, 3))], lambda x, fn=fn: fn(x, 1), {'dim': 1})
        case('float64', op, [f64(rn(2, 3))], lambda x, fn=fn: fn(x, -1), {'dim': -1})


def build():
    matmuls()
    convs()
    pools()
    misc()
