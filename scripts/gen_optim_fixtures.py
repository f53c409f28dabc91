# Writes fixtures/optim.json with PyTorch: (1) every optimizer configuration over 6 steps of a fixed
# quadratic in float32 (grad = c*p + d) — parameters after each step; (2) every LR scheduler's LR
# (and momentum / beta1) sequence over 30 steps; (3) clip_grad_norm_ / clip_grad_value_ results.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_optim_fixtures.py

import json
import os
import warnings

import torch
from torch import optim
from torch.optim import lr_scheduler as S

warnings.filterwarnings('ignore')
SEED = 4321
STEPS = 6


def flat(t):
    return [float(v) for v in t.detach().double().flatten().tolist()]


def problem():
    g = torch.Generator().manual_seed(SEED)
    shapes = [[3, 2], [4]]
    p0 = [torch.randn(s, generator=g) for s in shapes]
    c = [torch.rand(s, generator=g) + 0.5 for s in shapes]
    d = [torch.randn(s, generator=g) * 0.5 for s in shapes]
    return shapes, p0, c, d


CAMEL = {'weight_decay': 'weightDecay', 'lr_decay': 'lrDecay', 'initial_accumulator_value': 'initialAccumulatorValue'}


def optimizer_cases():
    shapes, p0, c, d = problem()
    configs = {
        'SGD': [
            {'lr': 0.1}, {'lr': 0.1, 'momentum': 0.9}, {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.5},
            {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}, {'lr': 0.1, 'weight_decay': 0.1},
            {'lr': 0.05, 'momentum': 0.8, 'weight_decay': 0.01, 'nesterov': True}, {'lr': 0.1, 'momentum': 0.5, 'maximize': True},
        ],
        'Adam': [
            {}, {'lr': 0.05, 'betas': [0.8, 0.99]}, {'lr': 0.05, 'weight_decay': 0.1}, {'lr': 0.05, 'amsgrad': True},
            {'lr': 0.05, 'amsgrad': True, 'weight_decay': 0.05, 'eps': 1e-3}, {'lr': 0.05, 'maximize': True},
        ],
        'AdamW': [
            {}, {'lr': 0.05, 'weight_decay': 0.1}, {'lr': 0.05, 'weight_decay': 0.0}, {'lr': 0.05, 'amsgrad': True},
            {'lr': 0.05, 'maximize': True, 'betas': [0.5, 0.9]},
        ],
        'RMSprop': [
            {}, {'lr': 0.01, 'alpha': 0.9}, {'lr': 0.01, 'momentum': 0.9}, {'lr': 0.01, 'centered': True},
            {'lr': 0.01, 'centered': True, 'momentum': 0.5, 'weight_decay': 0.1}, {'lr': 0.01, 'maximize': True, 'eps': 1e-2},
        ],
        'Adagrad': [
            {}, {'lr': 0.1, 'lr_decay': 0.01}, {'lr': 0.1, 'weight_decay': 0.1}, {'lr': 0.1, 'initial_accumulator_value': 0.1},
            {'lr': 0.1, 'eps': 1e-3, 'maximize': True},
        ],
    }
    cases = []
    for name, cfgs in configs.items():
        for cfg in cfgs:
            groups = [{'params': [p.clone().requires_grad_(True) for p in p0]}]
            cases.append(run_opt(name, cfg, groups, c, d, shapes, p0))
        # two parameter groups with different hyperparameters
        extra = {'SGD': {'lr': 0.02, 'momentum': 0.5}, 'Adam': {'lr': 0.01}, 'AdamW': {'weight_decay': 0.3},
                 'RMSprop': {'momentum': 0.3}, 'Adagrad': {'lr': 0.3}}[name]
        base = {'SGD': {'lr': 0.1, 'momentum': 0.9}, 'Adam': {'lr': 0.05}, 'AdamW': {'lr': 0.05},
                'RMSprop': {'lr': 0.01}, 'Adagrad': {'lr': 0.1}}[name]
        groups = [dict(extra, params=[p0[0].clone().requires_grad_(True)]), {'params': [p0[1].clone().requires_grad_(True)]}]
        cases.append(run_opt(name, base, groups, c, d, shapes, p0, group_opts=[extra, {}]))
    return cases


