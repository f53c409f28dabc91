# Writes fixtures/losses.json: every loss x reduction (and its options) computed by PyTorch in
# float64 on float32-representable inputs — the value and the gradients of sum(out * cotangent).
# Run with Debian's torch: /usr/bin/python3 scripts/gen_loss_fixtures.py

import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 1234
torch.manual_seed(SEED)
CASES = []
REDS = ['mean', 'sum', 'none']


def enc(t):
    t = t.detach()
    if t.dtype in (torch.float32, torch.float64):
        vals = []
        for v in t.double().flatten().tolist():
            if math.isnan(v):
                vals.append('nan')
            elif math.isinf(v):
                vals.append('inf' if v > 0 else '-inf')
            else:
                vals.append(float('%.17g' % v))
        return {'shape': list(t.shape), 'dtype': 'float64', 'data': vals}
    return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.flatten().tolist()]}


def f32(t):
    """float32-representable values held in float64, so both precisions start from the same numbers."""
    return t.float().double()


def case(name, fn, args, kwargs, grad_of=(), option_tensors=None, gradcheck=True, why=None):
    """args: the positional tensors; grad_of: indices of args that get gradients."""
    option_tensors = option_tensors or {}
    xs = [a.clone().requires_grad_(i in grad_of) for i, a in enumerate(args)]
    kw = dict(kwargs)
    for k, v in option_tensors.items():
        kw[k] = v
    out = getattr(F, fn)(*xs, **kw)
    cot = f32(torch.rand(out.shape, dtype=torch.float64) + 0.5) if out.dim() > 0 else torch.ones((), dtype=torch.float64)
    grads = [None] * len(xs)
    if grad_of:
        gs = torch.autograd.grad((out * cot).sum(), [xs[i] for i in grad_of])
        for i, g in zip(grad_of, gs):
            grads[i] = enc(g)
    c = {
        'name': name, 'fn': fn, 'args': [enc(a) for a in args], 'kwargs': kwargs,
        'options': {k: enc(v) for k, v in option_tensors.items()},
        'out': enc(out), 'cotangent': enc(cot), 'grads': grads, 'gradcheck': gradcheck,
    }
    if why:
        c['why'] = why
    CASES.append(c)


def rn(*shape):
    return f32(torch.randn(*shape, dtype=torch.float64))


