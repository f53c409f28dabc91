# Writes fixtures/sparse-embedding.json: nn.Embedding(sparse=True) trained by torch.optim.SparseAdam
# for a few steps (two lookups per step, repeated indices, a padding row), the weights after each step.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_sparse_fixtures.py

import json
import os

import torch

torch.manual_seed(16)
n, d = 12, 3
w0 = torch.randn(n, d).float()
emb = torch.nn.Embedding(n, d, sparse=True, padding_idx=2)
with torch.no_grad():
    emb.weight.copy_(w0)
opt = torch.optim.SparseAdam(emb.parameters(), lr=0.05, betas=(0.8, 0.95), eps=1e-6)
steps = []
for s in range(4):
    a = torch.randint(0, n, (5,))
    b = torch.randint(0, n, (2, 3))
    b[0, 0] = 2  # the padding row gets no gradient
    target = torch.randn(5, d)
    opt.zero_grad()
    loss = ((emb(a) - target) ** 2).sum() + emb(b).pow(3).sum()
    loss.backward()
    opt.step()
    steps.append({'a': a.tolist(), 'b': b.flatten().tolist(), 'target': target.flatten().tolist(),
                  'weight': emb.weight.detach().flatten().tolist()})

out = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'sparse-embedding.json')
with open(out, 'w') as f:
    json.dump({'torch': torch.__version__, 'n': n, 'd': d, 'padding_idx': 2, 'lr': 0.05, 'betas': [0.8, 0.95], 'eps': 1e-6,
               'weight0': w0.flatten().tolist(), 'steps': steps}, f)
print('wrote', out)
