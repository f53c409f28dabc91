# The references for fixtures/explain.json: the small models with fixed weights and inputs, and
# every attribution method written with torch.autograd (the same math as Captum; checked against
# Captum by check_explain_captum.py). Imported by gen_explain_fixtures.py; runs nothing itself.

import itertools
import math
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)
DT = torch.float64


def r32(t):
    return t.to(torch.float32).to(DT)


def randn(*shape, scale=1.0):
    return r32(torch.randn(*shape, dtype=DT) * scale)


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.reshape(-1).tolist()]}
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': [float(f'{v:.17g}') for v in t.to(DT).reshape(-1).tolist()]}


# ---- the models (Nabla builds the same ones in test/explain-fixtures.test.ts) ----

def mlp():
    return nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))


def mlp2():
    return nn.Sequential(nn.Linear(6, 8), nn.LeakyReLU(0.1), nn.Linear(8, 8), nn.ELU(), nn.Linear(8, 8), nn.Softplus(), nn.Linear(8, 3))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(24, 3))

    def forward(self, x):
        return self.classifier(self.features(x))


class TextLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(12, 5)
        self.lstm = nn.LSTM(5, 6, batch_first=True)
        self.fc = nn.Linear(6, 3)

    def from_embeddings(self, e):
        out, _ = self.lstm(e)
        return self.fc(out[:, -1])

    def forward(self, ids):
        return self.from_embeddings(self.emb(ids))


def randomize(m):
    with torch.no_grad():
        for mod in m.modules():
            for name, p in mod.named_parameters(recurse=False):
                p.copy_(r32((torch.rand(p.shape, dtype=DT) - 0.5) * (2.0 if isinstance(mod, nn.Embedding) else 1.2)))
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.copy_(r32(0.2 * torch.randn(mod.running_mean.shape, dtype=DT)))
                mod.running_var.copy_(r32(0.5 + torch.rand(mod.running_var.shape, dtype=DT)))
    return m


MODELS = {}
for name, ctor in [('mlp', mlp), ('mlp2', mlp2), ('cnn', CNN), ('lstm', TextLSTM)]:
    torch.manual_seed(zlib.crc32(name.encode()))
    m = randomize(ctor())
    MODELS[name] = {'module': m.double().eval(), 'state': {k: enc(v) for k, v in m.state_dict().items() if not k.endswith('num_batches_tracked')}}

INPUTS = {
    'mlp': randn(3, 6), 'mlp2': randn(3, 6), 'cnn': randn(2, 1, 8, 8),
    'lstm_emb': randn(2, 4, 5), 'lstm_ids': torch.tensor([[1, 5, 7, 2], [3, 3, 11, 0]]),
}


def forward_of(model):
    m = MODELS[model.split('_')[0]]['module']
    return m.from_embeddings if model == 'lstm_emb' else m


# ---- targets and gradients ----

def select(out, target):
    if target is None:
        return out.reshape(-1)
    if isinstance(target, int):
        return out[:, target]
    return out.gather(1, torch.tensor(target).reshape(-1, 1)).reshape(-1)


def tile_target(target, k):
    return target if target is None or isinstance(target, int) else list(target) * k


def grad_at(f, x, target):
    x = x.detach().clone().requires_grad_(True)
    out = select(f(x), target).sum()
    g, = torch.autograd.grad(out, x, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


def per_example(t):
    return t.reshape(t.shape[0], -1).sum(1)


def quad(method, n):
    if method == 'gausslegendre':
        x, w = np.polynomial.legendre.leggauss(n)
        return list(0.5 * (x + 1)), list(0.5 * w)
    k = np.arange(n)
    if method == 'riemann_left':
        return list(k / n), [1 / n] * n
    if method == 'riemann_right':
        return list((k + 1) / n), [1 / n] * n
    if method == 'riemann_middle':
        return list((k + 0.5) / n), [1 / n] * n
    # The trapezoid rule proper (Captum's weights add up to (n-1)/n; see src/explain/quadrature.ts).
    w = [1 / (n - 1)] * n
    w[0] /= 2
    w[-1] /= 2
    return list(k / (n - 1)), w


def ig(f, x, target, baseline, n_steps=50, method='gausslegendre', multiply=True):
    alphas, weights = quad(method, n_steps)
    total = sum(w * grad_at(f, baseline + a * (x - baseline), target) for a, w in zip(alphas, weights))
    attr = total * (x - baseline) if multiply else total
    delta = per_example(attr) - (select(f(x), target) - select(f(baseline), target))
    return attr, delta


# ---- modified backward passes: custom autograd functions in place of the activation modules ----

class GuidedReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, deconv):
        ctx.save_for_backward(x)
        ctx.deconv = deconv
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return (g.clamp(min=0) if ctx.deconv else (g * (x > 0)).clamp(min=0)), None