def run_opt(name, cfg, groups, c, d, shapes, p0, group_opts=None):
    kw = dict(cfg)
    if 'betas' in kw:
        kw['betas'] = tuple(kw['betas'])
    if name != 'Adagrad':
        kw['foreach'] = False
    opt = getattr(optim, name)(groups, **kw)
    params = [p for g in opt.param_groups for p in g['params']]
    traj = []
    for _ in range(STEPS):
        for p, ci, di in zip(params, c, d):
            p.grad = (ci * p.detach() + di).float()
        opt.step()
        traj.append([flat(p) for p in params])
    camel = lambda o: {CAMEL.get(k, k): v for k, v in o.items()}
    label = ','.join(f'{k}={v}' for k, v in cfg.items()) or 'defaults'
    if group_opts:
        label += ' / groups ' + ' | '.join(','.join(f'{k}={v}' for k, v in g.items()) or '-' for g in group_opts)
    return {
        'name': f'{name}({label})', 'optimizer': name, 'options': camel(cfg),
        'groups': [camel(g) for g in group_opts] if group_opts else None,
        'shapes': shapes, 'p0': [flat(p) for p in p0], 'c': [flat(x) for x in c], 'd': [flat(x) for x in d],
        'trajectory': traj,
    }


def sched_opt(kind='SGD', lrs=(0.1, 0.05)):
    ps = [torch.zeros(1, requires_grad=True) for _ in lrs]
    groups = [{'params': [p], 'lr': lr} for p, lr in zip(ps, lrs)]
    if kind == 'SGD':
        return optim.SGD(groups, lr=lrs[0], momentum=0.9)
    return optim.Adam(groups, lr=lrs[0], betas=(0.9, 0.999))


def record(opt, sch, steps, metrics=None):
    def snap():
        g = opt.param_groups
        return {'lr': [x['lr'] for x in g],
                'momentum': [x['betas'][0] if 'betas' in x else x.get('momentum') for x in g]}
    seq = [snap()]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sch.step()
        else:
            sch.step(metrics[i])
        seq.append(snap())
    return seq


