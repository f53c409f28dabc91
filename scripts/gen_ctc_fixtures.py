# Writes fixtures/ctc.json: F.ctc_loss computed by PyTorch in float64 — the loss and the gradient
# of sum(loss * cotangent) w.r.t. the logits x, where logProbs = log_softmax(x) (the way CTC is used;
# PyTorch's gradient w.r.t. logProbs itself carries an extra exp(logProbs) that log_softmax cancels).
# Run with Debian's torch: /usr/bin/python3 scripts/gen_ctc_fixtures.py

import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 1513
torch.manual_seed(SEED)
CASES = []


def enc_list(t):
    out = []
    for v in t.detach().double().flatten().tolist():
        if math.isnan(v):
            out.append('nan')
        elif math.isinf(v):
            out.append('inf' if v > 0 else '-inf')
        else:
            out.append(float('%.17g' % v))
    return out


def case(name, T, N, C, targets, input_lengths, target_lengths, unbatched=False, **kw):
    shape = (T, C) if unbatched else (T, N, C)
    x = (torch.randn(shape, dtype=torch.float64) * 2).float().double().requires_grad_(True)
    lp = x.log_softmax(-1)
    tg = torch.tensor(targets, dtype=torch.long)
    il = torch.tensor(input_lengths, dtype=torch.long)
    tl = torch.tensor(target_lengths, dtype=torch.long)
    out = F.ctc_loss(lp, tg, il, tl, **kw)
    cot = (torch.rand(out.shape, dtype=torch.float64) + 0.5).float().double() if out.dim() > 0 else torch.ones((), dtype=torch.float64)
    (gx,) = torch.autograd.grad((out * cot).sum(), [x])
    CASES.append({
        'name': name,
        'x': {'shape': list(shape), 'data': enc_list(x)},
        'targets': {'shape': list(tg.shape), 'data': [int(v) for v in tg.flatten().tolist()]},
        'input_lengths': input_lengths, 'target_lengths': target_lengths,
        'kwargs': kw,
        'out': {'shape': list(out.shape), 'data': enc_list(out)},
        'cotangent': {'shape': list(cot.shape), 'data': enc_list(cot)},
        'grad_x': {'shape': list(shape), 'data': enc_list(gx)},
    })


for red in ['mean', 'sum', 'none']:
    # padded targets, lengths below the maximum, a repeated label (needs a blank between)
    case(f'padded {red}', 12, 3, 6, [[1, 2, 2, 3], [4, 5, 0, 0], [3, 0, 0, 0]], [12, 9, 7], [4, 2, 1], reduction=red)
    # concatenated targets
    case(f'concatenated {red}', 10, 2, 5, [1, 1, 2, 3, 4, 4, 4], [10, 10], [3, 4], reduction=red)
case('blank last', 9, 2, 5, [[0, 1, 2], [3, 3, 0]], [9, 8], [3, 2], blank=4, reduction='sum')
case('empty target', 6, 2, 4, [[1, 2], [0, 0]], [6, 5], [2, 0], reduction='none')
case('mean with an empty target (length clamped to 1)', 6, 2, 4, [[1, 2], [0, 0]], [6, 5], [2, 0], reduction='mean')
case('unbatched', 8, 1, 5, [1, 3, 3], 8, 3, unbatched=True, reduction='mean')
case('tight: T = labels + repeats', 5, 1, 4, [[1, 1, 2, 3]], [5], [4], reduction='sum')
# sample 1 needs 2·3 − 1 = 5 frames (a repeat) but has 4: infinite loss, zeroed with zero_infinity
case('zero infinity', 7, 2, 4, [[1, 2, 3], [2, 2, 2]], [7, 4], [3, 3], reduction='sum', zero_infinity=True)
case('zero infinity none', 7, 2, 4, [[1, 2, 3], [2, 2, 2]], [7, 4], [3, 3], reduction='none', zero_infinity=True)
case('longer sequence', 40, 4, 11, [[1, 2, 3, 4, 5, 6, 7], [10, 10, 9, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0, 0], [1, 2, 1, 2, 1, 0, 0]],
     [40, 31, 17, 25], [7, 3, 1, 5], reduction='mean')

# the impossible alignment without zero_infinity: the loss is inf (its gradient is NaN in PyTorch)
x = torch.randn(4, 1, 4, dtype=torch.float64).float().double()
inf_loss = F.ctc_loss(x.log_softmax(-1), torch.tensor([[2, 2, 2]]), torch.tensor([4]), torch.tensor([3]), reduction='none')

out = {'torch': torch.__version__, 'seed': SEED, 'cases': CASES,
       'infinite': {'x': {'shape': [4, 1, 4], 'data': enc_list(x)}, 'targets': [[2, 2, 2]], 'input_lengths': [4],
                    'target_lengths': [3], 'out': enc_list(inf_loss)}}
path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ctc.json')
with open(path, 'w') as f:
    json.dump(out, f)
print(f'wrote {len(CASES)} cases to {os.path.normpath(path)}')
