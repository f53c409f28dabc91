# Writes fixtures/layers-extra.json: the layers and functional forms of issue 13 run by real PyTorch —
# conv3d, conv_transpose1d, padding='same' (asymmetric, dilated), conv padding_mode, the extra
# activations (functional and modules), nn.utils.rnn packing with RNN/LSTM/GRU on packed input, and
# weight_norm / spectral_norm. Inputs and parameters are float32-exact; references are computed in
# float64 and written with 17 significant digits. Backward is of sum(out * cotangent) (plus the final
# states' cotangents for the recurrent cases).
#
# Run with Debian's torch: /usr/bin/python3 scripts/gen_layers_extra_fixtures.py

import json
import os
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import rnn as rnn_utils

# (gen_layer_fixtures.py writes its file when imported, so its few helpers are repeated here.)
def r32(t):
    return t.to(torch.float32).to(torch.float64)


def randn(*shape, scale=1.0):
    return r32(torch.randn(*shape, dtype=torch.float64) * scale)


def enc(t):
    t = t.detach()
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': [float(f'{v:.17g}') for v in t.to(torch.float64).reshape(-1).tolist()]}


def tup(v):
    return tuple(tup(x) for x in v) if isinstance(v, list) else v


def S(kind, *args, **opts):
    return {'type': kind, 'args': list(args), 'opts': opts}


SNAKE = {'outputPadding': 'output_padding', 'paddingMode': 'padding_mode', 'numParameters': 'num_parameters',
         'batchFirst': 'batch_first', 'numLayers': 'num_layers', 'minVal': 'min_val', 'maxVal': 'max_val'}
FN, MODULES, PACK, PACKED_RNN, NORMS = [], [], [], [], []


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def build(spec):
    args = [tup(a) for a in spec.get('args', [])]
    kw = {SNAKE.get(k, k): tup(v) for k, v in spec.get('opts', {}).items()}
    return getattr(nn, spec['type'])(*args, **kw)


def randomize(m):
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(r32(torch.rand(p.shape, dtype=torch.float64) - 0.5))


# ---- functional forms: F.<torch>(*tensors, **kwargs) ----
def fn(name, op, torch_fn, tensors, kwargs=None, positional=None):
    """op: our F name; tensors: inputs (all differentiable); kwargs in camelCase as our options object,
    positional: extra non-tensor positional args (ours and PyTorch's in the same order)."""
    seed(name)
    kwargs = kwargs or {}
    positional = positional or []
    xs = [t.clone().requires_grad_(True) if t is not None else None for t in tensors]
    out = torch_fn(*xs, *positional, **{SNAKE.get(k, k): tup(v) for k, v in kwargs.items()})
    cot = randn(*out.shape)
    (out * cot).sum().backward()
    FN.append({'name': name, 'op': op, 'args': [enc(x) if x is not None else None for x in xs], 'positional': positional,
               'kwargs': kwargs, 'out': enc(out), 'cotangent': enc(cot),
               'grads': [enc(x.grad) if x is not None else None for x in xs]})


def conv_fns():
    seed('conv')
    fn('conv3d basic', 'conv3d', F.conv3d, [randn(2, 3, 4, 5, 4), randn(4, 3, 2, 3, 2), randn(4)])
    fn('conv3d stride/padding/dilation', 'conv3d', F.conv3d, [randn(1, 2, 6, 7, 5), randn(3, 2, 3, 2, 2), randn(3)],
       {'stride': [2, 1, 2], 'padding': [1, 2, 0], 'dilation': [1, 2, 1]})
    fn('conv3d groups, no bias', 'conv3d', F.conv3d, [randn(2, 4, 3, 4, 4), randn(6, 2, 2, 2, 3), None], {'groups': 2, 'padding': 1})
    fn('conv3d same asymmetric', 'conv3d', F.conv3d, [randn(1, 2, 5, 4, 6), randn(2, 2, 2, 3, 4), randn(2)], {'padding': 'same'})
    fn('conv3d same dilated', 'conv3d', F.conv3d, [randn(1, 2, 5, 6, 5), randn(3, 2, 3, 2, 2), None], {'padding': 'same', 'dilation': [2, 3, 1]})
    fn('conv3d valid unbatched', 'conv3d', F.conv3d, [randn(2, 4, 4, 3), randn(3, 2, 2, 2, 2), randn(3)], {'padding': 'valid'})
    fn('convTranspose1d basic', 'convTranspose1d', F.conv_transpose1d, [randn(2, 3, 6), randn(3, 4, 3), randn(4)])
    fn('convTranspose1d stride/padding/outputPadding/dilation', 'convTranspose1d', F.conv_transpose1d,
       [randn(2, 4, 5), randn(4, 3, 3), randn(6)], {'stride': 3, 'padding': 2, 'outputPadding': 1, 'dilation': 2, 'groups': 2})
    fn('convTranspose1d unbatched, no bias', 'convTranspose1d', F.conv_transpose1d, [randn(2, 7), randn(2, 3, 4), None], {'stride': 2})
    fn('conv1d same even kernel', 'conv1d', F.conv1d, [randn(2, 3, 9), randn(4, 3, 4), randn(4)], {'padding': 'same'})
    fn('conv1d same even kernel dilated', 'conv1d', F.conv1d, [randn(2, 2, 10), randn(3, 2, 2), None], {'padding': 'same', 'dilation': 3})
    fn('conv2d same asymmetric', 'conv2d', F.conv2d, [randn(2, 3, 6, 7), randn(2, 3, 2, 4), randn(2)], {'padding': 'same'})
    fn('conv2d same asymmetric dilated, groups', 'conv2d', F.conv2d, [randn(1, 4, 7, 6), randn(4, 2, 3, 2), None],
       {'padding': 'same', 'dilation': [1, 3], 'groups': 2})


