# Cross-checks fixtures/explain.json (written by gen_explain_fixtures.py with plain torch.autograd)
# against Captum itself, so "the same math Captum implements" is measured, not assumed.
# Captum is not packaged in Debian: point CAPTUM_PATH at a Captum source checkout (its `captum/`
# package works with Debian's torch 1.13; tqdm and matplotlib, which only its progress bars and
# plots use, are stubbed when missing).
#
#   CAPTUM_PATH=/path/to/captum /usr/bin/python3 scripts/check_explain_captum.py
#
# Random draws (SmoothGrad's noise, InputBaselineXGradient's α) are replaced by the fixture's own.

import json
import os
import sys
from unittest import mock

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import explain_reference as G  # noqa: E402  (the same models and inputs, same seeds)

import captum_path  # noqa: E402,F401  (CAPTUM_PATH on sys.path, stubs for Captum's display dependencies)
import captum.attr as CA  # noqa: E402
from captum.attr._core import gradient_shap as GS  # noqa: E402
from captum.attr._core.noise_tunnel import NoiseTunnel  # noqa: E402

FIX = json.load(open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'explain.json')))


def dec(t):
    v = torch.tensor(t['data'], dtype=torch.int64 if t['dtype'] == 'int32' else torch.float64)
    return v.reshape(t['shape'])


def opt(v):
    return dec(v['tensor']) if isinstance(v, dict) and 'tensor' in v else v


for k, t in FIX['inputs'].items():
    assert torch.equal(dec(t).to(G.INPUTS[k].dtype), G.INPUTS[k]), f'input {k} differs from the fixture: regenerate it'


class Times1(torch.nn.Module):
    def forward(self, x):
        return x * 1.0


def separated(cnn):
    """The CNN with x·1 between each ReLU and the MaxPool2d after it. Captum's DeepLift hooks go
    wrong when one module's output tensor is the next one's input (its result then breaks
    summation-to-delta: Σ attributions misses f(x) − f(baseline) by 0.35 on this CNN); with the
    tensors apart it computes the rescale rule as defined — what nb.explain.deepLift computes."""
    f = cnn.features
    feats = torch.nn.Sequential(f[0], f[1], f[2], Times1(), f[3], f[4], f[5], Times1(), f[6])

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features, self.classifier = feats, cnn.classifier

        def forward(self, x):
            return self.classifier(self.features(x))
    return Net().eval()


