# Writes fixtures/module-hooks.json and fixtures/module-hooks.safetensors: a small model with an int64
# buffer and a plain-list-as-ModuleList, run by PyTorch with forward pre-hooks, forward hooks and full
# backward hooks that read and replace values — what each hook saw, the output and every gradient.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_module_hook_fixtures.py

import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_torch import save  # noqa: E402

torch.manual_seed(1313)
HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures')


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int32, torch.int64):
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.flatten().tolist()]}
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': [float('%.9g' % v) for v in t.double().flatten().tolist()]}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(3, 2)
        self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
        self.register_buffer('pe', torch.arange(6, dtype=torch.int64).reshape(2, 3) * 1000003)

    def forward(self, x):
        y = self.fc2(self.act(self.fc1(x)))
        for b in self.blocks:
            y = b(y)
        return y


net = Net()
seen = {}


def keep(name, t):
    seen.setdefault(name, []).append(enc(t))


net.fc2.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
net.fc1.register_forward_hook(lambda m, args, out: keep('fc1.out', out))
net.act.register_forward_hook(lambda m, args, out: out + 0.5)


def fc2_backward(m, gin, gout):
    keep('fc2.gradInput', gin[0])
    keep('fc2.gradOutput', gout[0])
    return (gin[0] * 0.5,)


net.fc2.register_full_backward_hook(fc2_backward)
net.blocks[0].register_full_backward_hook(lambda m, gin, gout: keep('blocks.0.gradOutput', gout[0]))
x = torch.randn(5, 4).requires_grad_(True)
cot = torch.rand(5, 2) + 0.5
y = net(x)
(y * cot).sum().backward()



class PositionalEncoding(nn.Module):
    # pytorch/examples word_language_model/model.py's PositionalEncoding, as it is there
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


posenc = PositionalEncoding(6, max_len=12).eval()
px = torch.randn(7, 2, 6)
ppe = {'x': enc(px), 'out': enc(posenc(px)), 'pe': enc(posenc.pe)}

save({k: v.contiguous() for k, v in net.state_dict().items()}, os.path.join(HERE, 'module-hooks.safetensors'))
out = {
    'torch': torch.__version__,
    'x': enc(x), 'cotangent': enc(cot), 'y': enc(y), 'gradX': enc(x.grad),
    'grads': {k: enc(p.grad) for k, p in net.named_parameters()},
    'seen': seen,
    'state_dict_keys': list(net.state_dict().keys()),
    'named_modules': [k for k, _ in net.named_modules()],
    'named_buffers': [k for k, _ in net.named_buffers()],
    'pe': enc(net.pe),
    'positional_encoding': ppe,
}
with open(os.path.join(HERE, 'module-hooks.json'), 'w') as f:
    json.dump(out, f)
print('wrote fixtures/module-hooks.json', {k: len(v) for k, v in seen.items()})
