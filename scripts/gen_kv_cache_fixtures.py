# Writes fixtures/kv-cache.json: what real PyTorch computes for a causal sequence in one full forward —
# nn.MultiheadAttention (self-attention with a causal mask: output and averaged weights), nn.TransformerEncoder
# (causal mask, post- and pre-norm) and nn.TransformerDecoder (causal target mask, attention to a memory).
# test/kv-cache.test.ts feeds the same sequences to Nabla's modules position by position through nn.KVCache
# (incremental decoding, which PyTorch's modules do not offer) and must reach these numbers.
#
# Run with Debian's torch: /usr/bin/python3 scripts/gen_kv_cache_fixtures.py
# As the other fixture scripts: float32-exact parameters and inputs, computed in float64.

import json
import os

import torch
import torch.nn as nn

from gen_rnn_fixtures import causal, enc, params_of, randn, randomize

torch.manual_seed(2026)
CASES = []
LN = ('norm1.weight', 'norm2.weight', 'norm3.weight', 'norm.weight')


def mha_case(name, E=8, H=2, L=6, N=2, batch_first=True):
    m = nn.MultiheadAttention(E, H, batch_first=batch_first).double()
    randomize(m)
    m.eval()
    x = randn(N, L, E) if batch_first else randn(L, N, E)
    out, w = m(x, x, x, attn_mask=causal(L), need_weights=True, average_attn_weights=True)
    CASES.append({'name': name, 'module': 'MultiheadAttention', 'args': [E, H], 'opts': {'batchFirst': batch_first},
                  'params': params_of(m), 'inputs': {'x': enc(x)}, 'outputs': {'output': enc(out), 'weights': enc(w)}})


def encoder_case(name, d=8, nhead=2, ff=16, L=6, N=2, layers=2, norm_first=False, activation='relu', batch_first=False):
    layer = nn.TransformerEncoderLayer(d, nhead, dim_feedforward=ff, dropout=0.0, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first)
    m = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).double()
    randomize(m, ln_like=LN)
    m.eval()
    x = randn(N, L, d) if batch_first else randn(L, N, d)
    out = m(x, mask=causal(L))
    CASES.append({'name': name, 'module': 'TransformerEncoder', 'args': [d, nhead], 'numLayers': layers,
                  'opts': {'dimFeedforward': ff, 'dropout': 0, 'activation': activation, 'batchFirst': batch_first,
                           'normFirst': norm_first},
                  'params': params_of(m), 'inputs': {'x': enc(x)}, 'outputs': {'output': enc(out)}})


def decoder_case(name, d=8, nhead=2, ff=16, T=6, S=4, N=2, layers=2, norm_first=False, batch_first=False, memory_kpm=False):
    layer = nn.TransformerDecoderLayer(d, nhead, dim_feedforward=ff, dropout=0.0, batch_first=batch_first,
                                       norm_first=norm_first)
    m = nn.TransformerDecoder(layer, layers).double()
    randomize(m, ln_like=LN)
    m.eval()
    tgt = randn(N, T, d) if batch_first else randn(T, N, d)
    memory = randn(N, S, d) if batch_first else randn(S, N, d)
    mk = None
    if memory_kpm:
        mk = torch.zeros(N, S, dtype=torch.bool)
        mk[1, -1] = True
    out = m(tgt, memory, tgt_mask=causal(T), memory_key_padding_mask=mk)
    CASES.append({'name': name, 'module': 'TransformerDecoder', 'args': [d, nhead], 'numLayers': layers,
                  'opts': {'dimFeedforward': ff, 'dropout': 0, 'batchFirst': batch_first, 'normFirst': norm_first},
                  'params': params_of(m),
                  'inputs': {'tgt': enc(tgt), 'memory': enc(memory), 'memoryKeyPaddingMask': enc(mk)},
                  'outputs': {'output': enc(out)}})


def main():
    mha_case('MultiheadAttention/batchFirst')
    mha_case('MultiheadAttention/seq-first', batch_first=False)
    encoder_case('TransformerEncoder/post-norm')
    encoder_case('TransformerEncoder/pre-norm+gelu+batchFirst', norm_first=True, activation='gelu', batch_first=True)
    decoder_case('TransformerDecoder/post-norm')
    decoder_case('TransformerDecoder/pre-norm+batchFirst+memory padding', norm_first=True, batch_first=True, memory_kpm=True)
    out = {'torch': torch.__version__, 'cases': CASES}
    path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'kv-cache.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print(f'wrote {len(CASES)} cases to fixtures/kv-cache.json ({os.path.getsize(path) // 1024} KiB)')


if __name__ == '__main__':
    main()