def captum_out(c):
    model, method, o = c['model'], c['method'], {k: opt(v) for k, v in c['opts'].items()}
    f, x = G.forward_of(model), G.INPUTS[model]
    m = G.MODELS[model.split('_')[0]]['module']
    tgt = o.get('target')
    b = o.get('baselines')
    if isinstance(b, torch.Tensor) and b.dim() < x.dim():
        o['baselines'] = b.unsqueeze(0)  # Captum spells one sample's baseline [1, ...]
    if method == 'saliency':
        return CA.Saliency(f).attribute(x, target=tgt, abs=o.get('abs', True))
    if method == 'inputXGradient':
        return CA.InputXGradient(f).attribute(x, target=tgt)
    if method == 'integratedGradients':
        if o.get('method') == 'riemann_trapezoid':
            return None  # deliberately different weights (quadrature.ts)
        a = CA.IntegratedGradients(f, multiply_by_inputs=o.get('multiplyByInputs', True)).attribute(
            x, baselines=o.get('baselines'), target=tgt, n_steps=o.get('nSteps', 50), method=o.get('method', 'gausslegendre'),
            internal_batch_size=o.get('internalBatchSize'), return_convergence_delta=o.get('returnConvergenceDelta', False))
        return a
    if method == 'smoothGrad':
        noise = o['noise']  # [S, N, ...]
        served = [0]

        def add_noise(inp, stdev, k):
            s0 = served[0]
            served[0] += k
            chunk = noise[s0:s0 + k].transpose(0, 1).reshape(k * inp.shape[0], *inp.shape[1:])
            return inp.repeat_interleave(k, dim=0) + chunk
        base = CA.IntegratedGradients(f) if o.get('method') == 'integratedGradients' else CA.Saliency(f)
        kw = {'n_steps': o['methodOptions']['nSteps']} if o.get('method') == 'integratedGradients' else {}
        with mock.patch.object(NoiseTunnel, '_add_noise_to_input', staticmethod(add_noise)):
            return NoiseTunnel(base).attribute(x, nt_type=o.get('ntType', 'smoothgrad'), nt_samples=o['nSamples'],
                                               nt_samples_batch_size=o.get('nSamplesBatchSize'), target=tgt, **kw)
    if method == 'inputBaselineXGradient':
        with mock.patch.object(GS.np.random, 'uniform', lambda lo, hi, n: __import__('numpy').array(o['alphas'])):
            return GS.InputBaselineXGradient(f).attribute(x, baselines=o['baselines'], target=tgt)
    if method == 'guidedBackprop':
        return CA.GuidedBackprop(m).attribute(x, target=tgt)
    if method == 'deconvolution':
        return CA.Deconvolution(m).attribute(x, target=tgt)
    if method == 'deepLift':
        if model == 'cnn':
            m = separated(m)
        return CA.DeepLift(m).attribute(x, target=tgt, baselines=o.get('baselines'), return_convergence_delta=True)
    if method == 'gradCam':
        layer = dict(m.named_modules())[o['layer']]
        a = CA.LayerGradCam(m, layer).attribute(x, target=tgt, relu_attributions=o.get('reluAttributions', False))
        up = o.get('upsample', 'bilinear')
        return a if up == 'none' else CA.LayerAttribution.interpolate(a, tuple(x.shape[2:]), interpolate_mode=up)
    if method == 'layerGradientXActivation':
        layer = dict(m.named_modules())[o['layer']]
        return CA.LayerGradientXActivation(m, layer, multiply_by_inputs=o.get('multiplyByInputs', True)).attribute(x, target=tgt)
    if method == 'hiResCam':
        # Captum has no HiResCAM: it is LayerGradientXActivation summed over channels, then Grad-CAM's relu and upsampling
        layer = dict(m.named_modules())[o['layer']]
        a = CA.LayerGradientXActivation(m, layer).attribute(x, target=tgt).sum(1, keepdim=True)
        a = F.relu(a) if o.get('reluAttributions', False) else a
        up = o.get('upsample', 'bilinear')
        return a if up == 'none' else CA.LayerAttribution.interpolate(a, tuple(x.shape[2:]), interpolate_mode=up)
    if method == 'guidedGradCam':
        return CA.GuidedGradCam(m, dict(m.named_modules())[o['layer']]).attribute(x, target=tgt)
    if method == 'layerIntegratedGradients':
        b = o.get('baselines', 0)
        return CA.LayerIntegratedGradients(m, dict(m.named_modules())[o['layer']]).attribute(
            x, baselines=torch.full_like(x, b), target=tgt, n_steps=o.get('nSteps', 50), method=o.get('method', 'gausslegendre'),
            internal_batch_size=o.get('internalBatchSize'), return_convergence_delta=True) if o.get('method') != 'riemann_trapezoid' else None
    if method == 'occlusion':
        st = o.get('strides', 1)
        return CA.Occlusion(f).attribute(x, sliding_window_shapes=tuple(o['slidingWindowShapes']), strides=tuple(st) if isinstance(st, list) else st,
                                         baselines=o.get('baselines', 0), target=tgt, perturbations_per_eval=o.get('perturbationsPerEval', 1))
    if method in ('featureAblation', 'shapleyValues'):
        mask = o.get('featureMask')
        if mask is None:
            mask = torch.arange(x[0].numel()).reshape(x.shape[1:])
        cls = CA.FeatureAblation if method == 'featureAblation' else CA.ShapleyValues
        return cls(f).attribute(x, target=tgt, baselines=o.get('baselines', 0), feature_mask=mask.unsqueeze(0),
                                perturbations_per_eval=o.get('perturbationsPerEval', 1))
    raise KeyError(method)


# Captum keeps some sums in float32 (IG's step sizes, ShapleyValues' totals), the references float64.
TOL = 1e-5
worst, checked, skipped = 0.0, 0, []
for c in FIX['cases']:
    got = captum_out(c)
    if got is None:
        skipped.append(c['name'])
        continue
    delta = None
    if isinstance(got, tuple):
        got, delta = got
    want = dec(c['out'])
    err = (got.double() - want).abs().max().item() / max(1e-12, want.abs().max().item())
    if delta is not None and 'delta' in c:
        err = max(err, (delta.double().reshape(-1) - dec(c['delta'])).abs().max().item() / max(1e-12, want.abs().max().item()))
    worst = max(worst, err)
    checked += 1
    print(f'{"ok  " if err < TOL else "DIFF"} {err:9.2e}  {c["name"]}')
print(f'\n{checked} cases checked against Captum, worst relative difference {worst:.2e}; skipped (by design): {skipped}')
sys.exit(0 if worst < TOL else 1)
