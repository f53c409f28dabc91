# Fixture cases for shape and indexing ops: reshape/view, flatten, squeeze/unsqueeze, transpose,
# permute, expand, cat/stack, split/chunk, narrow, slice, indexSelect, gather, scatterAdd, pad, repeat.

import torch
import torch.nn.functional as F

from .common import case, rn, ints, bools, f32, f64


def py_slice(x, dim, start, end, step):
    idx = [slice(None)] * x.dim()
    idx[dim] = slice(start, end, step)
    return x[tuple(idx)]


def views():
    for op in ('reshape', 'view'):
        f = (lambda x, s: x.reshape(s)) if op == 'reshape' else (lambda x, s: x.view(s))
        case('[2,3,4]->[6,4]', op, [f32(rn(2, 3, 4))], lambda x: f(x, [6, 4]), {'shape': [6, 4]})
        case('[2,3,4]->[-1]', op, [f32(rn(2, 3, 4))], lambda x: f(x, [-1]), {'shape': [-1]})
        case('[2,3,4]->[4,-1,2]', op, [f32(rn(2, 3, 4))], lambda x: f(x, [4, -1, 2]), {'shape': [4, -1, 2]})
        case('[1]->[]', op, [f32(rn(1))], lambda x: f(x, []), {'shape': []})
        case('[]->[1,1]', op, [f32(rn())], lambda x: f(x, [1, 1]), {'shape': [1, 1]})
        case('empty[0,3]->[3,0]', op, [f32(rn(0, 3))], lambda x: f(x, [3, 0]), {'shape': [3, 0]})
    case('int32', 'reshape', [ints(0, 9, 2, 3)], lambda x: x.reshape(3, 2), {'shape': [3, 2]})
    case('default', 'flatten', [f32(rn(2, 3, 4))], lambda x: x.flatten(), {})
    case('start1', 'flatten', [f32(rn(2, 3, 4))], lambda x: x.flatten(1), {'startDim': 1})
    case('start0-end1', 'flatten', [f32(rn(2, 3, 4))], lambda x: x.flatten(0, 1), {'startDim': 0, 'endDim': 1})
    case('start-2-end-1', 'flatten', [f32(rn(2, 3, 4, 2))], lambda x: x.flatten(-2, -1), {'startDim': -2, 'endDim': -1})
    case('0d', 'flatten', [f32(rn())], lambda x: x.flatten(), {})
    case('all', 'squeeze', [f32(rn(1, 3, 1, 2))], lambda x: x.squeeze(), {})
    case('dim2', 'squeeze', [f32(rn(1, 3, 1, 2))], lambda x: x.squeeze(2), {'dim': 2})
    case('dim-4', 'squeeze', [f32(rn(1, 3, 1, 2))], lambda x: x.squeeze(-4), {'dim': -4})
    case('not-size1-noop', 'squeeze', [f32(rn(1, 3, 1, 2))], lambda x: x.squeeze(1), {'dim': 1})
    case('0d', 'squeeze', [f32(rn())], lambda x: x.squeeze(), {})
    case('dim0', 'unsqueeze', [f32(rn(2, 3))], lambda x: x.unsqueeze(0), {'dim': 0})
    case('dim2', 'unsqueeze', [f32(rn(2, 3))], lambda x: x.unsqueeze(2), {'dim': 2})
    case('dim-1', 'unsqueeze', [f32(rn(2, 3))], lambda x: x.unsqueeze(-1), {'dim': -1})
    case('dim-3', 'unsqueeze', [f32(rn(2, 3))], lambda x: x.unsqueeze(-3), {'dim': -3})
    case('0d', 'unsqueeze', [f32(rn())], lambda x: x.unsqueeze(0), {'dim': 0})