def act_fns():
    seed('acts')
    x = randn(3, 4, 5, scale=3)
    fn('prelu shared', 'prelu', F.prelu, [x, r32(torch.tensor([0.2], dtype=torch.float64))])
    fn('prelu per channel', 'prelu', F.prelu, [x, randn(4)])
    fn('prelu 1-D input', 'prelu', F.prelu, [randn(7, scale=2), r32(torch.tensor([-0.3], dtype=torch.float64))])
    fn('hardtanh default', 'hardtanh', F.hardtanh, [randn(4, 6, scale=2)])
    fn('hardtanh(-2, 0.5)', 'hardtanh', F.hardtanh, [randn(4, 6, scale=2)], positional=[-2.0, 0.5])
    for op, tf in [('relu6', F.relu6), ('hardswish', F.hardswish), ('hardsigmoid', F.hardsigmoid), ('mish', F.mish),
                   ('logsigmoid', F.logsigmoid), ('softsign', F.softsign), ('tanhshrink', F.tanhshrink), ('selu', F.selu)]:
        fn(op, op, tf, [randn(5, 6, scale=4)])
    fn('logsigmoid large', 'logsigmoid', F.logsigmoid, [r32(torch.tensor([-60.0, -20.0, 0.0, 20.0, 60.0], dtype=torch.float64))])
    fn('softmin dim 1', 'softmin', F.softmin, [randn(3, 5, scale=2)], positional=[1])
    fn('softmin dim 0', 'softmin', F.softmin, [randn(4, 3, 2)], positional=[0])
    fn('softshrink default', 'softshrink', F.softshrink, [randn(5, 6)])
    fn('softshrink 1.2', 'softshrink', F.softshrink, [randn(5, 6, scale=2)], positional=[1.2])
    fn('hardshrink default', 'hardshrink', F.hardshrink, [randn(5, 6)])
    fn('hardshrink 0.8', 'hardshrink', F.hardshrink, [randn(5, 6)], positional=[0.8])
    fn('threshold(0.1, 20)', 'threshold', F.threshold, [randn(5, 6)], positional=[0.1, 20.0])
    fn('celu default', 'celu', F.celu, [randn(5, 6, scale=2)])
    fn('celu 0.5', 'celu', F.celu, [randn(5, 6, scale=2)], positional=[0.5])
    fn('glu default dim', 'glu', F.glu, [randn(3, 8)])
    fn('glu dim 1', 'glu', F.glu, [randn(2, 6, 3)], positional=[1])


# ---- modules: state, output, input and parameter gradients ----
def module(name, spec, shape, scale=1.0):
    seed(name)
    m = build(spec)
    randomize(m)
    state = {k: enc(v) for k, v in m.state_dict().items()}
    keys = list(m.state_dict().keys())
    m = m.double()
    x = randn(*shape, scale=scale).requires_grad_(True)
    out = m(x)
    cot = randn(*out.shape)
    (out * cot).sum().backward()
    MODULES.append({'name': name, 'spec': spec, 'keys': keys, 'state': state, 'input': enc(x), 'out': enc(out),
                    'cotangent': enc(cot), 'grad_input': enc(x.grad), 'grads': {k: enc(p.grad) for k, p in m.named_parameters()}})


