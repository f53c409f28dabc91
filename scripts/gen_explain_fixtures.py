# Writes fixtures/explain.json: every attribution method of nb.explain recomputed by real PyTorch
# on small MLP, CNN and LSTM models with fixed weights — the same math Captum implements, written
# here with torch.autograd (Captum is not packaged in Debian; scripts/check_explain_captum.py
# compares these references with Captum itself when a Captum checkout is at hand).
#
# Run with Debian's torch: /usr/bin/python3 scripts/gen_explain_fixtures.py
# Weights and inputs are float32-exact; references are computed in float64 and written with 17
# significant digits. Occlusion, feature ablation and Shapley values are computed by brute force
# (every window, every feature, every permutation) as the exact references.

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from explain_reference import (
    DT, INPUTS, MODELS, deeplift, enc, feature_ablation, forward_of, grad_at, grad_cam, hires_cam, ig, layer_grad_x_act, layer_ig,
    modified_relu_grad, occlusion, randn, r32, shapley_exact,
)


# ---- the cases ----

CASES = []


def T(t):
    return {'tensor': enc(t)}


def add(name, model, method, opts, out, delta=None, tol=None):
    c = {'name': name, 'model': model, 'method': method, 'opts': opts, 'out': enc(out)}
    if delta is not None:
        c['delta'] = enc(delta)
    if tol:
        c['tol'] = tol
    CASES.append(c)