def layouts():
    case('0,1', 'transpose', [f32(rn(3, 4))], lambda x: x.transpose(0, 1), {'dim0': 0, 'dim1': 1})
    case('0,2[2,3,4]', 'transpose', [f32(rn(2, 3, 4))], lambda x: x.transpose(0, 2), {'dim0': 0, 'dim1': 2})
    case('-1,-2[2,3,4]', 'transpose', [f32(rn(2, 3, 4))], lambda x: x.transpose(-1, -2), {'dim0': -1, 'dim1': -2})
    case('same-dim', 'transpose', [f32(rn(2, 3))], lambda x: x.transpose(1, 1), {'dim0': 1, 'dim1': 1})
    case('int32', 'transpose', [ints(0, 9, 2, 3)], lambda x: x.transpose(0, 1), {'dim0': 0, 'dim1': 1})
    case('empty[0,3]', 'transpose', [f32(rn(0, 3))], lambda x: x.transpose(0, 1), {'dim0': 0, 'dim1': 1})
    case('bool', 'transpose', [torch.rand(2, 3) > 0.5], lambda x: x.transpose(0, 1), {'dim0': 0, 'dim1': 1})
    case('[3,4]', 't', [f32(rn(3, 4))], lambda x: x.t(), {})
    case('[4]', 't', [f32(rn(4))], lambda x: x.t(), {})
    case('empty[2,0,3]', 'permute', [f32(rn(2, 0, 3))], lambda x: x.permute(2, 0, 1), {'dims': [2, 0, 1]})
    case('[2,0,1]', 'permute', [f32(rn(2, 3, 4))], lambda x: x.permute(2, 0, 1), {'dims': [2, 0, 1]})
    case('[-1,0,1]', 'permute', [f32(rn(2, 3, 4))], lambda x: x.permute(-1, 0, 1), {'dims': [-1, 0, 1]})
    case('[1,0,3,2]', 'permute', [f32(rn(2, 1, 3, 2))], lambda x: x.permute(1, 0, 3, 2), {'dims': [1, 0, 3, 2]})
    for op in ('expand', 'broadcastTo'):
        f = (lambda x, s: x.expand(s)) if op == 'expand' else (lambda x, s: torch.broadcast_to(x, s))
        case('[3,1]->[3,4]', op, [f32(rn(3, 1))], lambda x: f(x, [3, 4]), {'shape': [3, 4]})
        case('[3]->[2,4,3]', op, [f32(rn(3))], lambda x: f(x, [2, 4, 3]), {'shape': [2, 4, 3]})
        case('[1,3,1]->[2,-1,2]', op, [f32(rn(1, 3, 1))], lambda x: f(x, [2, -1, 2]), {'shape': [2, -1, 2]})
        case('[]->[2,2]', op, [f32(rn())], lambda x: f(x, [2, 2]), {'shape': [2, 2]})
        case('[1,2]->[0,2]', op, [f32(rn(1, 2))], lambda x: f(x, [0, 2]), {'shape': [0, 2]})
    case('[2,3]', 'contiguous', [f32(rn(2, 3))], lambda x: x.contiguous(), {})


def joins():
    case('dim0', 'cat', [f32(rn(2, 3)), f32(rn(4, 3))], lambda a, b: torch.cat([a, b], 0), {'dim': 0})
    case('dim-1', 'cat', [f32(rn(2, 3)), f32(rn(2, 1)), f32(rn(2, 2))], lambda *t: torch.cat(t, -1), {'dim': -1})
    case('dim1[2,3,2]', 'cat', [f32(rn(2, 3, 2)), f32(rn(2, 1, 2))], lambda *t: torch.cat(t, 1), {'dim': 1})
    case('with-empty', 'cat', [f32(rn(2, 3)), f32(rn(0, 3)), f32(rn(1, 3))], lambda *t: torch.cat(t, 0), {'dim': 0})
    case('single', 'cat', [f32(rn(2, 3))], lambda *t: torch.cat(t, 0), {'dim': 0})
    case('int32', 'cat', [ints(0, 9, 2), ints(0, 9, 3)], lambda *t: torch.cat(t, 0), {'dim': 0})
    case('bool', 'cat', [torch.rand(2) > 0.5, torch.rand(3) > 0.5], lambda *t: torch.cat(t, 0), {'dim': 0})
    case('empty[0,2]', 'stack', [f32(rn(0, 2)), f32(rn(0, 2))], lambda *t: torch.stack(t, 1), {'dim': 1})
    case('float32+float64', 'cat', [f32(rn(2)), f64(rn(3))], lambda *t: torch.cat(t, 0), {'dim': 0})
    case('dim0', 'stack', [f32(rn(2, 3)), f32(rn(2, 3))], lambda *t: torch.stack(t, 0), {'dim': 0})
    case('dim1', 'stack', [f32(rn(2, 3)), f32(rn(2, 3)), f32(rn(2, 3))], lambda *t: torch.stack(t, 1), {'dim': 1})
    case('dim-1', 'stack', [f32(rn(2, 3)), f32(rn(2, 3))], lambda *t: torch.stack(t, -1), {'dim': -1})
    case('0d', 'stack', [f32(rn()), f32(rn()), f32(rn())], lambda *t: torch.stack(t, 0), {'dim': 0})


