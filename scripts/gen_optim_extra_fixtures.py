# Writes fixtures/optim-extra.json with PyTorch: (1) Adadelta, Adamax, NAdam and RAdam over 10 steps
# of the quadratic of fixtures/optim.json (grad = c*p + d), every option, in float32; (2) LBFGS
# step(closure) on Rosenbrock's function and an L2-regularised logistic regression, with and without
# the strong-Wolfe line search, in float64 and float32: the parameters, the returned loss and the
# state after each step; (3) the LR sequences of LambdaLR, MultiplicativeLR, ConstantLR,
# PolynomialLR, CyclicLR, CosineAnnealingWarmRestarts and ChainedScheduler over 30 steps.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_optim_extra_fixtures.py

import json
import os
import sys
import warnings

import torch
import torch.nn.functional as F
from torch import optim
from torch.optim import lr_scheduler as S

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_optim_fixtures as base  # noqa: E402  (the quadratic problem and the scheduler recorder)

warnings.filterwarnings('ignore')
SEED = 9753
STEPS = 10
flat = base.flat


def camel(k):
    head, *rest = k.split('_')
    return head + ''.join(w[:1].upper() + w[1:] for w in rest)


def run_opt(name, cfg, group_opts=None):
    shapes, p0, c, d = base.problem()
    kw = dict(cfg)
    if 'betas' in kw:
        kw['betas'] = tuple(kw['betas'])
    # NAdam: torch 1.13's single-tensor path multiplies mu_product_next by mu once too often, fixed in
    # 2.0 (pytorch/pytorch#92699); its foreach path already had the fixed formula, so it is the reference.
    kw['foreach'] = name == 'NAdam'
    if group_opts:
        groups = [dict(group_opts[0], params=[p0[0].clone().requires_grad_(True)]), dict(group_opts[1], params=[p0[1].clone().requires_grad_(True)])]
    else:
        groups = [{'params': [p.clone().requires_grad_(True) for p in p0]}]
    opt = getattr(optim, name)(groups, **kw)
    params = [p for g in opt.param_groups for p in g['params']]
    traj = []
    for _ in range(STEPS):
        for p, ci, di in zip(params, c, d):
            p.grad = (ci * p.detach() + di).float()
        opt.step()
        traj.append([flat(p) for p in params])
    label = ','.join(f'{k}={v}' for k, v in cfg.items()) or 'defaults'
    if group_opts:
        label += ' / groups ' + ' | '.join(','.join(f'{k}={v}' for k, v in g.items()) or '-' for g in group_opts)
    cam = lambda o: {camel(k): (list(v) if isinstance(v, tuple) else v) for k, v in o.items()}
    return {
        'name': f'{name}({label})', 'optimizer': name, 'options': cam(cfg), 'groups': [cam(g) for g in group_opts] if group_opts else None,
        'shapes': shapes, 'p0': [flat(p) for p in p0], 'c': [flat(x) for x in c], 'd': [flat(x) for x in d], 'trajectory': traj,
    }


def optimizer_cases():
    configs = {
        'Adadelta': [{}, {'lr': 0.5}, {'rho': 0.5}, {'eps': 1e-3}, {'weight_decay': 0.1}, {'lr': 0.5, 'maximize': True},
                     {'lr': 0.7, 'rho': 0.8, 'eps': 1e-4, 'weight_decay': 0.05}],
        'Adamax': [{}, {'lr': 0.05}, {'lr': 0.05, 'betas': [0.8, 0.95]}, {'lr': 0.05, 'weight_decay': 0.1}, {'lr': 0.05, 'eps': 0.1},
                   {'lr': 0.05, 'maximize': True}],
        'NAdam': [{}, {'lr': 0.05}, {'lr': 0.05, 'betas': [0.8, 0.95]}, {'lr': 0.05, 'weight_decay': 0.1}, {'lr': 0.05, 'momentum_decay': 0.05},
                  {'lr': 0.05, 'eps': 0.1}],
        # betas (0.9, 0.9): rho_inf = 19, so the rectified branch (rho_t > 5) starts at step 2
        'RAdam': [{}, {'lr': 0.05}, {'lr': 0.05, 'betas': [0.9, 0.9]}, {'lr': 0.05, 'betas': [0.8, 0.99]},
                  {'lr': 0.05, 'weight_decay': 0.1, 'betas': [0.9, 0.9]}, {'lr': 0.05, 'eps': 0.1, 'betas': [0.9, 0.9]}],
    }
    groups = {
        'Adadelta': ({'lr': 0.5}, [{'rho': 0.7}, {}]), 'Adamax': ({'lr': 0.05}, [{'lr': 0.02}, {}]),
        'NAdam': ({'lr': 0.05}, [{'momentum_decay': 0.01}, {}]), 'RAdam': ({'lr': 0.05}, [{'betas': (0.9, 0.9)}, {}]),
    }
    cases = []
    for name, cfgs in configs.items():
        for cfg in cfgs:
            cases.append(run_opt(name, cfg))
        base_cfg, gopts = groups[name]
        cases.append(run_opt(name, base_cfg, gopts))
    return cases


