# Writes fixtures/losses-extra.json: the margin, embedding and likelihood losses (margin_ranking,
# hinge_embedding, triplet_margin, multi_margin, multilabel_soft_margin, poisson_nll, gaussian_nll)
# x reduction x options, computed by PyTorch in float64 on float32-representable inputs: the value and
# the gradients of sum(out * cotangent). Same case format as fixtures/losses.json.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_loss_extra_fixtures.py

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_loss_fixtures as base  # noqa: E402  (enc, f32, case; its CASES list is ours to fill)

SEED = 2468
REDS = base.REDS
case, f32, rn = base.case, base.f32, base.rn


def signs(*shape):
    return torch.randint(0, 2, shape).double() * 2 - 1


def build():
    torch.manual_seed(SEED)
    for red in REDS:
        # marginRankingLoss: y = ±1; the target is differentiable in PyTorch too
        for margin in (0.0, 0.5):
            case(f'marginRankingLoss/margin={margin}/{red}', 'margin_ranking_loss', [rn(6), rn(6), signs(6)],
                 {'reduction': red, 'margin': margin}, (0, 1, 2))
        case(f'marginRankingLoss/2d/{red}', 'margin_ranking_loss', [rn(3, 4), rn(3, 4), signs(3, 4)],
             {'reduction': red, 'margin': 0.2}, (0, 1, 2))
        case(f'marginRankingLoss/broadcast/{red}', 'margin_ranking_loss', [rn(3, 4), rn(1, 4), signs(3, 1)],
             {'reduction': red, 'margin': 0.1}, (0, 1, 2))

        # hingeEmbeddingLoss: y = ±1, and any other y gets both terms
        for margin in (1.0, 0.3):
            case(f'hingeEmbeddingLoss/margin={margin}/{red}', 'hinge_embedding_loss', [rn(4, 3) * 2, signs(4, 3)],
                 {'reduction': red, 'margin': margin}, (0,))
        y = signs(2, 3)
        y[0, 1] = 0.5
        y[1, 2] = 0.0
        case(f'hingeEmbeddingLoss/other-targets/{red}', 'hinge_embedding_loss', [rn(2, 3) * 2, y], {'reduction': red}, (0,))

        # tripletMarginLoss
        a, p, n = rn(5, 4), rn(5, 4), rn(5, 4)
        case(f'tripletMarginLoss/defaults/{red}', 'triplet_margin_loss', [a, p, n], {'reduction': red}, (0, 1, 2))
        case(f'tripletMarginLoss/margin=2.5/{red}', 'triplet_margin_loss', [a, p, n], {'reduction': red, 'margin': 2.5}, (0, 1, 2))
        case(f'tripletMarginLoss/p=1/{red}', 'triplet_margin_loss', [a, p, n], {'reduction': red, 'p': 1.0, 'margin': 2.0}, (0, 1, 2))
        case(f'tripletMarginLoss/p=3,eps=1e-3/{red}', 'triplet_margin_loss', [a, p, n], {'reduction': red, 'p': 3.0, 'eps': 1e-3, 'margin': 1.5},
             (0, 1, 2))
        case(f'tripletMarginLoss/p=inf/{red}', 'triplet_margin_loss', [a, p, n], {'reduction': red, 'p': float('inf'), 'margin': 1.0},
             (0, 1, 2))
        base.CASES[-1]['kwargs']['p'] = 'inf'  # JSON has no Infinity; the test reads 'inf' back
        n_close = f32(a + 0.3 * rn(5, 4))
        case(f'tripletMarginLoss/swap/{red}', 'triplet_margin_loss', [a, f32(a + 0.2 * rn(5, 4)), n_close],
             {'reduction': red, 'swap': True, 'margin': 0.5}, (0, 1, 2))
        case(f'tripletMarginLoss/1d/{red}', 'triplet_margin_loss', [rn(6), rn(6), rn(6)], {'reduction': red, 'margin': 3.0}, (0, 1, 2))
        case(f'tripletMarginLoss/3d/{red}', 'triplet_margin_loss', [rn(2, 3, 4), rn(2, 3, 4), rn(2, 3, 4)],
             {'reduction': red, 'margin': 2.0}, (0, 1, 2))
        case(f'tripletMarginLoss/broadcast/{red}', 'triplet_margin_loss', [rn(4, 3), rn(1, 3), rn(4, 3)],
             {'reduction': red, 'margin': 2.0}, (0, 1, 2))

        # multiMarginLoss
        x = rn(5, 4)
        t = torch.tensor([0, 3, 1, 2, 3])
        w = f32(torch.rand(4, dtype=torch.float64) + 0.3)
        for p_, margin in ((1, 1.0), (2, 1.0), (1, 0.4), (2, 0.7)):
            case(f'multiMarginLoss/p={p_},margin={margin}/{red}', 'multi_margin_loss', [x, t], {'reduction': red, 'p': p_, 'margin': margin}, (0,))
        case(f'multiMarginLoss/weight/{red}', 'multi_margin_loss', [x, t], {'reduction': red}, (0,), {'weight': w})
        case(f'multiMarginLoss/p=2+weight/{red}', 'multi_margin_loss', [x, t], {'reduction': red, 'p': 2}, (0,), {'weight': w})
        case(f'multiMarginLoss/1d/{red}', 'multi_margin_loss', [rn(4), torch.tensor(2)], {'reduction': red}, (0,))
        case(f'multiMarginLoss/1d-target[1]/{red}', 'multi_margin_loss', [rn(4), torch.tensor([1])], {'reduction': red}, (0,))

        # multiLabelSoftMarginLoss
        x = rn(4, 5) * 3
        y01 = torch.randint(0, 2, (4, 5)).double()
        ysoft = f32(torch.rand(4, 5, dtype=torch.float64))
        case(f'multiLabelSoftMarginLoss/{red}', 'multilabel_soft_margin_loss', [x, y01], {'reduction': red}, (0, 1))
        case(f'multiLabelSoftMarginLoss/soft/{red}', 'multilabel_soft_margin_loss', [x, ysoft], {'reduction': red}, (0, 1))
        case(f'multiLabelSoftMarginLoss/weight/{red}', 'multilabel_soft_margin_loss', [x, y01], {'reduction': red}, (0, 1),
             {'weight': f32(torch.rand(5, dtype=torch.float64) + 0.5)})
        case(f'multiLabelSoftMarginLoss/weight[N,C]/{red}', 'multilabel_soft_margin_loss', [x, ysoft], {'reduction': red}, (0, 1),
             {'weight': f32(torch.rand(4, 5, dtype=torch.float64) + 0.5)})
        case(f'multiLabelSoftMarginLoss/1d/{red}', 'multilabel_soft_margin_loss', [rn(5), ysoft[0]], {'reduction': red}, (0, 1))
        xl = torch.tensor([[40.0, -40.0, 0.0], [-100.0, 100.0, 1e-3]], dtype=torch.float64)
        yl = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]], dtype=torch.float64)
        case(f'multiLabelSoftMarginLoss/large-logits/{red}', 'multilabel_soft_margin_loss', [xl, yl], {'reduction': red}, (0, 1))

        # poissonNllLoss
        counts = torch.tensor([[0.0, 1.0, 2.0], [5.0, 3.0, 0.0], [1.0, 7.0, 4.0], [2.0, 0.0, 9.0]], dtype=torch.float64)
        ypos = torch.tensor([[0.5, 2.0, 3.5], [7.0, 0.25, 1.5], [4.0, 0.75, 2.5], [6.0, 3.0, 0.5]], dtype=torch.float64)
        lam = f32(torch.rand(4, 3, dtype=torch.float64) * 3 + 0.1)
        case(f'poissonNllLoss/logInput/{red}', 'poisson_nll_loss', [rn(4, 3), counts], {'reduction': red}, (0,))
        case(f'poissonNllLoss/logInput,target-grad/{red}', 'poisson_nll_loss', [rn(4, 3), ypos], {'reduction': red}, (0, 1))
        case(f'poissonNllLoss/logInput=false/{red}', 'poisson_nll_loss', [lam, counts], {'reduction': red, 'log_input': False}, (0,))
        case(f'poissonNllLoss/logInput=false,eps=0.5/{red}', 'poisson_nll_loss', [lam, ypos], {'reduction': red, 'log_input': False, 'eps': 0.5}, (0, 1))
        case(f'poissonNllLoss/full/{red}', 'poisson_nll_loss', [rn(4, 3), counts], {'reduction': red, 'full': True}, (0,))
        case(f'poissonNllLoss/full,target-grad/{red}', 'poisson_nll_loss', [rn(4, 3), ypos], {'reduction': red, 'full': True}, (0, 1))
        case(f'poissonNllLoss/full,logInput=false/{red}', 'poisson_nll_loss', [lam, ypos], {'reduction': red, 'full': True, 'log_input': False},
             (0, 1))

        # gaussianNllLoss: var of the input's shape, one short, or with 1 last
        mu, tgt = rn(4, 3), rn(4, 3)
        var = f32(torch.rand(4, 3, dtype=torch.float64) + 0.2)
        case(f'gaussianNllLoss/{red}', 'gaussian_nll_loss', [mu, tgt, var], {'reduction': red}, (0, 1, 2))
        case(f'gaussianNllLoss/full/{red}', 'gaussian_nll_loss', [mu, tgt, var], {'reduction': red, 'full': True}, (0, 1, 2))
        case(f'gaussianNllLoss/var[N]/{red}', 'gaussian_nll_loss', [mu, tgt, f32(torch.rand(4, dtype=torch.float64) + 0.2)],
             {'reduction': red}, (0, 1, 2))
        case(f'gaussianNllLoss/var[N,1]/{red}', 'gaussian_nll_loss', [mu, tgt, f32(torch.rand(4, 1, dtype=torch.float64) + 0.2)],
             {'reduction': red}, (0, 1, 2))
        case(f'gaussianNllLoss/3d/{red}', 'gaussian_nll_loss', [rn(2, 3, 2), rn(2, 3, 2), f32(torch.rand(2, 3, dtype=torch.float64) + 0.2)],
             {'reduction': red, 'full': True}, (0, 1, 2))
        vsmall = var.clone()
        vsmall[0, 0] = 0.0
        vsmall[2, 1] = 0.01
        case(f'gaussianNllLoss/eps=0.1-clamps/{red}', 'gaussian_nll_loss', [mu, tgt, vsmall], {'reduction': red, 'eps': 0.1}, (0, 1, 2),
             gradcheck=False, why="PyTorch clamps var under no_grad: the gradient passes the clamp as if it were not there, "
                               "which is not the derivative of the clamped function (so no finite-difference check)")


def main():
    build()
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, '..', 'fixtures', 'losses-extra.json'))
    with open(out, 'w') as f:
        json.dump({'torch': torch.__version__, 'seed': SEED, 'cases': base.CASES}, f, separators=(',', ':'))
        f.write('\n')
    fns = sorted({c['fn'] for c in base.CASES})
    print(f'{len(base.CASES)} cases over {len(fns)} losses -> {out} ({os.path.getsize(out) / 1e3:.0f} kB)')


if __name__ == '__main__':
    main()