def splits():
    # backward is of outputs[0] only: the other pieces get zero gradient
    case('size2-dim0[5,4]', 'split', [f32(rn(5, 4))], lambda x: x.split(2, 0), {'splitSizeOrSections': 2, 'dim': 0})
    case('sizes[1,3]-dim1', 'split', [f32(rn(2, 4))], lambda x: x.split([1, 3], 1),
         {'splitSizeOrSections': [1, 3], 'dim': 1})
    case('size3-dim-1', 'split', [f32(rn(2, 7))], lambda x: x.split(3, -1), {'splitSizeOrSections': 3, 'dim': -1})
    case('sizes-with-zero', 'split', [f32(rn(3, 2))], lambda x: x.split([0, 2, 1], 0),
         {'splitSizeOrSections': [0, 2, 1], 'dim': 0})
    case('3-of-5', 'chunk', [f32(rn(5, 2))], lambda x: x.chunk(3, 0), {'chunks': 3, 'dim': 0})
    case('4-of-6-gives-3', 'chunk', [f32(rn(6))], lambda x: x.chunk(4, 0), {'chunks': 4, 'dim': 0})
    case('2-of-4-dim-1', 'chunk', [f32(rn(3, 4))], lambda x: x.chunk(2, -1), {'chunks': 2, 'dim': -1})
    case('5-of-3', 'chunk', [f32(rn(3, 2))], lambda x: x.chunk(5, 0), {'chunks': 5, 'dim': 0})
    case('dim1', 'narrow', [f32(rn(3, 5))], lambda x: x.narrow(1, 1, 3), {'dim': 1, 'start': 1, 'length': 3})
    case('dim-3', 'narrow', [f32(rn(4, 2, 3))], lambda x: x.narrow(-3, 2, 2), {'dim': -3, 'start': 2, 'length': 2})
    case('length0', 'narrow', [f32(rn(3, 2))], lambda x: x.narrow(0, 1, 0), {'dim': 0, 'start': 1, 'length': 0})
    x = f32(rn(7, 5))
    for dim, st, en, stp in ((0, 0, 7, 2), (0, 1, None, 3), (1, -3, None, 1), (1, None, -1, 2),
                             (0, 2, 100, 1), (0, 5, 2, 1), (-1, 0, 5, 4)):
        kw = {'dim': dim}
        if st is not None:
            kw['start'] = st
        if en is not None:
            kw['end'] = en
        kw['step'] = stp
        case(f'dim{dim}[{st}:{en}:{stp}]', 'slice', [x.clone()], lambda t, a=(dim, st, en, stp): py_slice(t, *a), kw)


def indexing():
    x = f32(rn(4, 3))
    case('dim0', 'indexSelect', [x, torch.tensor([2, 0, 2], dtype=torch.int32)],
         lambda t, i: t.index_select(0, i.long()), {'dim': 0})
    case('dim1', 'indexSelect', [f32(rn(2, 5)), torch.tensor([4, 1], dtype=torch.int32)],
         lambda t, i: t.index_select(1, i.long()), {'dim': 1})
    case('dim-1[2,3,4]', 'indexSelect', [f32(rn(2, 3, 4)), torch.tensor([3, 3, 0], dtype=torch.int32)],
         lambda t, i: t.index_select(-1, i.long()), {'dim': -1})
    case('empty-index', 'indexSelect', [f32(rn(3, 2)), torch.zeros(0, dtype=torch.int32)],
         lambda t, i: t.index_select(0, i.long()), {'dim': 0})
    case('dim1', 'gather', [f32(rn(3, 4)), torch.tensor([[0, 3], [1, 1], [2, 0]], dtype=torch.int32)],
         lambda t, i: t.gather(1, i.long()), {'dim': 1})
    case('dim0', 'gather', [f32(rn(3, 4)), torch.tensor([[2, 0, 1, 2], [0, 0, 2, 1]], dtype=torch.int32)],
         lambda t, i: t.gather(0, i.long()), {'dim': 0})
    case('smaller-index[2,3,2]', 'gather', [f32(rn(2, 3, 4)), ints(0, 4, 2, 2, 2)],
         lambda t, i: t.gather(-1, i.long()), {'dim': -1})
    case('empty-index', 'gather', [f32(rn(3, 4)), torch.zeros(3, 0, dtype=torch.int32)],
         lambda t, i: t.gather(1, i.long()), {'dim': 1})
    case('bool', 'indexSelect', [torch.rand(4, 2) > 0.5, torch.tensor([3, 0], dtype=torch.int32)],
         lambda t, i: t.index_select(0, i.long()), {'dim': 0})
    case('dim1', 'scatterAdd', [f32(rn(3, 5)), torch.tensor([[0, 4, 0], [1, 2, 3], [4, 4, 4]], dtype=torch.int32),
                                f32(rn(3, 3))], lambda t, i, s: t.scatter_add(1, i.long(), s), {'dim': 1})
    case('dim0', 'scatterAdd', [f32(rn(3, 2)), torch.tensor([[2, 0], [2, 2]], dtype=torch.int32), f32(rn(2, 2))],
         lambda t, i, s: t.scatter_add(0, i.long(), s), {'dim': 0})
    case('dim1', 'indexAdd', [f32(rn(3, 4)), torch.tensor([3, 0, 3], dtype=torch.int32), f32(rn(3, 3))],
         lambda t, i, s: t.index_add(1, i.long(), s), {'dim': 1})
    case('dim0-int32', 'indexAdd', [ints(-3, 4, 3, 2), torch.tensor([2, 2], dtype=torch.int32), ints(-3, 4, 2, 2)],
         lambda t, i, s: t.index_add(0, i.long(), s), {'dim': 0})
    case('index-smaller-than-x', 'scatterAdd', [f32(rn(3, 4)), ints(0, 3, 2, 2), f32(rn(2, 2))],
         lambda t, i, s: t.scatter_add(0, i.long(), s), {'dim': 0})