def gradient_cases():
    for model, target in [('mlp', 2), ('mlp2', [0, 2, 1]), ('cnn', 1), ('lstm_emb', [2, 0])]:
        f, x = forward_of(model), INPUTS[model]
        g = grad_at(f, x, target)
        add(f'{model} saliency', model, 'saliency', {'target': target}, g.abs())
        add(f'{model} saliency signed', model, 'saliency', {'target': target, 'abs': False}, g)
        add(f'{model} inputXGradient', model, 'inputXGradient', {'target': target}, x * g)
        attr, delta = ig(f, x, target, torch.zeros_like(x))
        add(f'{model} integratedGradients', model, 'integratedGradients', {'target': target, 'returnConvergenceDelta': True}, attr, delta)
        b = randn(*x.shape[1:], scale=0.3)
        for method, n in [('gausslegendre', 7), ('riemann_left', 10), ('riemann_right', 10), ('riemann_middle', 10), ('riemann_trapezoid', 10)]:
            attr, delta = ig(f, x, target, b.expand_as(x), n, method)
            add(f'{model} integratedGradients {method} {n} steps, one-sample baseline', model, 'integratedGradients',
                {'target': target, 'baselines': T(b), 'nSteps': n, 'method': method, 'internalBatchSize': 2 * x.shape[0] + 1, 'returnConvergenceDelta': True}, attr, delta)
        attr, _ = ig(f, x, target, torch.full_like(x, 0.25), 12, 'riemann_middle', multiply=False)
        add(f'{model} integratedGradients multiplyByInputs false', model, 'integratedGradients',
            {'target': target, 'baselines': 0.25, 'nSteps': 12, 'method': 'riemann_middle', 'multiplyByInputs': False}, attr)
        noise = randn(4, *x.shape, scale=0.5)
        sal = torch.stack([grad_at(f, x + noise[s], target).abs() for s in range(4)])
        add(f'{model} smoothGrad (saliency)', model, 'smoothGrad', {'target': target, 'nSamples': 4, 'noise': T(noise)}, sal.mean(0))
        add(f'{model} smoothGrad vargrad, batches of 3', model, 'smoothGrad', {'target': target, 'nSamples': 4, 'nSamplesBatchSize': 3, 'ntType': 'vargrad', 'noise': T(noise)}, (sal ** 2).mean(0) - sal.mean(0) ** 2)
        igs = torch.stack([ig(f, x + noise[s], target, torch.zeros_like(x), 8)[0] for s in range(4)])
        add(f'{model} smoothGrad_sq over integratedGradients', model, 'smoothGrad',
            {'target': target, 'nSamples': 4, 'ntType': 'smoothgrad_sq', 'noise': T(noise), 'method': 'integratedGradients', 'methodOptions': {'nSteps': 8}}, (igs ** 2).mean(0))
        alphas = r32(torch.rand(x.shape[0], dtype=DT))
        bb = randn(*x.shape, scale=0.5)
        scaled = bb + alphas.reshape(-1, *[1] * (x.dim() - 1)) * (x - bb)
        add(f'{model} inputBaselineXGradient', model, 'inputBaselineXGradient',
            {'target': target, 'baselines': T(bb), 'alphas': alphas.tolist()}, (x - bb) * grad_at(f, scaled, target))

    for model, target in [('mlp', 2), ('mlp2', [0, 2, 1]), ('cnn', 1)]:
        f, x = forward_of(model), INPUTS[model]
        m = MODELS[model]['module']
        if model != 'mlp2':  # mlp2 has no nn.ReLU: Nabla refuses rather than return the plain gradient
            add(f'{model} guidedBackprop', model, 'guidedBackprop', {'target': target}, modified_relu_grad(m, f, x, target, False))
            add(f'{model} deconvolution', model, 'deconvolution', {'target': target}, modified_relu_grad(m, f, x, target, True))
        attr, delta = deeplift(m, x, target, torch.zeros_like(x))
        add(f'{model} deepLift', model, 'deepLift', {'target': target, 'returnConvergenceDelta': True}, attr, delta)
        b = randn(*x.shape, scale=0.5)
        attr, delta = deeplift(m, x, target, b)
        add(f'{model} deepLift with baselines', model, 'deepLift', {'target': target, 'baselines': T(b), 'returnConvergenceDelta': True}, attr, delta)

    cnn, xc = MODELS['cnn']['module'], INPUTS['cnn']
    for layer in ['features.5', 'features.4', 'features.2']:
        add(f'cnn gradCam {layer}', 'cnn', 'gradCam', {'target': 0, 'layer': layer}, grad_cam(cnn, xc, layer, 0))
    add('cnn gradCam relu, nearest', 'cnn', 'gradCam', {'target': [2, 1], 'layer': 'features.5', 'reluAttributions': True, 'upsample': 'nearest'},
        grad_cam(cnn, xc, 'features.5', [2, 1], relu=True, upsample='nearest'))
    add('cnn gradCam layer-sized', 'cnn', 'gradCam', {'target': 1, 'layer': 'features.4', 'upsample': 'none'}, grad_cam(cnn, xc, 'features.4', 1, upsample='none'))
    add('cnn layerGradientXActivation features.4', 'cnn', 'layerGradientXActivation', {'target': [1, 0], 'layer': 'features.4'}, layer_grad_x_act(cnn, xc, 'features.4', [1, 0]))
    add('cnn layerGradientXActivation features.2, gradient only', 'cnn', 'layerGradientXActivation', {'target': 2, 'layer': 'features.2', 'multiplyByInputs': False},
        layer_grad_x_act(cnn, xc, 'features.2', 2, multiply=False))
    add('cnn hiResCam features.5', 'cnn', 'hiResCam', {'target': 0, 'layer': 'features.5'}, hires_cam(cnn, xc, 'features.5', 0))
    add('cnn hiResCam relu, nearest', 'cnn', 'hiResCam', {'target': [2, 1], 'layer': 'features.4', 'reluAttributions': True, 'upsample': 'nearest'},
        hires_cam(cnn, xc, 'features.4', [2, 1], relu=True, upsample='nearest'))
    for target in [0, [1, 2]]:
        gb = modified_relu_grad(cnn, cnn, xc, target, False)
        cam = grad_cam(cnn, xc, 'features.5', target, relu=True, upsample='none')
        add(f'cnn guidedGradCam target {target}', 'cnn', 'guidedGradCam', {'target': target, 'layer': 'features.5'}, gb * F.interpolate(cam, size=xc.shape[2:], mode='nearest'))

    lstm, ids = MODELS['lstm']['module'], INPUTS['lstm_ids']
    attr, delta = layer_ig(lstm, ids, 'emb', [1, 2], torch.zeros_like(ids))
    add('lstm layerIntegratedGradients on the embedding', 'lstm_ids', 'layerIntegratedGradients', {'target': [1, 2], 'layer': 'emb', 'returnConvergenceDelta': True}, attr, delta)
    base_ids = torch.full_like(ids, 4)
    attr, delta = layer_ig(lstm, ids, 'emb', 0, base_ids, 16, 'riemann_trapezoid')
    add('lstm layerIntegratedGradients, token-4 baseline, trapezoid', 'lstm_ids', 'layerIntegratedGradients',
        {'target': 0, 'layer': 'emb', 'baselines': 4, 'nSteps': 16, 'method': 'riemann_trapezoid', 'internalBatchSize': 5, 'returnConvergenceDelta': True}, attr, delta)

    for model, target, window, strides in [('cnn', 1, [1, 3, 3], [1, 2, 2]), ('cnn', [0, 2], [1, 4, 4], [1, 4, 4]), ('cnn', 2, [1, 5, 3], [1, 2, 3]), ('lstm_emb', 0, [2, 5], [1, 5]), ('mlp', 1, [2], [1])]:
        f, x = forward_of(model), INPUTS[model]
        b = 0.5 if model != 'mlp' else 0.0
        add(f'{model} occlusion window {window} strides {strides}', model, 'occlusion',
            {'target': target, 'slidingWindowShapes': window, 'strides': strides, 'baselines': b, 'perturbationsPerEval': 3}, occlusion(f, x, target, window, strides, b))

    f, x = forward_of('mlp'), INPUTS['mlp']
    add('mlp featureAblation (each feature)', 'mlp', 'featureAblation', {'target': 0}, feature_ablation(f, x, 0, torch.arange(6), 0.0))
    mask = torch.tensor([0, 0, 1, 2, 2, 2])
    add('mlp featureAblation grouped, baseline -1', 'mlp', 'featureAblation', {'target': [1, 0, 2], 'featureMask': T(mask), 'baselines': -1.0, 'perturbationsPerEval': 2},
        feature_ablation(f, x, [1, 0, 2], mask, -1.0))
    add('mlp shapleyValues (exact, 6 features)', 'mlp', 'shapleyValues', {'target': 1}, shapley_exact(f, x, 1, torch.arange(6), torch.zeros_like(x)))
    fe, xe = forward_of('lstm_emb'), INPUTS['lstm_emb']
    steps = torch.arange(4).reshape(4, 1).expand(4, 5).contiguous()
    add('lstm_emb featureAblation per time step', 'lstm_emb', 'featureAblation', {'target': 2, 'featureMask': T(steps)}, feature_ablation(fe, xe, 2, steps, 0.0))
    add('lstm_emb shapleyValues per time step', 'lstm_emb', 'shapleyValues', {'target': [0, 1], 'featureMask': T(steps), 'perturbationsPerEval': 5},
        shapley_exact(fe, xe, [0, 1], steps, torch.zeros_like(xe)))
    cm = (torch.arange(8).reshape(8, 1) // 4 * 2 + torch.arange(8).reshape(1, 8) // 4).reshape(1, 8, 8)
    add('cnn shapleyValues over quadrants', 'cnn', 'shapleyValues', {'target': 0, 'featureMask': T(cm), 'baselines': 0.1}, shapley_exact(cnn, xc, 0, cm, torch.full_like(xc, 0.1)))


# ---- building blocks: quadrature and interpolation ----

def main():
    gradient_cases()
    QUAD = []
    for n in [1, 2, 3, 7, 50, 128]:
        x, w = np.polynomial.legendre.leggauss(n)
        QUAD.append({'n': n, 'nodes': [float(f'{v:.17g}') for v in x], 'weights': [float(f'{v:.17g}') for v in w]})

    INTERP = []
    for shape, size, mode in [([2, 3, 4, 5], [8, 10], 'bilinear'), ([2, 3, 4, 5], [8, 10], 'nearest'), ([1, 2, 7, 7], [28, 28], 'bilinear'),
                              ([1, 2, 7, 7], [28, 28], 'nearest'), ([1, 1, 6, 9], [4, 5], 'bilinear'), ([1, 1, 6, 9], [4, 5], 'nearest'),
                              ([2, 3, 5], [12], 'linear'), ([2, 3, 5], [12], 'nearest'), ([1, 2, 3, 3], [3, 3], 'bilinear')]:
        x = randn(*shape)
        kw = {} if mode == 'nearest' else {'align_corners': False}
        INTERP.append({'input': enc(x), 'size': size, 'mode': mode, 'out': enc(F.interpolate(x, size=size, mode=mode, **kw))})

    out = {
        'torch': torch.__version__,
        'models': {k: v['state'] for k, v in MODELS.items()},
        'inputs': {k: enc(v) for k, v in INPUTS.items()},
        'cases': CASES, 'quadrature': QUAD, 'interpolate': INTERP,
    }
    path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'explain.json')
    with open(path, 'w') as fh:
        json.dump(out, fh, separators=(',', ':'))
    print(f'wrote {len(CASES)} cases, {len(QUAD)} quadratures, {len(INTERP)} interpolations to {os.path.normpath(path)}')


if __name__ == '__main__':
    main()
