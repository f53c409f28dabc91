# Writes fixtures/rnn-cells.json: torch.nn.LSTMCell run by real PyTorch — batched with a given state,
# unbatched with none (zeros), and without biases: h', c' and the gradient of
# sum(h'·cot_h) + sum(c'·cot_c) with respect to the input, the state and every parameter.
# Values are float32-exact; the reference is computed in float64 from them (model.double()).
# Run with Debian's torch: /usr/bin/python3 scripts/gen_rnn_cell_fixtures.py

import json
import os

import torch
import torch.nn as nn

torch.manual_seed(1213)
OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'rnn-cells.json')


def enc(t):
    return {'shape': list(t.shape), 'data': [float(v) for v in t.detach().double().flatten().tolist()]}


def f32(*shape):
    return torch.randn(*shape).float().double()


def case(name, n, inp, hid, bias, with_state):
    cell = nn.LSTMCell(inp, hid, bias=bias)
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(p.float())
    cell.double()
    x = (f32(n, inp) if n else f32(inp)).requires_grad_()
    shape = (n, hid) if n else (hid,)
    state = (f32(*shape).requires_grad_(), f32(*shape).requires_grad_()) if with_state else None
    h, c = cell(x, state)
    cot_h, cot_c = f32(*shape), f32(*shape)
    (h * cot_h + c * cot_c).sum().backward()
    out = {
        'name': name, 'input_size': inp, 'hidden_size': hid, 'bias': bias,
        'params': {k: enc(p) for k, p in cell.named_parameters()},
        'grads': {k: enc(p.grad) for k, p in cell.named_parameters()},
        'x': enc(x), 'grad_x': enc(x.grad), 'h': enc(h), 'c': enc(c), 'cot_h': enc(cot_h), 'cot_c': enc(cot_c),
    }
    if with_state:
        out.update({'h0': enc(state[0]), 'c0': enc(state[1]), 'grad_h0': enc(state[0].grad), 'grad_c0': enc(state[1].grad)})
    return out


cases = [
    case('batched, given state', 3, 4, 5, True, True),
    case('unbatched, zero state', 0, 3, 4, True, False),
    case('no biases', 2, 3, 2, False, True),
]
with open(OUT, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f)
print('wrote', OUT)
