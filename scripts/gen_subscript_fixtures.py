# Writes fixtures/subscript.json: PyTorch's numbers for advanced indexing (x[idx], x[mask], None,
# ...), assignment (x[spec] = v, index_put_ with accumulate) and the in-place ops (add_, mul_, fill_,
# copy_, …, through views too): each result and the gradients of sum(out * cotangent), in float64.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_subscript_fixtures.py

import json
import os

import torch

torch.manual_seed(1313)
CASES = {'index': [], 'put': [], 'inplace': []}


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {'shape': list(t.shape), 'dtype': 'bool', 'data': [bool(v) for v in t.flatten().tolist()]}
    if t.dtype in (torch.int32, torch.int64):
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.flatten().tolist()]}
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': [float('%.17g' % v) for v in t.double().flatten().tolist()]}


def rn(*shape):
    """float32-representable values held in float64."""
    return torch.randn(*shape, dtype=torch.float64).float().double()


def cot_for(out):
    return (torch.rand(out.shape, dtype=torch.float64) + 0.5).float().double()


# A spec: ('int', i) | ('slice', s, e, step) | ('all',) | ('new',) | ('ell',) | ('idx', tensor) | ('mask', tensor)
def py_index(specs):
    out = []
    for s in specs:
        k = s[0]
        out.append({'int': lambda: s[1], 'slice': lambda: slice(s[1], s[2], s[3]), 'all': lambda: slice(None),
                    'new': lambda: None, 'ell': lambda: Ellipsis, 'idx': lambda: s[1].long(), 'mask': lambda: s[1]}[k]())
    return tuple(out)


def enc_specs(specs):
    out = []
    for s in specs:
        if s[0] == 'int':
            out.append({'int': s[1]})
        elif s[0] == 'slice':
            out.append({'slice': [s[1], s[2], s[3]]})
        elif s[0] in ('idx', 'mask'):
            out.append({s[0]: enc(s[1])})
        else:
            out.append({s[0]: True})
    return out


def index_case(name, x, specs):
    leaf = x.clone().requires_grad_(True)
    out = leaf[py_index(specs)]
    cot = cot_for(out)
    (g,) = torch.autograd.grad((out * cot).sum(), [leaf])
    CASES['index'].append({'name': name, 'x': enc(x), 'specs': enc_specs(specs), 'out': enc(out), 'cotangent': enc(cot), 'grad': enc(g)})


def put_case(name, x, specs, value, how='set', accumulate=False, gradcheck=None):
    """how: 'set' (x[specs] = value) or 'indexPut_' (x.index_put_(tensors, value, accumulate))."""
    leaf = x.clone().requires_grad_(True)
    v = value.clone().requires_grad_(True) if isinstance(value, torch.Tensor) else value
    y = leaf * 1  # a non-leaf that requires grad: PyTorch refuses in-place writes to the leaf itself
    if how == 'set':
        y[py_index(specs)] = v
    else:
        y.index_put_(tuple(s[1].long() if s[0] == 'idx' else s[1] for s in specs), v, accumulate=accumulate)
    cot = cot_for(y)
    wrt = [leaf] + ([v] if isinstance(value, torch.Tensor) else [])
    gs = torch.autograd.grad((y * cot).sum(), wrt)
    CASES['put'].append({
        'name': name, 'how': how, 'accumulate': accumulate, 'x': enc(x), 'specs': enc_specs(specs),
        'value': enc(value) if isinstance(value, torch.Tensor) else value,
        'out': enc(y), 'cotangent': enc(cot), 'gradX': enc(gs[0]), 'gradValue': enc(gs[1]) if len(gs) > 1 else None,
        'gradcheck': gradcheck,
    })


def inplace_case(name, op, x, args, kwargs=None, view=None):
    """y = leaf * 1 (or a view of it), then y.op_(*args): the result, grads of leaf and tensor args, versions."""
    kwargs = kwargs or {}
    leaf = x.clone().requires_grad_(True)
    targs = [a.clone().requires_grad_(True) if isinstance(a, torch.Tensor) and a.dtype == torch.float64 else a for a in args]
    y = leaf * 1
    t = y.view(*view) if view else y
    getattr(t, op)(*targs, **kwargs)
    cot = cot_for(y)
    wrt = [leaf] + [a for a in targs if isinstance(a, torch.Tensor) and a.requires_grad]
    gs = torch.autograd.grad((y * cot).sum(), wrt, allow_unused=True)
    gs = [torch.zeros_like(w) if g is None else g for g, w in zip(gs, wrt)]
    CASES['inplace'].append({
        'name': name, 'op': op, 'x': enc(x), 'view': view,
        'args': [enc(a) if isinstance(a, torch.Tensor) else a for a in args], 'kwargs': kwargs,
        'out': enc(y), 'version': y._version, 'cotangent': enc(cot), 'grads': [enc(g) for g in gs],
    })