def scheduler_cases():
    cases = []

    def add(name, make, steps=30, kind='SGD', metrics=None, opts=None, children=None):
        opt = sched_opt(kind)
        sch = make(opt)
        cases.append({'name': name, 'optimizer': kind, 'options': opts, 'children': children, 'metrics': metrics,
                      'steps': steps, 'sequence': record(opt, sch, steps, metrics)})

    add('StepLR(stepSize=7,gamma=0.5)', lambda o: S.StepLR(o, step_size=7, gamma=0.5), opts={'type': 'StepLR', 'stepSize': 7, 'gamma': 0.5})
    add('StepLR(stepSize=3)', lambda o: S.StepLR(o, step_size=3), opts={'type': 'StepLR', 'stepSize': 3})
    add('MultiStepLR(milestones=[5,12,12,20],gamma=0.3)', lambda o: S.MultiStepLR(o, milestones=[5, 12, 12, 20], gamma=0.3),
        opts={'type': 'MultiStepLR', 'milestones': [5, 12, 12, 20], 'gamma': 0.3})
    add('ExponentialLR(gamma=0.9)', lambda o: S.ExponentialLR(o, gamma=0.9), opts={'type': 'ExponentialLR', 'gamma': 0.9})
    add('CosineAnnealingLR(tMax=10)', lambda o: S.CosineAnnealingLR(o, T_max=10), opts={'type': 'CosineAnnealingLR', 'tMax': 10})
    add('CosineAnnealingLR(tMax=30,etaMin=0.001)', lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
        opts={'type': 'CosineAnnealingLR', 'tMax': 30, 'etaMin': 0.001})
    add('LinearLR(defaults)', lambda o: S.LinearLR(o), opts={'type': 'LinearLR'})
    add('LinearLR(startFactor=0.1,endFactor=0.9,totalIters=12)', lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=12),
        opts={'type': 'LinearLR', 'startFactor': 0.1, 'endFactor': 0.9, 'totalIters': 12})
    for kind in ('SGD', 'Adam'):
        add(f'OneCycleLR(cos)/{kind}', lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30), kind=kind,
            opts={'type': 'OneCycleLR', 'maxLr': [1.0, 0.5], 'totalSteps': 30})
    add('OneCycleLR(linear,pctStart=0.25,divFactor=10,finalDivFactor=100)',
        lambda o: S.OneCycleLR(o, max_lr=0.8, total_steps=30, anneal_strategy='linear', pct_start=0.25, div_factor=10., final_div_factor=100.),
        opts={'type': 'OneCycleLR', 'maxLr': 0.8, 'totalSteps': 30, 'annealStrategy': 'linear', 'pctStart': 0.25, 'divFactor': 10, 'finalDivFactor': 100})
    add('OneCycleLR(threePhase,epochs=5,stepsPerEpoch=6)/Adam',
        lambda o: S.OneCycleLR(o, max_lr=0.6, epochs=5, steps_per_epoch=6, three_phase=True, base_momentum=0.8, max_momentum=0.9), kind='Adam',
        opts={'type': 'OneCycleLR', 'maxLr': 0.6, 'epochs': 5, 'stepsPerEpoch': 6, 'threePhase': True, 'baseMomentum': 0.8, 'maxMomentum': 0.9})
    add('OneCycleLR(cycleMomentum=false)', lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=30, cycle_momentum=False),
        opts={'type': 'OneCycleLR', 'maxLr': 0.3, 'totalSteps': 30, 'cycleMomentum': False})

    def warm_cos(o):
        a = S.LinearLR(o, start_factor=0.1, total_iters=5)
        b = S.CosineAnnealingLR(o, T_max=25, eta_min=1e-4)
        return S.SequentialLR(o, schedulers=[a, b], milestones=[5])
    add('SequentialLR(LinearLR warm-up, CosineAnnealingLR)', warm_cos, opts={'type': 'SequentialLR', 'milestones': [5]},
        children=[{'type': 'LinearLR', 'startFactor': 0.1, 'totalIters': 5}, {'type': 'CosineAnnealingLR', 'tMax': 25, 'etaMin': 1e-4}])

    def three(o):
        a = S.LinearLR(o, start_factor=0.25, total_iters=4)
        b = S.ExponentialLR(o, gamma=0.9)
        cc = S.StepLR(o, step_size=4, gamma=0.5)
        return S.SequentialLR(o, schedulers=[a, b, cc], milestones=[4, 15])
    add('SequentialLR(LinearLR, ExponentialLR, StepLR)', three, opts={'type': 'SequentialLR', 'milestones': [4, 15]},
        children=[{'type': 'LinearLR', 'startFactor': 0.25, 'totalIters': 4}, {'type': 'ExponentialLR', 'gamma': 0.9},
                  {'type': 'StepLR', 'stepSize': 4, 'gamma': 0.5}])

    down = [1.0, 0.9, 0.85, 0.85, 0.86, 0.84, 0.84, 0.849, 0.85, 0.7, 0.7, 0.71, 0.72, 0.70, 0.70, 0.69, 0.7, 0.7, 0.7, 0.7,
            0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    up = [0.1, 0.2, 0.2, 0.2, 0.25, 0.25, 0.2501, 0.26, 0.26, 0.26, 0.26, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3,
          0.31, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    add('ReduceLROnPlateau(defaults-ish,patience=2)', lambda o: S.ReduceLROnPlateau(o, patience=2), metrics=down,
        opts={'type': 'ReduceLROnPlateau', 'patience': 2})
    add('ReduceLROnPlateau(mode=max,factor=0.5,patience=1,thresholdMode=abs,threshold=0.01,cooldown=2,minLr=[0.01,0.02])',
        lambda o: S.ReduceLROnPlateau(o, mode='max', factor=0.5, patience=1, threshold_mode='abs', threshold=0.01, cooldown=2, min_lr=[0.01, 0.02]),
        metrics=up, opts={'type': 'ReduceLROnPlateau', 'mode': 'max', 'factor': 0.5, 'patience': 1, 'thresholdMode': 'abs',
                          'threshold': 0.01, 'cooldown': 2, 'minLr': [0.01, 0.02]})
    add('ReduceLROnPlateau(mode=min,rel threshold=0.1,cooldown=1,minLr=0.004)',
        lambda o: S.ReduceLROnPlateau(o, factor=0.3, patience=0, threshold=0.1, cooldown=1, min_lr=0.004), metrics=down,
        opts={'type': 'ReduceLROnPlateau', 'factor': 0.3, 'patience': 0, 'threshold': 0.1, 'cooldown': 1, 'minLr': 0.004})
    return cases


def clip_cases():
    g = torch.Generator().manual_seed(SEED + 1)
    grads = [torch.randn(3, 4, generator=g) * 2, torch.randn(5, generator=g)]
    out = []
    for max_norm, norm_type in ((1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, float('inf')), (2.0, 3.0)):
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(ps, grads):
            p.grad = x.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        out.append({'kind': 'norm', 'maxNorm': max_norm, 'normType': 'inf' if norm_type == float('inf') else norm_type,
                    'total': float(total), 'grads': [flat(p.grad) for p in ps]})
    ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
    for p, x in zip(ps, grads):
        p.grad = x.clone()
    torch.nn.utils.clip_grad_value_(ps, 0.7)
    out.append({'kind': 'value', 'clipValue': 0.7, 'grads': [flat(p.grad) for p in ps]})
    return {'inputs': [flat(x) for x in grads], 'shapes': [list(x.shape) for x in grads], 'cases': out}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, '..', 'fixtures', 'optim.json'))
    doc = {'torch': torch.__version__, 'seed': SEED, 'steps': STEPS, 'optimizers': optimizer_cases(),
           'schedulers': scheduler_cases(), 'clip': clip_cases()}
    with open(out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f"{len(doc['optimizers'])} optimizer cases, {len(doc['schedulers'])} scheduler cases, "
          f"{len(doc['clip']['cases'])} clipping cases -> {out} ({os.path.getsize(out) / 1e3:.0f} kB)")


if __name__ == '__main__':
    main()