# ---- LBFGS ----

def lbfgs_problem(kind, dtype):
    g = torch.Generator().manual_seed(SEED)
    if kind == 'rosenbrock':
        return {'x0': [[-1.2, 1.0]], 'shapes': [[2]]}
    X = torch.randn(24, 3, generator=g, dtype=torch.float64).float().double()
    w_true = torch.tensor([[1.5], [-2.0], [0.5]], dtype=torch.float64)
    y = ((X @ w_true + 0.3 * torch.randn(24, 1, generator=g, dtype=torch.float64)) > 0).double()
    w0 = (torch.randn(3, 1, generator=g, dtype=torch.float64) * 0.1).float().double()
    return {'X': flat(X), 'y': flat(y), 'x0': [flat(w0), [0.0]], 'shapes': [[3, 1], [1]]}


def lbfgs_loss(kind, params, prob, dtype, alt=False):
    """The loss; alt=True is the same function with its arithmetic in another order."""
    if kind == 'rosenbrock':
        x = params[0]
        a, b = x[0], x[1]
        if alt:
            return (1 - a) ** 2 + 100 * ((b - a ** 2) ** 2)
        return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a)
    X = torch.tensor(prob['X'], dtype=dtype).reshape(24, 3)
    y = torch.tensor(prob['y'], dtype=dtype).reshape(24, 1)
    w, bias = params
    if alt:
        # the same loss by the textbook formula max(z, 0) − z·y + log(1 + e^−|z|)
        z = X @ w + bias
        return (torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean() + (0.01 * w * w).sum()
    return F.binary_cross_entropy_with_logits(X @ w + bias, y) + 0.01 * (w * w).sum()


def lbfgs_run(kind, dtype, cfg, steps, alt):
    prob = lbfgs_problem(kind, dtype)
    params = [torch.tensor(v, dtype=dtype).reshape(s).requires_grad_(True) for v, s in zip(prob['x0'], prob['shapes'])]
    opt = optim.LBFGS(params, **cfg)

    def closure():
        opt.zero_grad()
        loss = lbfgs_loss(kind, params, prob, dtype, alt)
        loss.backward()
        return loss

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        st = opt.state[params[0]]
        out.append({'loss': float(loss), 'params': [flat(p) for p in params], 'funcEvals': st['func_evals'], 'nIter': st['n_iter'],
                    't': float(st['t']) if 't' in st else None, 'hDiag': float(st['H_diag']) if 'H_diag' in st else None,
                    'history': len(st['old_dirs']) if 'old_dirs' in st else None,
                    'prevLoss': float(st['prev_loss']) if st.get('prev_loss') is not None else None})
    return prob, out


def rel(a, b):
    if a is None or b is None:
        return 0.0
    return abs(a - b) / max(abs(a), 1e-300)


def lbfgs_case(kind, dtype_name, cfg, steps=3):
    """PyTorch's run, and how far PyTorch itself moves when only the loss's arithmetic is reordered:
    an ill-conditioned problem amplifies rounding, and the test allows for that measured spread."""
    dtype = getattr(torch, dtype_name)
    prob, out = lbfgs_run(kind, dtype, cfg, steps, False)
    _, alt = lbfgs_run(kind, dtype, cfg, steps, True)
    for s, a in zip(out, alt):
        s['spread'] = {
            'loss': rel(s['loss'], a['loss']), 't': rel(s['t'], a['t']), 'hDiag': rel(s['hDiag'], a['hDiag']),
            'prevLoss': rel(s['prevLoss'], a['prevLoss']),
            'params': max(rel(u, v) for p, q in zip(s['params'], a['params']) for u, v in zip(p, q)),
            'counters': [s['funcEvals'], s['nIter'], s['history']] != [a['funcEvals'], a['nIter'], a['history']],
        }
    label = ','.join(f'{k}={v}' for k, v in cfg.items()) or 'defaults'
    case = {'name': f'LBFGS({label}) {kind} {dtype_name}', 'problem': kind, 'dtype': dtype_name,
            'options': {camel(k): v for k, v in cfg.items()}, 'shapes': prob['shapes'], 'x0': prob['x0'], 'steps': out}
    if kind == 'logistic':
        case['X'], case['y'] = prob['X'], prob['y']
    return case


def lbfgs_cases():
    sw = {'line_search_fn': 'strong_wolfe'}
    cases = []
    for dtype in ('float64', 'float32'):
        for cfg in ({}, {'lr': 0.5, 'max_iter': 5}, sw, dict(sw, history_size=2), {'max_eval': 7}, {'tolerance_change': 1e-3},
                    dict(sw, max_iter=4, lr=0.8)):
            cases.append(lbfgs_case('logistic', dtype, cfg))
    for cfg in (dict(sw), dict(sw, history_size=3, max_iter=10), dict(sw, tolerance_grad=1e-3), {'lr': 0.05, 'max_iter': 10}):
        cases.append(lbfgs_case('rosenbrock', 'float64', cfg, steps=4))
    return cases


# ---- schedulers ----

LAMBDAS = {
    'pow095': lambda e: 0.95 ** e,
    'warmup5': lambda e: min(1.0, (e + 1) / 5),
    'inv': lambda e: 1 / (1 + 0.1 * e),
    'const09': lambda e: 0.9,
    'const095': lambda e: 0.95,
    'every3': lambda e: 0.8 if e % 3 == 0 else 1.0,
    'half': lambda x: 0.5 ** x,
    'recip': lambda x: 1 / x,
}


def fn(v):
    return [LAMBDAS[x] for x in v] if isinstance(v, list) else LAMBDAS[v]


def scheduler_cases():
    cases = []

    def add(name, make, opts, kind='SGD', children=None, epochs=None, steps=30):
        opt = base.sched_opt(kind)
        sch = make(opt)
        seq = [base.record(opt, sch, 0)[0]]
        for i in range(steps):
            opt.step()
            if epochs is None:
                sch.step()
            else:
                sch.step(epochs[i])
            seq.append(base.record(opt, sch, 0)[0])
        cases.append({'name': name, 'optimizer': kind, 'options': opts, 'children': children, 'metrics': None, 'epochs': epochs,
                      'steps': steps, 'sequence': seq})

    add('LambdaLR(pow095)', lambda o: S.LambdaLR(o, fn('pow095')), {'type': 'LambdaLR', 'lrLambda': 'pow095'})
    add('LambdaLR([warmup5, inv])', lambda o: S.LambdaLR(o, fn(['warmup5', 'inv'])), {'type': 'LambdaLR', 'lrLambda': ['warmup5', 'inv']})
    add('MultiplicativeLR(const09)', lambda o: S.MultiplicativeLR(o, fn('const09')), {'type': 'MultiplicativeLR', 'lrLambda': 'const09'})
    add('MultiplicativeLR([every3, const095])', lambda o: S.MultiplicativeLR(o, fn(['every3', 'const095'])),
        {'type': 'MultiplicativeLR', 'lrLambda': ['every3', 'const095']})
    add('ConstantLR(defaults)', lambda o: S.ConstantLR(o), {'type': 'ConstantLR'})
    add('ConstantLR(factor=0.5,totalIters=4)', lambda o: S.ConstantLR(o, factor=0.5, total_iters=4), {'type': 'ConstantLR', 'factor': 0.5, 'totalIters': 4})
    add('PolynomialLR(defaults)', lambda o: S.PolynomialLR(o), {'type': 'PolynomialLR'})
    add('PolynomialLR(totalIters=20,power=2)', lambda o: S.PolynomialLR(o, total_iters=20, power=2.0), {'type': 'PolynomialLR', 'totalIters': 20, 'power': 2})
    add('PolynomialLR(totalIters=10,power=0.5)', lambda o: S.PolynomialLR(o, total_iters=10, power=0.5), {'type': 'PolynomialLR', 'totalIters': 10, 'power': 0.5})

    add('CyclicLR(triangular,stepSizeUp=4)', lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
        {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 4})
    add('CyclicLR(triangular2,stepSizeUp=3,stepSizeDown=5,per-group)',
        lambda o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, step_size_down=5, mode='triangular2',
                             base_momentum=[0.7, 0.8], max_momentum=[0.95, 0.9]),
        {'type': 'CyclicLR', 'baseLr': [0.01, 0.02], 'maxLr': [0.1, 0.3], 'stepSizeUp': 3, 'stepSizeDown': 5, 'mode': 'triangular2',
         'baseMomentum': [0.7, 0.8], 'maxMomentum': [0.95, 0.9]})
    add('CyclicLR(exp_range,gamma=0.9)', lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.05, step_size_up=4, mode='exp_range', gamma=0.9),
        {'type': 'CyclicLR', 'baseLr': 0.001, 'maxLr': 0.05, 'stepSizeUp': 4, 'mode': 'exp_range', 'gamma': 0.9})
    add('CyclicLR(scaleFn=half,scaleMode=iterations,cycleMomentum=false)',
        lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=2, scale_fn=fn('half'), scale_mode='iterations', cycle_momentum=False),
        {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.2, 'stepSizeUp': 2, 'scaleFn': 'half', 'scaleMode': 'iterations', 'cycleMomentum': False})
    add('CyclicLR(scaleFn=recip,scaleMode=cycle)', lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=3, scale_fn=fn('recip')),
        {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.2, 'stepSizeUp': 3, 'scaleFn': 'recip'})
    add('CyclicLR(cycleMomentum=false)/Adam', lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, cycle_momentum=False),
        {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 5, 'cycleMomentum': False}, kind='Adam')

    add('CosineAnnealingWarmRestarts(t0=5)', lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5), {'type': 'CosineAnnealingWarmRestarts', 't0': 5})
    add('CosineAnnealingWarmRestarts(t0=3,tMult=2,etaMin=0.001)', lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
        {'type': 'CosineAnnealingWarmRestarts', 't0': 3, 'tMult': 2, 'etaMin': 0.001})
    epochs = [round(0.4 * (i + 1), 10) for i in range(30)]
    add('CosineAnnealingWarmRestarts(t0=2,tMult=3) stepped with fractional epochs',
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=3), {'type': 'CosineAnnealingWarmRestarts', 't0': 2, 'tMult': 3}, epochs=epochs)
    add('CosineAnnealingWarmRestarts(t0=4) stepped with fractional epochs', lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4),
        {'type': 'CosineAnnealingWarmRestarts', 't0': 4}, epochs=epochs)

    def chained(*makers):
        return lambda o: S.ChainedScheduler([m(o) for m in makers])
    add('ChainedScheduler(ConstantLR, ExponentialLR)',
        chained(lambda o: S.ConstantLR(o, factor=0.1, total_iters=2), lambda o: S.ExponentialLR(o, gamma=0.9)),
        {'type': 'ChainedScheduler'}, children=[{'type': 'ConstantLR', 'factor': 0.1, 'totalIters': 2}, {'type': 'ExponentialLR', 'gamma': 0.9}])
    add('ChainedScheduler(LinearLR, CosineAnnealingLR, MultiplicativeLR)',
        chained(lambda o: S.LinearLR(o, start_factor=0.2, total_iters=5), lambda o: S.CosineAnnealingLR(o, T_max=12),
                lambda o: S.MultiplicativeLR(o, fn('every3'))),
        {'type': 'ChainedScheduler'}, children=[{'type': 'LinearLR', 'startFactor': 0.2, 'totalIters': 5}, {'type': 'CosineAnnealingLR', 'tMax': 12},
                                               {'type': 'MultiplicativeLR', 'lrLambda': 'every3'}])
    add('ChainedScheduler(StepLR, PolynomialLR)/Adam',
        chained(lambda o: S.StepLR(o, step_size=4, gamma=0.5), lambda o: S.PolynomialLR(o, total_iters=25, power=1.5)),
        {'type': 'ChainedScheduler'}, kind='Adam',
        children=[{'type': 'StepLR', 'stepSize': 4, 'gamma': 0.5}, {'type': 'PolynomialLR', 'totalIters': 25, 'power': 1.5}])

    def seq(o):
        return S.SequentialLR(o, schedulers=[S.ConstantLR(o, factor=0.25, total_iters=3), S.PolynomialLR(o, total_iters=20, power=2.0)], milestones=[6])
    add('SequentialLR(ConstantLR, PolynomialLR)', seq, {'type': 'SequentialLR', 'milestones': [6]},
        children=[{'type': 'ConstantLR', 'factor': 0.25, 'totalIters': 3}, {'type': 'PolynomialLR', 'totalIters': 20, 'power': 2}])
    return cases


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, '..', 'fixtures', 'optim-extra.json'))
    doc = {'torch': torch.__version__, 'seed': SEED, 'steps': STEPS, 'optimizers': optimizer_cases(), 'lbfgs': lbfgs_cases(),
           'schedulers': scheduler_cases()}
    with open(out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')
    print(f"{len(doc['optimizers'])} optimizer cases, {len(doc['lbfgs'])} LBFGS cases, {len(doc['schedulers'])} scheduler cases "
          f"-> {out} ({os.path.getsize(out) / 1e3:.0f} kB)")


if __name__ == '__main__':
    main()