def modules():
    for mode in ('reflect', 'replicate', 'circular'):
        module(f'Conv1d padding=2 {mode}', S('Conv1d', 2, 3, 3, padding=2, paddingMode=mode), [2, 2, 7])
        module(f'Conv2d padding=(1,2) {mode}', S('Conv2d', 2, 3, [3, 2], padding=[1, 2], paddingMode=mode), [2, 2, 5, 6])
        module(f'Conv2d same dilated {mode}', S('Conv2d', 2, 2, [2, 3], padding='same', dilation=[2, 1], paddingMode=mode), [1, 2, 5, 5])
        module(f'Conv3d padding=1 {mode}', S('Conv3d', 2, 2, 3, padding=1, paddingMode=mode), [1, 2, 3, 4, 4])
    module("Conv1d same even kernel reflect, stride 1", S('Conv1d', 3, 2, 4, padding='same', paddingMode='reflect'), [2, 3, 8])
    module('Conv1d zeros same even kernel', S('Conv1d', 3, 2, 4, padding='same'), [2, 3, 8])
    module('Conv2d zeros same asymmetric', S('Conv2d', 2, 3, [4, 2], padding='same', bias=False), [2, 2, 5, 5])
    module('Conv3d(2,3,2)', S('Conv3d', 2, 3, 2), [2, 2, 3, 4, 3])
    module('Conv3d stride/padding/dilation/groups', S('Conv3d', 4, 2, [2, 3, 2], stride=[1, 2, 2], padding=[1, 0, 1], dilation=[2, 1, 1], groups=2), [1, 4, 5, 6, 5])
    module("Conv3d same, no bias", S('Conv3d', 2, 2, [2, 3, 4], padding='same', bias=False), [1, 2, 4, 5, 5])
    module('Conv3d unbatched', S('Conv3d', 2, 2, 2, stride=2), [2, 4, 4, 4])
    module('ConvTranspose1d(3,2,3)', S('ConvTranspose1d', 3, 2, 3), [2, 3, 5])
    module('ConvTranspose1d stride/padding/outputPadding/groups', S('ConvTranspose1d', 4, 2, 4, stride=2, padding=1, outputPadding=1, groups=2), [2, 4, 6])
    module('ConvTranspose1d dilation, no bias, unbatched', S('ConvTranspose1d', 2, 3, 2, dilation=3, bias=False), [2, 5])
    module('PReLU()', S('PReLU'), [3, 4, 5], scale=2)
    module('PReLU(numParameters=4, init=0.1)', S('PReLU', numParameters=4, init=0.1), [3, 4, 5], scale=2)
    acts = [('Hardtanh()', S('Hardtanh')), ('Hardtanh(-0.5, 2)', S('Hardtanh', -0.5, 2.0)), ('ReLU6', S('ReLU6')),
            ('Hardswish', S('Hardswish')), ('Hardsigmoid', S('Hardsigmoid')), ('Mish', S('Mish')), ('LogSigmoid', S('LogSigmoid')),
            ('Softmin(1)', S('Softmin', 1)), ('Softsign', S('Softsign')), ('Tanhshrink', S('Tanhshrink')),
            ('Softshrink()', S('Softshrink')), ('Softshrink(1)', S('Softshrink', 1.0)), ('Hardshrink()', S('Hardshrink')),
            ('Threshold(0.5, -3)', S('Threshold', 0.5, -3.0)), ('CELU()', S('CELU')), ('CELU(2)', S('CELU', 2.0)), ('SELU', S('SELU')),
            ('GLU()', S('GLU')), ('GLU(1)', S('GLU', 1))]
    for name, spec in acts:
        module(name, spec, [3, 4, 6], scale=3)


