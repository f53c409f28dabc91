# Writes fixtures/transformer.json: nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer
# run by real PyTorch — outputs and the gradients of every input and parameter, with and without masks.
#
# Run with Debian's torch: /usr/bin/python3 scripts/gen_transformer_fixtures.py
# As in gen_rnn_fixtures.py: float32-exact parameters and inputs, the reference computed in float64
# (module.double()) and written with 9 significant digits; backward is of sum(output * cotangent).

import json
import os

import torch
import torch.nn as nn

from gen_rnn_fixtures import causal, enc, params_of, param_grads, randn, randomize, backward_all

SEED = 1513
torch.manual_seed(SEED)
CASES = []
LN = ('norm1.weight', 'norm2.weight', 'norm3.weight', 'norm.weight')


def padding(N, T):
    """[N, T] bool, True = padding; every row keeps its first position."""
    kp = torch.rand(N, T) > 0.6
    kp[:, 0] = False
    return kp


def opts_of(ff, activation, eps, batch_first, norm_first):
    return {'dimFeedforward': ff, 'dropout': 0, 'activation': activation, 'layerNormEps': eps,
            'batchFirst': batch_first, 'normFirst': norm_first}


def decoder_case(name, d=8, nhead=2, ff=16, T=4, S=5, N=2, norm_first=False, activation='relu', batch_first=False,
                 tgt_mask=False, memory_mask=False, tgt_kpm=False, memory_kpm=False, layers=None, final_norm=False,
                 eps=1e-5):
    layer = nn.TransformerDecoderLayer(d, nhead, dim_feedforward=ff, dropout=0.0, activation=activation,
                                       layer_norm_eps=eps, batch_first=batch_first, norm_first=norm_first)
    if layers is None:
        m = layer
    else:
        m = nn.TransformerDecoder(layer, layers, norm=nn.LayerNorm(d, eps=eps) if final_norm else None)
    m = m.double()
    randomize(m, ln_like=LN)
    m.eval()
    tgt = (randn(N, T, d) if batch_first else randn(T, N, d)).requires_grad_(True)
    memory = (randn(N, S, d) if batch_first else randn(S, N, d)).requires_grad_(True)
    tm = causal(T) if tgt_mask else None
    mm = randn(T, S) if memory_mask else None
    tk = padding(N, T) if tgt_kpm else None
    mk = padding(N, S) if memory_kpm else None
    out = m(tgt, memory, tgt_mask=tm, memory_mask=mm, tgt_key_padding_mask=tk, memory_key_padding_mask=mk)
    cots = backward_all([out])
    CASES.append({
        'name': name, 'group': 'decoder',
        'module': 'TransformerDecoderLayer' if layers is None else 'TransformerDecoder',
        'args': [d, nhead], 'opts': opts_of(ff, activation, eps, batch_first, norm_first),
        'numLayers': layers, 'finalNorm': final_norm,
        'params': params_of(m),
        'inputs': {'tgt': enc(tgt), 'memory': enc(memory), 'tgtMask': enc(tm), 'memoryMask': enc(mm),
                   'tgtKeyPaddingMask': enc(tk), 'memoryKeyPaddingMask': enc(mk)},
        'outputs': {'output': enc(out)},
        'cotangents': {'output': enc(cots[0])},
        'grads': {'tgt': enc(tgt.grad), 'memory': enc(memory.grad), 'params': param_grads(m)},
    })


def transformer_case(name, d=8, nhead=2, ff=16, enc_layers=2, dec_layers=2, T=4, S=5, N=2, norm_first=False,
                     activation='relu', batch_first=False, masks=False, eps=1e-5):
    m = nn.Transformer(d_model=d, nhead=nhead, num_encoder_layers=enc_layers, num_decoder_layers=dec_layers,
                       dim_feedforward=ff, dropout=0.0, activation=activation, layer_norm_eps=eps,
                       batch_first=batch_first, norm_first=norm_first).double()
    randomize(m, ln_like=LN)
    m.eval()
    src = (randn(N, S, d) if batch_first else randn(S, N, d)).requires_grad_(True)
    tgt = (randn(N, T, d) if batch_first else randn(T, N, d)).requires_grad_(True)
    kw = {}
    if masks:
        kw = {'tgt_mask': nn.Transformer.generate_square_subsequent_mask(T).double(),
              'src_key_padding_mask': padding(N, S), 'tgt_key_padding_mask': padding(N, T)}
        kw['memory_key_padding_mask'] = kw['src_key_padding_mask']
    out = m(src, tgt, **kw)
    cots = backward_all([out])
    CASES.append({
        'name': name, 'group': 'transformer', 'module': 'Transformer',
        'args': [d, nhead], 'opts': opts_of(ff, activation, eps, batch_first, norm_first),
        'numEncoderLayers': enc_layers, 'numDecoderLayers': dec_layers,
        'params': params_of(m),
        'inputs': {'src': enc(src), 'tgt': enc(tgt), 'tgtMask': enc(kw.get('tgt_mask')),
                   'srcKeyPaddingMask': enc(kw.get('src_key_padding_mask')),
                   'tgtKeyPaddingMask': enc(kw.get('tgt_key_padding_mask')),
                   'memoryKeyPaddingMask': enc(kw.get('memory_key_padding_mask'))},
        'outputs': {'output': enc(out)},
        'cotangents': {'output': enc(cots[0])},
        'grads': {'src': enc(src.grad), 'tgt': enc(tgt.grad), 'params': param_grads(m)},
    })


def main():
    decoder_case('DecoderLayer/post-norm')
    decoder_case('DecoderLayer/pre-norm', norm_first=True)
    decoder_case('DecoderLayer/post-norm+all-masks', tgt_mask=True, memory_mask=True, tgt_kpm=True, memory_kpm=True)
    decoder_case('DecoderLayer/pre-norm+gelu+batchFirst+masks', norm_first=True, activation='gelu', batch_first=True,
                 tgt_mask=True, memory_kpm=True)
    decoder_case('DecoderLayer/four-heads+eps', nhead=4, eps=1e-3, T=3, S=6)
    decoder_case('Decoder/2-layers', layers=2, tgt_mask=True)
    decoder_case('Decoder/3-layers+norm+pre-norm+masks', layers=3, final_norm=True, norm_first=True, tgt_mask=True,
                 tgt_kpm=True, memory_kpm=True)
    transformer_case('Transformer/2+2')
    transformer_case('Transformer/2+1+masks', dec_layers=1, masks=True)
    transformer_case('Transformer/1+2+batchFirst+pre-norm+gelu+masks', enc_layers=1, batch_first=True, norm_first=True,
                     activation='gelu', masks=True)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    out = {'torch': torch.__version__, 'seed': SEED, 'cases': CASES, 'squareSubsequentMask4': enc(mask)}
    path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'transformer.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print(f'wrote {len(CASES)} cases to fixtures/transformer.json ({os.path.getsize(path) // 1024} KiB)')


if __name__ == '__main__':
    main()