def selections():
    case('dim1-1', 'select', [f32(rn(2, 3, 4))], lambda x: x.select(1, 1), {'dim': 1, 'index': 1})
    case('dim-1-neg', 'select', [f32(rn(2, 3))], lambda x: x.select(-1, -1), {'dim': -1, 'index': -1})
    case('number-none-range', 'index', [f32(rn(3, 4, 5))], lambda x: x[1, :, 0:5:2], {'specs': [1, None, [0, 5, 2]]})
    case('neg-range', 'index', [f32(rn(6))], lambda x: x[-4:-1], {'specs': [[-4, -1]]})
    case('dims[0,2]', 'flip', [f32(rn(2, 3, 4))], lambda x: x.flip([0, 2]), {'dims': [0, 2]})
    case('int32', 'flip', [ints(0, 9, 5)], lambda x: x.flip([0]), {'dims': [0]})
    case('[2,6]->dim1[2,3]', 'unflatten', [f32(rn(2, 6))], lambda x: x.unflatten(1, (2, 3)), {'dim': 1, 'sizes': [2, 3]})
    case('[3,4]', 'clone', [f32(rn(3, 4))], lambda x: x.clone(), {})
    case('[3,1]-[4]-[]', 'broadcastTensors', [f32(rn(3, 1)), f32(rn(4)), f32(rn())], lambda *xs: torch.broadcast_tensors(*xs), {})
    case('[2,3,4]->[3,1]', 'sumTo', [f32(rn(2, 3, 4))], lambda x: x.sum(0).sum(1, keepdim=True), {'shape': [3, 1]})
    for a, b in (('float32', 'float64'), ('float64', 'float32'), ('float32', 'int32'), ('int32', 'float32'), ('float32', 'bool'),
                 ('bool', 'int32')):
        src = {'float32': f32(rn(5) * 3), 'float64': f64(rn(5) * 3), 'int32': ints(-4, 5, 5), 'bool': bools(5)}[a]
        dt = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int32, 'bool': torch.bool}[b]
        case(f'{a}->{b}', 'cast', [src], lambda x, dt=dt: x.to(dt), {'dtype': b})


def pads_repeats():
    case('last-dim(1,2)', 'pad', [f32(rn(2, 3))], lambda x: F.pad(x, (1, 2)), {'pad': [1, 2]})
    case('two-dims(1,1,2,0)-value1.5', 'pad', [f32(rn(2, 3))], lambda x: F.pad(x, (1, 1, 2, 0), value=1.5),
         {'pad': [1, 1, 2, 0], 'value': 1.5})
    case('3d(0,1,1,0,1,1)', 'pad', [f32(rn(2, 2, 2))], lambda x: F.pad(x, (0, 1, 1, 0, 1, 1)), {'pad': [0, 1, 1, 0, 1, 1]})
    case('negative-crops(-1,1)', 'pad', [f32(rn(2, 3))], lambda x: F.pad(x, (-1, 1)), {'pad': [-1, 1]})
    case('empty-dim', 'pad', [f32(rn(0, 2))], lambda x: F.pad(x, (1, 1)), {'pad': [1, 1]})
    case('[2,3]x(2,1)', 'repeat', [f32(rn(2, 3))], lambda x: x.repeat(2, 1), {'repeats': [2, 1]})
    case('[2,3]x(2,2,3)', 'repeat', [f32(rn(2, 3))], lambda x: x.repeat(2, 2, 3), {'repeats': [2, 2, 3]})
    case('0d-x(3)', 'repeat', [f32(rn())], lambda x: x.repeat(3), {'repeats': [3]})
    case('x(0,1)', 'repeat', [f32(rn(2, 2))], lambda x: x.repeat(0, 1), {'repeats': [0, 1]})
    case('int32', 'repeat', [ints(0, 9, 3)], lambda x: x.repeat(2), {'repeats': [2]})


def build():
    views()
    layouts()
    joins()
    splits()
    indexing()
    selections()
    pads_repeats()