# ---- nn.utils.rnn ----
def pack_cases():
    seed('pack')
    seqs = [randn(4, 2), randn(2, 2), randn(5, 2), randn(2, 2)]
    for bf in (False, True):
        PACK.append({'name': f'padSequence batchFirst={bf}', 'kind': 'padSequence', 'seqs': [enc(s) for s in seqs],
                     'batchFirst': bf, 'paddingValue': -1.5, 'out': enc(rnn_utils.pad_sequence(seqs, batch_first=bf, padding_value=-1.5))})
    p = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    PACK.append({'name': 'packSequence unsorted, ties', 'kind': 'packSequence', 'seqs': [enc(s) for s in seqs], 'enforceSorted': False,
                 'data': enc(p.data), 'batchSizes': p.batch_sizes.tolist(), 'sortedIndices': p.sorted_indices.tolist(),
                 'unsortedIndices': p.unsorted_indices.tolist()})
    for bf in (False, True):
        padded = rnn_utils.pad_sequence(seqs, batch_first=bf)
        lengths = [s.shape[0] for s in seqs]
        PACK.append({'name': f'unpadSequence batchFirst={bf}', 'kind': 'unpadSequence', 'input': enc(padded), 'lengths': lengths,
                     'batchFirst': bf, 'outs': [enc(s) for s in rnn_utils.unpad_sequence(padded, torch.tensor(lengths), batch_first=bf)]})
    PACK.append({'name': 'unpackSequence (unsorted)', 'kind': 'unpackSequence', 'seqs': [enc(s) for s in seqs],
                 'outs': [enc(s) for s in rnn_utils.unpack_sequence(rnn_utils.pack_sequence(seqs, enforce_sorted=False))]})
    for bf, lengths, srt in ((False, [5, 3, 3, 1], True), (True, [2, 5, 1, 4], False)):
        x = randn(*([4, 5, 3] if bf else [5, 4, 3])).requires_grad_(True)
        p = rnn_utils.pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=srt)
        padded, lens = rnn_utils.pad_packed_sequence(p, batch_first=bf, padding_value=0.25, total_length=6)
        cot = randn(*padded.shape)
        (padded * cot).sum().backward()
        PACK.append({'name': f'packPadded/padPacked batchFirst={bf} enforceSorted={srt}', 'kind': 'roundTrip', 'input': enc(x),
                     'lengths': lengths, 'batchFirst': bf, 'enforceSorted': srt, 'data': enc(p.data), 'batchSizes': p.batch_sizes.tolist(),
                     'sortedIndices': None if p.sorted_indices is None else p.sorted_indices.tolist(),
                     'padded': enc(padded), 'lens': lens.tolist(), 'cotangent': enc(cot), 'grad': enc(x.grad)})


def packed_rnn(name, spec, T, lengths, enforce_sorted=True, h0=False):
    seed(name)
    m = build(spec)
    randomize(m)
    state = {k: enc(v) for k, v in m.state_dict().items()}
    m = m.double()
    N = len(lengths)
    bf = spec['opts'].get('batchFirst', False)
    x = randn(*([N, T, m.input_size] if bf else [T, N, m.input_size])).requires_grad_(True)
    D = 2 if m.bidirectional else 1
    is_lstm = isinstance(m, nn.LSTM)
    states = [randn(m.num_layers * D, N, m.hidden_size).requires_grad_(True) for _ in range(2 if is_lstm else 1)] if h0 else []
    packed = rnn_utils.pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    hx = (tuple(states) if is_lstm else states[0]) if h0 else None
    out, hn = m(packed, hx)
    padded, _ = rnn_utils.pad_packed_sequence(out, batch_first=bf)
    finals = list(hn) if is_lstm else [hn]
    cot = randn(*padded.shape)
    cots = [randn(*f.shape) for f in finals]
    loss = (padded * cot).sum() + sum((f * c).sum() for f, c in zip(finals, cots))
    loss.backward()
    PACKED_RNN.append({'name': name, 'spec': spec, 'state': state, 'input': enc(x), 'lengths': lengths, 'enforceSorted': enforce_sorted,
                       'states': [enc(s) for s in states], 'out': enc(padded), 'finals': [enc(f) for f in finals],
                       'cotangent': enc(cot), 'final_cotangents': [enc(c) for c in cots], 'grad_input': enc(x.grad),
                       'grad_states': [enc(s.grad) for s in states], 'grads': {k: enc(p.grad) for k, p in m.named_parameters()}})


def packed_rnns():
    packed_rnn('LSTM sorted', S('LSTM', 3, 4), 5, [5, 4, 2])
    packed_rnn('LSTM unsorted bidirectional 2 layers, h0', S('LSTM', 3, 3, numLayers=2, bidirectional=True), 6, [3, 6, 1, 4], False, True)
    packed_rnn('GRU unsorted batchFirst bidirectional', S('GRU', 2, 3, batchFirst=True, bidirectional=True), 5, [2, 5, 5, 3], False)
    packed_rnn('GRU 2 layers, h0', S('GRU', 3, 2, numLayers=2), 4, [4, 3, 3], True, True)
    packed_rnn('RNN tanh unsorted bidirectional, h0', S('RNN', 2, 3, bidirectional=True), 4, [1, 4, 2], False, True)
    packed_rnn('RNN relu no bias', S('RNN', 3, 2, nonlinearity='relu', bias=False), 7, [7, 6, 2, 2])