def build():
    # regression
    for red in REDS:
        x, t = rn(4, 3), rn(4, 3)
        case(f'mseLoss/{red}', 'mse_loss', [x, t], {'reduction': red}, (0, 1))
        case(f'l1Loss/{red}', 'l1_loss', [x, t], {'reduction': red}, (0, 1))
        for beta in (1.0, 0.5, 0.0):
            x, t = rn(5, 3), rn(5, 3)
            case(f'smoothL1Loss/beta={beta}/{red}', 'smooth_l1_loss', [x, t], {'reduction': red, 'beta': beta}, (0, 1))
        for delta in (1.0, 0.7, 2.5):
            x, t = rn(5, 3) * 2, rn(5, 3)
            case(f'huberLoss/delta={delta}/{red}', 'huber_loss', [x, t], {'reduction': red, 'delta': delta}, (0, 1))

    # classification: class indices
    N, C = 6, 4
    for red in REDS:
        x = rn(N, C) * 2
        t = torch.tensor([0, 3, 1, 2, 3, 1])
        w = f32(torch.rand(C, dtype=torch.float64) + 0.3)
        ti = torch.tensor([0, -100, 1, 2, -100, 3])
        t2 = torch.tensor([0, 2, 1, 2, 3, 2])
        for fn, nm in (('cross_entropy', 'crossEntropy'), ('nll_loss', 'nllLoss')):
            case(f'{nm}/{red}', fn, [x, t], {'reduction': red}, (0,))
            case(f'{nm}/weight/{red}', fn, [x, t], {'reduction': red}, (0,), {'weight': w})
            case(f'{nm}/ignoreIndex=-100/{red}', fn, [x, ti], {'reduction': red}, (0,))
            case(f'{nm}/ignoreIndex=2+weight/{red}', fn, [x, t2], {'reduction': red, 'ignore_index': 2}, (0,), {'weight': w})
            xk = rn(2, C, 3, 2)
            tk = torch.randint(0, C, (2, 3, 2))
            tk[0, 1, 1] = -100
            case(f'{nm}/kdim/{red}', fn, [xk, tk], {'reduction': red}, (0,))
            case(f'{nm}/kdim+weight/{red}', fn, [xk, tk], {'reduction': red}, (0,), {'weight': w})
            case(f'{nm}/unbatched/{red}', fn, [rn(C), torch.tensor(2)], {'reduction': red}, (0,))
        case(f'crossEntropy/labelSmoothing=0.1/{red}', 'cross_entropy', [x, t], {'reduction': red, 'label_smoothing': 0.1}, (0,))
        case(f'crossEntropy/labelSmoothing=0.2+weight+ignore/{red}', 'cross_entropy', [x, ti],
             {'reduction': red, 'label_smoothing': 0.2}, (0,), {'weight': w})
        case(f'crossEntropy/labelSmoothing=0.3/kdim/{red}', 'cross_entropy', [xk, tk], {'reduction': red, 'label_smoothing': 0.3}, (0,))
        # class probabilities
        p = torch.softmax(rn(N, C), 1)
        p = f32(p)
        case(f'crossEntropy/probs/{red}', 'cross_entropy', [x, p], {'reduction': red}, (0, 1))
        case(f'crossEntropy/probs+weight+labelSmoothing/{red}', 'cross_entropy', [x, p], {'reduction': red, 'label_smoothing': 0.15}, (0, 1), {'weight': w})
        pk = f32(torch.softmax(rn(2, C, 3, 2), 1))
        case(f'crossEntropy/probs/kdim/{red}', 'cross_entropy', [xk, pk], {'reduction': red}, (0, 1))
    # large logits: log-sum-exp keeps them finite
    xl = torch.tensor([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 499.0]], dtype=torch.float64)
    case('crossEntropy/large-logits/mean', 'cross_entropy', [xl, torch.tensor([2, 1])], {}, (0,), gradcheck=False,
         why='a finite difference at 1e3 loses all precision; the value and gradient are the point')

    # binary
    for red in REDS:
        x = f32(torch.sigmoid(rn(4, 3) * 2))
        t = f32(torch.rand(4, 3, dtype=torch.float64))
        w = f32(torch.rand(4, 3, dtype=torch.float64) + 0.5)
        case(f'binaryCrossEntropy/{red}', 'binary_cross_entropy', [x, t], {'reduction': red}, (0, 1))
        case(f'binaryCrossEntropy/weight/{red}', 'binary_cross_entropy', [x, t], {'reduction': red}, (0, 1), {'weight': w})
        xe = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.0, 1e-30]], dtype=torch.float64)
        te = torch.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
        case(f'binaryCrossEntropy/at-0-and-1/{red}', 'binary_cross_entropy', [xe, te], {'reduction': red}, (0,), gradcheck=False,
             why='log is clamped at -100 at 0 and 1: no derivative there to compare with')
        x = rn(4, 3) * 3
        pw = f32(torch.rand(3, dtype=torch.float64) * 3)
        case(f'binaryCrossEntropyWithLogits/{red}', 'binary_cross_entropy_with_logits', [x, t], {'reduction': red}, (0, 1))
        case(f'binaryCrossEntropyWithLogits/posWeight/{red}', 'binary_cross_entropy_with_logits', [x, t], {'reduction': red}, (0, 1), {'pos_weight': pw})
        case(f'binaryCrossEntropyWithLogits/posWeight+weight/{red}', 'binary_cross_entropy_with_logits', [x, t], {'reduction': red}, (0, 1),
             {'pos_weight': pw, 'weight': w})
        xb = torch.tensor([[100.0, -100.0, 0.0], [40.0, -40.0, 1e-3]], dtype=torch.float64)
        tb = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]], dtype=torch.float64)
        case(f'binaryCrossEntropyWithLogits/large-logits/{red}', 'binary_cross_entropy_with_logits', [xb, tb], {'reduction': red}, (0, 1))

    # distributions
    for red in ('mean', 'sum', 'none', 'batchmean'):
        x = f32(torch.log_softmax(rn(3, 5), 1))
        t = f32(torch.softmax(rn(3, 5), 1))
        t0 = t.clone()
        t0[0, 1] = 0.0
        t0[2, 4] = 0.0
        case(f'klDiv/{red}', 'kl_div', [x, t], {'reduction': red}, (0, 1))
        case(f'klDiv/zeros-in-target/{red}', 'kl_div', [x, t0], {'reduction': red}, (0,))
        case(f'klDiv/logTarget/{red}', 'kl_div', [x, f32(torch.log(t))], {'reduction': red, 'log_target': True}, (0, 1))

    # embeddings
    for red in REDS:
        a, b = rn(5, 4), rn(5, 4)
        y = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0], dtype=torch.float64)
        for margin in (0.0, 0.3):
            case(f'cosineEmbeddingLoss/margin={margin}/{red}', 'cosine_embedding_loss', [a, b, y], {'reduction': red, 'margin': margin}, (0, 1))
        case(f'cosineEmbeddingLoss/1d/{red}', 'cosine_embedding_loss', [rn(4), rn(4), torch.tensor(-1.0, dtype=torch.float64)],
             {'reduction': red, 'margin': -0.5}, (0, 1))


def main():
    build()
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, '..', 'fixtures', 'losses.json'))
    with open(out, 'w') as f:
        json.dump({'torch': torch.__version__, 'seed': SEED, 'cases': CASES}, f, separators=(',', ':'))
        f.write('\n')
    fns = sorted({c['fn'] for c in CASES})
    print(f'{len(CASES)} cases over {len(fns)} losses -> {out} ({os.path.getsize(out) / 1e3:.0f} kB)')


if __name__ == '__main__':
    main()