class Swap(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def swapped(module, make):
    """A copy of module's forward where each child module m with make(m) not None runs that instead."""
    saved = {}
    for name, m in module.named_modules():
        for cname, c in m.named_children():
            r = make(c)
            if r is not None:
                saved[(m, cname)] = c
                setattr(m, cname, r)
    return saved


def restore(saved):
    for (m, cname), c in saved.items():
        setattr(m, cname, c)


def modified_relu_grad(model, f, x, target, deconv):
    saved = swapped(model, lambda c: Swap(lambda t: GuidedReLU.apply(t, deconv)) if type(c) is nn.ReLU else None)
    try:
        return grad_at(f, x, target)
    finally:
        restore(saved)


class Rescale(torch.autograd.Function):
    """DeepLift's rescale rule over a [input; baseline] batch (Captum's `nonlinear`)."""
    @staticmethod
    def forward(ctx, x, fn):
        with torch.enable_grad():
            xi = x.detach().requires_grad_(True)
            y = fn(xi)
        ctx.save_for_backward(x, y.detach())
        ctx.graph = (xi, y)
        return y.detach()

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xi, yg = ctx.graph
        plain, = torch.autograd.grad(yg, xi, g)
        a, b = x.chunk(2)
        ya, yb = y.chunk(2)
        d_in = torch.cat([a - b, a - b])
        d_out = torch.cat([ya - yb, ya - yb])
        return torch.where(d_in.abs() < 1e-10, plain, g * d_out / d_in), None


class MaxPoolRule(torch.autograd.Function):
    """Captum's DeepLift rule for max pooling (unpooled through both halves' argmax positions)."""
    @staticmethod
    def forward(ctx, x, pool):
        ctx.save_for_backward(x)
        ctx.pool = pool
        return pool(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        pool = ctx.pool
        y, idx = F.max_pool2d(x, pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode, True)
        a, b = x.chunk(2)
        ya, yb = y.chunk(2)
        d_in = torch.cat([a - b, a - b])
        xmax = torch.max(ya, yb)
        d_out = torch.cat([xmax - yb, ya - xmax])
        un = F.max_unpool2d(g * d_out, idx, pool.kernel_size, pool.stride, pool.padding, list(x.shape))
        ua, ub = un.chunk(2)
        u = torch.cat([ua + ub, ua + ub])
        with torch.enable_grad():
            xi = x.detach().requires_grad_(True)
            plain, = torch.autograd.grad(pool(xi), xi, g)
        return torch.where(d_in.abs() < 1e-10, plain, u / d_in), None


NONLINEAR = (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus)


def deeplift(model, x, target, baseline):
    def make(c):
        if type(c) in NONLINEAR:
            return Swap(lambda t, c=c: Rescale.apply(t, c))
        if type(c) is nn.MaxPool2d:
            return Swap(lambda t, c=c: MaxPoolRule.apply(t, c))
        return None
    saved = swapped(model, make)
    try:
        both = lambda xl: model(torch.cat([xl, baseline]))
        g = grad_at(both, x, tile_target(target, 2))
    finally:
        restore(saved)
    attr = (x - baseline) * g
    return attr, per_example(attr) - (select(model(x), target) - select(model(baseline), target))


# ---- layer methods ----

def layer_of(model, name):
    return dict(model.named_modules())[name]


def layer_grad(model, f, x, layer, target, replace=None):
    store = {}

    def hook(mod, inp, out):
        leaf = (out if replace is None else replace).detach().requires_grad_(True)
        store['act'], store['leaf'] = out.detach(), leaf
        return leaf
    h = layer_of(model, layer).register_forward_hook(hook)
    try:
        out = select(f(x), target).sum()
    finally:
        h.remove()
    g, = torch.autograd.grad(out, store['leaf'])
    return store['act'], g


def grad_cam(model, x, layer, target, relu=False, upsample='bilinear'):
    act, g = layer_grad(model, model, x, layer, target)
    cam = (g.mean(dim=(2, 3), keepdim=True) * act).sum(1, keepdim=True)
    if relu:
        cam = cam.clamp(min=0)
    if upsample == 'none':
        return cam
    return F.interpolate(cam, size=x.shape[2:], mode=upsample, **({} if upsample == 'nearest' else {'align_corners': False}))


def layer_grad_x_act(model, x, layer, target, multiply=True):
    act, g = layer_grad(model, model, x, layer, target)
    return g * act if multiply else g


def hires_cam(model, x, layer, target, relu=False, upsample='bilinear'):
    # HiResCAM (Draelos & Carin 2020): each position's own gradient weights its channels
    act, g = layer_grad(model, model, x, layer, target)
    cam = (g * act).sum(1, keepdim=True)
    if relu:
        cam = cam.clamp(min=0)
    if upsample == 'none':
        return cam
    return F.interpolate(cam, size=x.shape[2:], mode=upsample, **({} if upsample == 'nearest' else {'align_corners': False}))


def layer_ig(model, ids, layer, target, base_ids, n_steps=50, method='gausslegendre'):
    def act_of(inp):
        store = {}
        h = layer_of(model, layer).register_forward_hook(lambda m, i, o: store.__setitem__('a', o.detach()))
        with torch.no_grad():
            model(inp)
        h.remove()
        return store['a']
    a_in, a_base = act_of(ids), act_of(base_ids)
    alphas, weights = quad(method, n_steps)
    total = 0
    for a, w in zip(alphas, weights):
        _, g = layer_grad(model, model, ids, layer, target, replace=a_base + a * (a_in - a_base))
        total = total + w * g
    attr = total * (a_in - a_base)
    delta = per_example(attr) - (select(model(ids), target) - select(model(base_ids), target))
    return attr, delta


# ---- perturbations, by brute force ----

def occlusion(f, x, target, window, strides, baseline):
    dims = list(x.shape[1:])
    shifts = [math.ceil((d - w) / s) + 1 for d, w, s in zip(dims, window, strides)]
    base = select(f(x), target)
    total, weight = torch.zeros_like(x), torch.zeros_like(x)
    for pos in itertools.product(*[range(s) for s in shifts]):
        mask = torch.zeros(dims, dtype=DT)
        mask[tuple(slice(p * s, p * s + w) for p, s, w in zip(pos, strides, window))] = 1
        ablated = x * (1 - mask) + baseline * mask
        diff = base - select(f(ablated), target)
        total += diff.reshape(-1, *[1] * len(dims)) * mask
        weight += mask
    return total / weight


def feature_ablation(f, x, target, mask, baseline):
    base = select(f(x), target)
    attr = torch.zeros_like(x)
    for feat in range(int(mask.max()) + 1):
        m = (mask == feat).to(DT)
        diff = base - select(f(x * (1 - m) + baseline * m), target)
        attr += diff.reshape(-1, *[1] * (x.dim() - 1)) * m
    return attr


def shapley_exact(f, x, target, mask, baseline):
    """Average marginal contribution over every permutation of the features."""
    feats = int(mask.max()) + 1
    attr = torch.zeros_like(x)
    perms = list(itertools.permutations(range(feats)))
    for perm in perms:
        cur = baseline.clone()
        prev = select(f(cur), target)
        for feat in perm:
            m = (mask == feat).to(DT)
            cur = cur * (1 - m) + x * m
            out = select(f(cur), target)
            attr += (out - prev).reshape(-1, *[1] * (x.dim() - 1)) * m
            prev = out
    return attr / len(perms)