# ---- weight norm and spectral norm ----
def weight_norm_case(name, spec, shape, dim):
    seed(name)
    m = build(spec)
    randomize(m)
    m = nn.utils.weight_norm(m, dim=dim) if dim != 'default' else nn.utils.weight_norm(m)
    with torch.no_grad():  # a g that is not ‖v‖, so the test sees g and v apart
        m.weight_g.mul_(r32(1 + 0.5 * torch.rand(m.weight_g.shape, dtype=torch.float64)))
        m.weight_g.copy_(r32(m.weight_g))
    state = {k: enc(v) for k, v in m.state_dict().items()}
    keys = list(m.state_dict().keys())
    m = m.double()
    x = randn(*shape).requires_grad_(True)
    out = m(x)
    cot = randn(*out.shape)
    (out * cot).sum().backward()
    NORMS.append({'name': name, 'kind': 'weightNorm', 'spec': spec, 'dim': dim, 'keys': keys, 'state': state,
                  'inputs': [enc(x)], 'outs': [enc(out)], 'weight': enc(m.weight), 'cotangent': enc(cot), 'grad_input': enc(x.grad),
                  'grads': {k: enc(p.grad) for k, p in m.named_parameters()}})


def spectral_norm_case(name, spec, shape, steps, iters=1, dim=None, eval_after=True):
    seed(name)
    m = build(spec)
    randomize(m)
    kw = {'n_power_iterations': iters}
    if dim is not None:
        kw['dim'] = dim
    m = nn.utils.spectral_norm(m, **kw)
    with torch.no_grad():
        m.weight_u.copy_(r32(m.weight_u))
        m.weight_v.copy_(r32(m.weight_v))
    state = {k: enc(v) for k, v in m.state_dict().items()}
    keys = list(m.state_dict().keys())
    m = m.double()
    m.train()
    xs = [randn(*shape).requires_grad_(True) for _ in range(steps)]
    outs = [m(x) for x in xs]
    cot = randn(*outs[-1].shape)
    (outs[-1] * cot).sum().backward()
    c = {'name': name, 'kind': 'spectralNorm', 'spec': spec, 'nPowerIterations': iters, 'dim': dim, 'keys': keys, 'state': state,
         'inputs': [enc(x) for x in xs], 'outs': [enc(o) for o in outs], 'weight': enc(m.weight), 'cotangent': enc(cot),
         'grad_input': enc(xs[-1].grad), 'grads': {k: enc(p.grad) for k, p in m.named_parameters()},
         'u_after': enc(m.weight_u), 'v_after': enc(m.weight_v)}
    if eval_after:
        m.eval()
        xe = randn(*shape)
        c['eval_input'] = enc(xe)
        c['eval_out'] = enc(m(xe))
    NORMS.append(c)


def norms():
    weight_norm_case('weightNorm Linear', S('Linear', 4, 3), [2, 4], 'default')
    weight_norm_case('weightNorm Linear dim=1', S('Linear', 4, 3), [2, 4], 1)
    weight_norm_case('weightNorm Linear dim=None', S('Linear', 4, 3, bias=False), [2, 4], None)
    weight_norm_case('weightNorm Conv1d', S('Conv1d', 2, 3, 3), [2, 2, 6], 'default')
    weight_norm_case('weightNorm Conv2d dim=2', S('Conv2d', 2, 3, 2), [1, 2, 4, 4], 2)
    spectral_norm_case('spectralNorm Linear, 3 train steps', S('Linear', 5, 4), [3, 5], 3)
    spectral_norm_case('spectralNorm Linear nPowerIterations=3', S('Linear', 3, 6), [2, 3], 2, iters=3)
    spectral_norm_case('spectralNorm Conv2d', S('Conv2d', 2, 3, 3), [1, 2, 5, 5], 2)
    spectral_norm_case('spectralNorm ConvTranspose1d (dim 1)', S('ConvTranspose1d', 3, 2, 3), [2, 3, 4], 2)


def main():
    conv_fns()
    act_fns()
    modules()
    pack_cases()
    packed_rnns()
    norms()
    out = {'torch': torch.__version__, 'functional': FN, 'modules': MODULES, 'pack': PACK, 'packedRnn': PACKED_RNN, 'norms': NORMS,
           # test/exports.test.ts reads cases[].op: the nb.F functions compared here
           'cases': [{'name': c['name'], 'op': c['op']} for c in FN]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'layers-extra.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print(f'wrote {path}: {len(FN)} functional, {len(MODULES)} module, {len(PACK)} pack, {len(PACKED_RNN)} packed rnn, {len(NORMS)} norm cases')


if __name__ == '__main__':
    main()