def index_cases():
    x = rn(3, 4, 5)
    index_case('int-tensor-dim0', x, [('idx', torch.tensor([2, 0, 2]))])
    index_case('int-tensor-negative', x, [('all',), ('idx', torch.tensor([-1, 1]))])
    index_case('two-tensors-adjacent', x, [('all',), ('idx', torch.tensor([0, 3, 3])), ('idx', torch.tensor([4, 0, 4]))])
    index_case('two-tensors-apart', x, [('idx', torch.tensor([[0, 1], [2, 2]])), ('all',), ('idx', torch.tensor([1, 3]))])
    index_case('int-then-tensor', x, [('int', 1), ('all',), ('idx', torch.tensor([0, 4]))])
    index_case('mask-2d', x, [('int', 0), ('mask', x[0] > 0)])
    index_case('mask-on-dim1', x, [('all',), ('mask', torch.tensor([True, False, True, True]))])
    index_case('mask-full', x, [('mask', x > 0.5)])
    index_case('new-axes', x, [('new',), ('all',), ('idx', torch.tensor([1])), ('new',)])
    index_case('ellipsis-tensor', x, [('ell',), ('idx', torch.tensor([3, 1]))])
    index_case('slice-and-tensor', x, [('slice', 0, 3, 2), ('idx', torch.tensor([[1], [2]])), ('slice', 1, None, 2)])
    index_case('basic-new-ellipsis', x, [('int', -1), ('ell',), ('new',)])


def put_cases():
    x = rn(4, 6)
    put_case('mask-scalar', x, [('mask', x > 0)], 0.0)
    put_case('slice-step-tensor', x, [('all',), ('slice', 0, None, 2)], rn(4, 3))
    put_case('slice-broadcast', x, [('slice', 1, 3, 1)], rn(6))
    put_case('tensor-rows', x, [('idx', torch.tensor([3, 0]))], rn(2, 6))
    # PyTorch's index_put backward gives an overwritten duplicate its position's gradient too, which is
    # not the derivative (the value does not reach the output): no finite-difference check can agree.
    put_case('repeated-last-wins', x, [('idx', torch.tensor([1, 1, 2])), ('idx', torch.tensor([0, 0, 5]))], rn(3),
             gradcheck='an overwritten duplicate gets a gradient in PyTorch (index_put backward), not the derivative 0')
    put_case('mask-tensor-values', x, [('mask', x < -0.3)], rn(int((x < -0.3).sum())))
    put_case('index-put-accumulate', x, [('idx', torch.tensor([0, 2, 0])), ('idx', torch.tensor([1, 1, 1]))], rn(3), how='indexPut_', accumulate=True)
    put_case('index-put', x, [('idx', torch.tensor([3, 2])), ('idx', torch.tensor([5, 0]))], rn(2), how='indexPut_')


def inplace_cases():
    x = rn(2, 3)
    inplace_case('add_-tensor-alpha', 'add_', x, [rn(3)], {'alpha': 2.5})
    inplace_case('add_-number', 'add_', x, [1.5])
    inplace_case('sub_', 'sub_', x, [rn(2, 3)])
    inplace_case('mul_-tensor', 'mul_', x, [rn(2, 1)])
    inplace_case('mul_-number', 'mul_', x, [-3.0])
    inplace_case('div_', 'div_', x, [rn(3).abs() + 0.5])
    inplace_case('clamp_', 'clamp_', x, [-0.5, 0.4])
    inplace_case('masked_fill_', 'masked_fill_', x, [x > 0, 2.0])
    inplace_case('fill_-number', 'fill_', x, [0.25])
    inplace_case('fill_-tensor', 'fill_', x, [rn(())])
    inplace_case('zero_', 'zero_', x, [])
    inplace_case('copy_-broadcast', 'copy_', x, [rn(3)])
    inplace_case('view-mul_', 'mul_', x, [rn(3, 2)], view=[3, 2])
    inplace_case('view-add_', 'add_', x, [rn(6)], view=[6])
    for op in ('relu_', 'exp_', 'sigmoid_', 'tanh_', 'neg_', 'sin_'):
        inplace_case(op, op, x, [])
    inplace_case('sqrt_', 'sqrt_', x.abs() + 0.1, [])
    inplace_case('view-tanh_', 'tanh_', x, [], view=[6])


index_cases()
put_cases()
inplace_cases()
out = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'subscript.json')
with open(out, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': CASES}, f)
print('wrote', out, {k: len(v) for k, v in CASES.items()})
