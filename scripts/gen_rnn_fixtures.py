# Writes fixtures/rnn.json: RNN/LSTM/GRU, MultiheadAttention, TransformerEncoderLayer/Encoder and
# scaled dot-product attention run by real PyTorch — outputs, final states and every gradient.
#
# Run with Debian's torch: /usr/bin/python3 scripts/gen_rnn_fixtures.py
# Parameters and inputs are float32 values; the reference is computed in float64 from those exact
# values (model.double()) and written with 9 significant digits, so it is the true value rather
# than torch's float32 rounding. Backward is of sum(output * cot) + sum(state * cot) + … over every
# output; grads hold d/d of every input that requires grad and of every parameter (by stateDict key).

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 4321
torch.manual_seed(SEED)
CASES = []


def r32(t):
    """float32-exact values, kept as float64 for the reference computation."""
    return t.to(torch.float32).to(torch.float64)


def randn(*shape, scale=1.0):
    return r32(torch.randn(*shape, dtype=torch.float64) * scale)


def enc(t):
    if t is None:
        return None
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.reshape(-1).tolist()]
    else:
        data = []
        for v in t.to(torch.float64).reshape(-1).tolist():
            if math.isnan(v):
                data.append('nan')
            elif math.isinf(v):
                data.append('inf' if v > 0 else '-inf')
            else:
                data.append(float(f'{v:.9g}'))
    return {'shape': list(t.shape), 'data': data}


def randomize(module, ln_like=()):
    """Random float32-exact parameters (so zero-initialised biases get real gradients too)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if any(name.endswith(s) for s in ln_like):
                p.copy_(r32(1 + 0.2 * torch.randn(p.shape, dtype=torch.float64)))
            else:
                p.copy_(r32((torch.rand(p.shape, dtype=torch.float64) - 0.5)))


def backward_all(outs):
    """sum(out * cot) over the outputs (None skipped); returns the cotangents used."""
    loss = 0
    cots = []
    for o in outs:
        if o is None:
            cots.append(None)
            continue
        c = randn(*o.shape)
        cots.append(c)
        loss = loss + (o * c).sum()
    loss.backward()
    return cots


def param_grads(module):
    return {k: enc(p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in module.named_parameters()}


def params_of(module):
    return {k: enc(v) for k, v in module.state_dict().items()}


# ---------------------------------------------------------------- recurrent layers

def rnn_case(name, kind, inp, hid, opts, L=5, N=2, with_h0=False, unbatched=False):
    cls = {'RNN': nn.RNN, 'LSTM': nn.LSTM, 'GRU': nn.GRU}[kind]
    topts = dict(num_layers=opts.get('numLayers', 1), bias=opts.get('bias', True),
                 batch_first=opts.get('batchFirst', False), bidirectional=opts.get('bidirectional', False))
    if kind == 'RNN':
        topts['nonlinearity'] = opts.get('nonlinearity', 'tanh')
    m = cls(inp, hid, **topts).double()
    randomize(m)
    D = 2 if topts['bidirectional'] else 1
    if unbatched:
        x = randn(L, inp)
        sshape = (topts['num_layers'] * D, hid)
    else:
        x = randn(N, L, inp) if topts['batch_first'] else randn(L, N, inp)
        sshape = (topts['num_layers'] * D, N, hid)
    x.requires_grad_(True)
    h0 = c0 = None
    if with_h0:
        h0 = randn(*sshape, scale=0.5).requires_grad_(True)
        if kind == 'LSTM':
            c0 = randn(*sshape, scale=0.5).requires_grad_(True)
    if kind == 'LSTM':
        out, (h, c) = m(x, (h0, c0)) if with_h0 else m(x)
    else:
        out, h = m(x, h0) if with_h0 else m(x)
        c = None
    cots = backward_all([out, h, c])
    CASES.append({
        'name': name, 'group': 'rnn', 'module': kind, 'args': [inp, hid], 'opts': opts,
        'params': params_of(m),
        'inputs': {'input': enc(x), 'h0': enc(h0), 'c0': enc(c0)},
        'outputs': {'output': enc(out), 'h': enc(h), 'c': enc(c)},
        'cotangents': {'output': enc(cots[0]), 'h': enc(cots[1]), 'c': enc(cots[2])},
        'grads': {'input': enc(x.grad), 'h0': enc(h0.grad if h0 is not None else None),
                  'c0': enc(c0.grad if c0 is not None else None), 'params': param_grads(m)},
    })


def rnn_cases():
    for kind, extra in [('RNN', {'nonlinearity': 'tanh'}), ('RNN', {'nonlinearity': 'relu'}), ('LSTM', {}), ('GRU', {})]:
        tag = kind if kind != 'RNN' else f"RNN-{extra['nonlinearity']}"
        rnn_case(f'{tag}/1-layer', kind, 3, 4, dict(extra))
        rnn_case(f'{tag}/2-layer+h0', kind, 3, 4, dict(extra, numLayers=2), with_h0=True)
        rnn_case(f'{tag}/bidirectional', kind, 3, 4, dict(extra, bidirectional=True))
        rnn_case(f'{tag}/2-layer-bidirectional-batchFirst+h0', kind, 3, 4,
                 dict(extra, numLayers=2, bidirectional=True, batchFirst=True), with_h0=True)
        rnn_case(f'{tag}/batchFirst', kind, 3, 4, dict(extra, batchFirst=True), N=3, L=4)
        rnn_case(f'{tag}/no-bias', kind, 3, 4, dict(extra, bias=False))
        rnn_case(f'{tag}/unbatched+h0', kind, 3, 4, dict(extra, bidirectional=True), with_h0=True, unbatched=True)
        rnn_case(f'{tag}/unbatched', kind, 3, 4, dict(extra), unbatched=True)
        rnn_case(f'{tag}/length-1', kind, 3, 4, dict(extra, numLayers=2), L=1, with_h0=True)


# ---------------------------------------------------------------- attention

def causal(n):
    return torch.triu(torch.full((n, n), float('-inf'), dtype=torch.float64), diagonal=1)


def mha_case(name, E=8, H=2, L=4, S=5, N=2, opts=None, kpm=False, attn_mask=None, need_weights=True,
             average=True, unbatched=False, self_attn=False):
    opts = opts or {}
    m = nn.MultiheadAttention(E, H, bias=opts.get('bias', True), batch_first=opts.get('batchFirst', False),
                              kdim=opts.get('kdim'), vdim=opts.get('vdim')).double()
    randomize(m)
    m.eval()
    kd, vd = opts.get('kdim') or E, opts.get('vdim') or E
    bf = opts.get('batchFirst', False)

    def mk(T, d):
        if unbatched:
            return randn(T, d)
        return randn(N, T, d) if bf else randn(T, N, d)
    q = mk(L, E).requires_grad_(True)
    if self_attn:
        k = v = q
    else:
        k = mk(S, kd).requires_grad_(True)
        v = mk(S, vd).requires_grad_(True)
    src_len = L if self_attn else S
    kp = None
    if kpm:
        # every row keeps at least its first key
        kp = torch.rand(src_len) > 0.6 if unbatched else torch.rand(N, src_len) > 0.6
        kp[..., 0] = False
    am = None
    if attn_mask == 'causal':
        am = causal(L)
    elif attn_mask == 'causal-bool':
        am = torch.triu(torch.ones(L, src_len, dtype=torch.bool), diagonal=1)
    elif attn_mask == 'float3d':
        am = randn(N * H, L, src_len)
    elif attn_mask == 'float2d':
        am = randn(L, src_len)
    out, w = m(q, k, v, key_padding_mask=kp, need_weights=need_weights, attn_mask=am,
               average_attn_weights=average)
    cots = backward_all([out, w])
    call = {'needWeights': need_weights, 'averageAttnWeights': average}
    CASES.append({
        'name': name, 'group': 'attention', 'module': 'MultiheadAttention', 'args': [E, H],
        'opts': {k2: v2 for k2, v2 in opts.items() if v2 is not None}, 'call': call, 'selfAttention': self_attn,
        'params': params_of(m),
        'inputs': {'query': enc(q), 'key': enc(k), 'value': enc(v), 'keyPaddingMask': enc(kp), 'attnMask': enc(am)},
        'outputs': {'output': enc(out), 'weights': enc(w)},
        'cotangents': {'output': enc(cots[0]), 'weights': enc(cots[1])},
        'grads': {'query': enc(q.grad), 'key': None if self_attn else enc(k.grad),
                  'value': None if self_attn else enc(v.grad), 'params': param_grads(m)},
    })


def mha_cases():
    mha_case('MHA/plain')
    mha_case('MHA/keyPaddingMask', kpm=True)
    mha_case('MHA/causal-float-mask', S=4, attn_mask='causal')
    mha_case('MHA/causal-bool-mask', S=4, attn_mask='causal-bool')
    mha_case('MHA/causal+keyPaddingMask', S=4, attn_mask='causal', kpm=True)
    mha_case('MHA/batchFirst+both-masks', S=4, attn_mask='causal', kpm=True, opts={'batchFirst': True})
    mha_case('MHA/batchFirst', opts={'batchFirst': True})
    mha_case('MHA/needWeights=false', kpm=True, need_weights=False)
    mha_case('MHA/per-head-weights', average=False, kpm=True)
    mha_case('MHA/float-3d-mask', attn_mask='float3d')
    mha_case('MHA/float-2d-mask+keyPaddingMask', attn_mask='float2d', kpm=True)
    mha_case('MHA/kdim-vdim', opts={'kdim': 6, 'vdim': 7})
    mha_case('MHA/no-bias', opts={'bias': False})
    mha_case('MHA/one-head', H=1)
    mha_case('MHA/four-heads', H=4)
    mha_case('MHA/unbatched+keyPaddingMask', unbatched=True, kpm=True)
    mha_case('MHA/self-attention-causal', self_attn=True, attn_mask='causal', S=4)


def encoder_case(name, d=8, nhead=2, ff=16, L=4, N=2, norm_first=False, activation='relu', batch_first=False,
                 kpm=False, mask=False, layers=None, final_norm=False, eps=1e-5):
    layer = nn.TransformerEncoderLayer(d, nhead, dim_feedforward=ff, dropout=0.0, activation=activation,
                                       layer_norm_eps=eps, batch_first=batch_first, norm_first=norm_first)
    if layers is None:
        m = layer
    else:
        m = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d, eps=eps) if final_norm else None)
    m = m.double()
    randomize(m, ln_like=('norm1.weight', 'norm2.weight', 'norm.weight'))
    m.eval()
    x = (randn(N, L, d) if batch_first else randn(L, N, d)).requires_grad_(True)
    kp = None
    if kpm:
        kp = torch.rand(N, L) > 0.6
        kp[:, 0] = False
    am = causal(L) if mask else None
    if layers is None:
        out = m(x, src_mask=am, src_key_padding_mask=kp)
    else:
        out = m(x, mask=am, src_key_padding_mask=kp)
    cots = backward_all([out])
    CASES.append({
        'name': name, 'group': 'encoder', 'module': 'TransformerEncoderLayer' if layers is None else 'TransformerEncoder',
        'args': [d, nhead],
        'opts': {'dimFeedforward': ff, 'dropout': 0, 'activation': activation, 'layerNormEps': eps,
                 'batchFirst': batch_first, 'normFirst': norm_first},
        'numLayers': layers, 'finalNorm': final_norm,
        'params': params_of(m),
        'inputs': {'src': enc(x), 'srcKeyPaddingMask': enc(kp), 'mask': enc(am)},
        'outputs': {'output': enc(out)},
        'cotangents': {'output': enc(cots[0])},
        'grads': {'src': enc(x.grad), 'params': param_grads(m)},
    })


def encoder_cases():
    encoder_case('EncoderLayer/post-norm')
    encoder_case('EncoderLayer/pre-norm', norm_first=True)
    encoder_case('EncoderLayer/post-norm+masks', kpm=True, mask=True)
    encoder_case('EncoderLayer/pre-norm+gelu+batchFirst+masks', norm_first=True, activation='gelu', batch_first=True,
                 kpm=True, mask=True)
    encoder_case('EncoderLayer/gelu+eps', activation='gelu', eps=1e-3)
    encoder_case('Encoder/2-layers', layers=2)
    encoder_case('Encoder/2-layers+norm+pre-norm+masks', layers=2, final_norm=True, norm_first=True, kpm=True, mask=True)
    encoder_case('Encoder/3-layers+norm+batchFirst', layers=3, final_norm=True, batch_first=True, kpm=True)


# ---------------------------------------------------------------- scaled dot-product attention

def sdpa_case(name, qs, ks, vs, mask=None, causal_=False, scale=None):
    """PyTorch 2's F.scaled_dot_product_attention (not in torch 1.13), written out with torch ops:
    softmax(q kᵀ · scale + mask) v, a bool mask True = take part, is_causal = tril(ones(L, S))."""
    q = randn(*qs).requires_grad_(True)
    k = randn(*ks).requires_grad_(True)
    v = randn(*vs).requires_grad_(True)
    L, S = qs[-2], ks[-2]
    sc = scale if scale is not None else 1 / math.sqrt(qs[-1])
    bias = torch.zeros(L, S, dtype=torch.float64)
    m = None
    if causal_:
        bias = bias.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float('-inf'))
    if mask == 'bool':
        m = torch.rand(*qs[:-2], L, S) > 0.3
        m[..., 0] = True
        bias = bias + torch.zeros_like(m, dtype=torch.float64).masked_fill(~m, float('-inf'))
    elif mask == 'float':
        m = randn(L, S)
        bias = bias + m
    attn = torch.softmax(q @ k.transpose(-2, -1) * sc + bias, dim=-1)
    out = attn @ v
    cots = backward_all([out])
    CASES.append({
        'name': name, 'group': 'sdpa', 'module': 'scaledDotProductAttention',
        'call': {'isCausal': causal_, 'scale': scale},
        'inputs': {'query': enc(q), 'key': enc(k), 'value': enc(v), 'attnMask': enc(m)},
        'outputs': {'output': enc(out)}, 'cotangents': {'output': enc(cots[0])},
        'grads': {'query': enc(q.grad), 'key': enc(k.grad), 'value': enc(v.grad)},
    })


def sdpa_cases():
    sdpa_case('sdpa/plain-3d', (2, 4, 8), (2, 5, 8), (2, 5, 6))
    sdpa_case('sdpa/4d-bool-mask', (2, 2, 4, 8), (2, 2, 5, 8), (2, 2, 5, 8), mask='bool')
    sdpa_case('sdpa/float-mask', (3, 4, 8), (3, 5, 8), (3, 5, 8), mask='float')
    sdpa_case('sdpa/causal', (2, 5, 8), (2, 5, 8), (2, 5, 8), causal_=True)
    sdpa_case('sdpa/causal-rectangular+scale', (2, 3, 8), (2, 5, 8), (2, 5, 4), causal_=True, scale=0.5)


def main():
    rnn_cases()
    mha_cases()
    encoder_cases()
    sdpa_cases()
    out = {'torch': torch.__version__, 'seed': SEED, 'cases': CASES}
    path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'rnn.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print(f'wrote {len(CASES)} cases to fixtures/rnn.json ({os.path.getsize(path) // 1024} KiB)')


if __name__ == '__main__':
    main()
