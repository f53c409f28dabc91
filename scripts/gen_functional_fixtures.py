# Writes fixtures/functional.json: the functional forms of issue 13 (F.layerNorm, batchNorm, groupNorm,
# instanceNorm, normalize, interpolate, unfold, fold, pixelShuffle, pixelUnshuffle, cosineSimilarity,
# pairwiseDistance, embeddingBag) — forward values and every input's gradient computed by PyTorch —
# plus the running statistics batch/instance norm leave behind and InstanceNorm1d/2d as modules.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_functional_fixtures.py
# Same case format as fixtures/ops.json (scripts/op_fixtures/common.py); kwargs are camelCase as in
# Nabla, and test/functional-forms.test.ts turns them into the call.

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

from op_fixtures import common  # noqa: E402
from op_fixtures.common import case, distinct, f32, pos, rn  # noqa: E402


def i32(*vals):
    return torch.tensor(vals, dtype=torch.int32)


def norms():
    x = f32(rn(3, 4, 5))
    case('last-dim-affine', 'layerNorm', [x, f32(rn(5)), f32(rn(5))], lambda x, w, b: F.layer_norm(x, [5], w, b), {'normalizedShape': [5]})
    case('two-dims-plain', 'layerNorm', [f32(rn(2, 3, 4))], lambda x: F.layer_norm(x, [3, 4], eps=1e-3), {'normalizedShape': [3, 4], 'eps': 1e-3})

    w4, b4 = f32(rn(4)), f32(rn(4))
    x4 = f32(rn(3, 4, 2, 3))
    case('train-4d-affine', 'batchNorm', [x4, w4, b4], lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), {'training': True})
    case('train-2d-plain', 'batchNorm', [f32(rn(5, 4))], lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3), {'training': True, 'eps': 1e-3})
    rm, rv = f32(rn(4)), f32(pos(4))
    case('eval-3d-affine', 'batchNorm', [f32(rn(2, 4, 3)), w4, b4, rm, rv],
         lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b, training=False), {'training': False}, no_grad_inputs=(3, 4))

    def running(x, m, v, momentum):
        m, v = m.clone(), v.clone()
        F.batch_norm(x, m, v, training=True, momentum=momentum)
        return torch.cat([m, v])
    case('running-stats', 'batchNormRunning', [x4, rm, rv], lambda x, m, v: running(x, m, v, 0.3), {'momentum': 0.3}, grad=False)

    case('4d-affine', 'groupNorm', [f32(rn(2, 6, 2, 3)), f32(rn(6)), f32(rn(6))], lambda x, w, b: F.group_norm(x, 3, w, b), {'numGroups': 3})
    case('3d-plain', 'groupNorm', [f32(rn(2, 4, 5))], lambda x: F.group_norm(x, 2, eps=1e-4), {'numGroups': 2, 'eps': 1e-4})

    case('input-stats-affine', 'instanceNorm', [f32(rn(2, 4, 2, 3)), w4, b4], lambda x, w, b: F.instance_norm(x, weight=w, bias=b), {})
    case('input-stats-3d', 'instanceNorm', [f32(rn(3, 2, 5))], lambda x: F.instance_norm(x, eps=1e-3), {'eps': 1e-3})
    case('running-stats-used', 'instanceNorm', [f32(rn(2, 4, 5)), rm, rv],
         lambda x, m, v: F.instance_norm(x, m, v, use_input_stats=False), {'useInputStats': False}, no_grad_inputs=(1, 2))

    def inst_running(x, m, v):
        m, v = m.clone(), v.clone()
        F.instance_norm(x, m, v, momentum=0.2)
        return torch.cat([m, v])
    case('running-stats', 'instanceNormRunning', [x4, rm, rv], inst_running, {'momentum': 0.2}, grad=False)

    case('p2-dim1', 'normalize', [f32(rn(3, 4))], lambda x: F.normalize(x), {})
    case('p1-dim-last', 'normalize', [f32(rn(2, 3, 4))], lambda x: F.normalize(x, p=1, dim=-1), {'p': 1, 'dim': -1})
    case('p3-eps-clamps', 'normalize', [f32(rn(4, 3, scale=0.05, lo=0.01))], lambda x: F.normalize(x, p=3, dim=1, eps=0.05), {'p': 3, 'dim': 1, 'eps': 0.05})


def instance_modules():
    """InstanceNorm1d/2d trained on two batches, then in eval mode: the output and the state PyTorch has."""
    for name, cls, shape, opts in (('InstanceNorm1d', nn.InstanceNorm1d, (3, 4, 6), {'affine': True, 'trackRunningStats': True}),
                                   ('InstanceNorm2d', nn.InstanceNorm2d, (2, 4, 3, 3), {'trackRunningStats': True, 'momentum': 0.25}),
                                   ('InstanceNorm2d', nn.InstanceNorm2d, (2, 4, 3, 3), {'affine': True})):
        a, b = f32(rn(*shape)), f32(rn(*shape))
        tag = '-'.join(k for k, v in opts.items() if v is True) or 'plain'

        def run(a, b, cls=cls, opts=opts):
            m = cls(4, affine=opts.get('affine', False), track_running_stats=opts.get('trackRunningStats', False), momentum=opts.get('momentum', 0.1))
            m.to(a.dtype)
            m.train()
            m(a)
            m(b)
            m.eval()
            return m(a)
        keys = list(cls(4, affine=opts.get('affine', False), track_running_stats=opts.get('trackRunningStats', False)).state_dict().keys())
        case(f'{name}-{tag}', 'instanceNormModule', [a, b], run, {'layer': name, 'options': opts, 'stateKeys': keys}, grad=False)


def interpolations():
    x3, x4 = f32(rn(2, 2, 5)), f32(rn(1, 2, 3, 4))
    cases = [
        ('nearest-3d-size', x3, {'size': 8}),
        ('nearest-3d-scale-1.7', x3, {'scaleFactor': 1.7}),
        ('nearest-4d-scale-2', x4, {'scaleFactor': 2}),
        ('nearest-4d-down', f32(rn(1, 2, 7, 6)), {'size': [3, 4]}),
        ('linear-size', x3, {'size': 9, 'mode': 'linear'}),
        ('linear-align', x3, {'size': 9, 'mode': 'linear', 'alignCorners': True}),
        ('linear-scale-down', f32(rn(1, 2, 9)), {'scaleFactor': 0.5, 'mode': 'linear'}),
        ('bilinear-scale-2', x4, {'scaleFactor': 2, 'mode': 'bilinear'}),
        ('bilinear-align-size', x4, {'size': [5, 7], 'mode': 'bilinear', 'alignCorners': True}),
        ('bilinear-scale-pair', x4, {'scaleFactor': [1.5, 0.75], 'mode': 'bilinear'}),
        ('bilinear-recompute', x4, {'scaleFactor': 1.7, 'mode': 'bilinear', 'recomputeScaleFactor': True}),
        ('bicubic-scale-2', x4, {'scaleFactor': 2, 'mode': 'bicubic'}),
        ('bicubic-align-size', x4, {'size': [6, 5], 'mode': 'bicubic', 'alignCorners': True}),
        ('bicubic-down', f32(rn(1, 1, 6, 7)), {'size': [4, 3], 'mode': 'bicubic'}),
        # a scaleFactor that keeps a size: the linear modes copy that dim, bicubic still resamples it
        ('linear-scale-keeps-size', x3, {'scaleFactor': 1.1, 'mode': 'linear'}),
        ('bilinear-scale-keeps-height', x4, {'scaleFactor': [1.1, 1.3], 'mode': 'bilinear'}),
        ('bicubic-scale-keeps-sizes', x4, {'scaleFactor': 1.1, 'mode': 'bicubic'}),
        ('nearest-scale-keeps-sizes', x4, {'scaleFactor': 1.1}),
        ('nearest-3d-scale-2.05', f32(rn(1, 2, 10)), {'scaleFactor': 2.05}),
    ]
    # Where a scaleFactor keeps a size (or doubles it, not exactly 2), torch 1.13's bicubic and nearest
    # backward kernels copy (nearest: halve) indices that their forward kernels compute from the scale:
    # that gradient is not the forward's derivative, so these cases keep their forward only (the
    # float64 gradcheck of the test covers Nabla's gradient of the same forward).
    forward_only = {'bicubic-scale-keeps-sizes', 'nearest-scale-keeps-sizes', 'nearest-3d-scale-2.05'}
    for name, x, k in cases:
        args = {'size': k.get('size'), 'scale_factor': k.get('scaleFactor'), 'mode': k.get('mode', 'nearest')}
        if 'alignCorners' in k:
            args['align_corners'] = k['alignCorners']
        if 'recomputeScaleFactor' in k:
            args['recompute_scale_factor'] = k['recomputeScaleFactor']
        case(name, 'interpolate', [x], lambda x, a=args: F.interpolate(x, **a), k, grad=name not in forward_only)


def blocks():
    geoms = [
        ('k2', (1, 2, 4, 5), {'kernelSize': 2}),
        ('k3-pad1-stride2', (2, 2, 5, 5), {'kernelSize': 3, 'padding': 1, 'stride': 2}),
        ('k2x3-dil2-pad-pair', (1, 3, 6, 7), {'kernelSize': [2, 3], 'dilation': [2, 1], 'padding': [1, 0], 'stride': [1, 2]}),
        ('unbatched-k2', (2, 3, 4), {'kernelSize': 2, 'stride': 1}),
    ]
    for name, shape, k in geoms:
        a = {'kernel_size': k['kernelSize'], 'dilation': k.get('dilation', 1), 'padding': k.get('padding', 0), 'stride': k.get('stride', 1)}
        x = f32(rn(*shape))
        case(name, 'unfold', [x], lambda x, a=a: F.unfold(x, **a), k)
        cols = F.unfold(x.double(), **a)
        out = list(shape[-2:])
        case(name, 'fold', [f32(rn(*cols.shape))], lambda c, a=a, out=out: F.fold(c, out, **a), dict(k, outputSize=out))

    case('r2', 'pixelShuffle', [f32(rn(2, 8, 2, 3))], lambda x: F.pixel_shuffle(x, 2), {'factor': 2})
    case('r3-5d', 'pixelShuffle', [f32(rn(2, 1, 9, 2, 2))], lambda x: F.pixel_shuffle(x, 3), {'factor': 3})
    case('r2', 'pixelUnshuffle', [f32(rn(1, 2, 4, 6))], lambda x: F.pixel_unshuffle(x, 2), {'factor': 2})


def distances():
    a, b = f32(rn(3, 5)), f32(rn(3, 5))
    case('dim1', 'cosineSimilarity', [a, b], lambda a, b: F.cosine_similarity(a, b), {})
    case('dim0-broadcast', 'cosineSimilarity', [f32(rn(4, 1, 3)), f32(rn(4, 2, 3))], lambda a, b: F.cosine_similarity(a, b, dim=0), {'dim': 0})
    case('eps-clamps-norms', 'cosineSimilarity', [f32(rn(2, 3, scale=0.05, lo=0.01)), f32(rn(2, 3))],
         lambda a, b: F.cosine_similarity(a, b, dim=1, eps=0.2), {'dim': 1, 'eps': 0.2})
    common.CASES[-1]['not_derivative'] = ("torch clamps the norms in place after computing them, so its backward divides by "
                                          "max(norm, eps): not the derivative where a norm is below eps, and Nabla gives torch's numbers")
    case('p2', 'pairwiseDistance', [a, b], lambda a, b: F.pairwise_distance(a, b), {})
    case('p1-keepdim', 'pairwiseDistance', [a, b], lambda a, b: F.pairwise_distance(a, b, p=1, keepdim=True), {'p': 1, 'keepdim': True})
    case('p3-broadcast', 'pairwiseDistance', [f32(rn(2, 4)), f32(rn(4))], lambda a, b: F.pairwise_distance(a, b, p=3, eps=1e-3), {'p': 3, 'eps': 1e-3})
    case('pinf', 'pairwiseDistance', [f32(distinct(3, 4)), f32(distinct(3, 4))], lambda a, b: F.pairwise_distance(a, b, p=float('inf')), {'p': 'inf'})


def bags():
    w = f32(rn(6, 3))
    flat = i32(1, 2, 4, 5, 4, 3, 2, 0, 1)
    off = i32(0, 3, 3, 7)
    for mode in ('sum', 'mean', 'max'):
        case(f'{mode}-offsets', 'embeddingBag', [flat, w, off],
             lambda i, w, o, m=mode: F.embedding_bag(i.long(), w, o.long(), mode=m), {'mode': mode})
        case(f'{mode}-2d-padding', 'embeddingBag', [i32(1, 2, 0, 0, 5, 3).reshape(3, 2), w],
             lambda i, w, m=mode: F.embedding_bag(i.long(), w, mode=m, padding_idx=0), {'mode': mode, 'paddingIdx': 0})
    case('sum-per-sample-weights', 'embeddingBag', [flat, w, off, f32(rn(9))],
         lambda i, w, o, p: F.embedding_bag(i.long(), w, o.long(), mode='sum', per_sample_weights=p), {'mode': 'sum'})
    case('mean-include-last-offset', 'embeddingBag', [flat, w, i32(0, 2, 6, 9)],
         lambda i, w, o: F.embedding_bag(i.long(), w, o.long(), mode='mean', include_last_offset=True), {'mode': 'mean', 'includeLastOffset': True})


def main():
    norms()
    instance_modules()
    interpolations()
    blocks()
    distances()
    bags()
    cases = common.CASES
    out = os.path.normpath(os.path.join(HERE, '..', 'fixtures', 'functional.json'))
    doc = {'torch': torch.__version__, 'seed': common.SEED, 'ops': sorted({c['op'] for c in cases}), 'cases': cases}
    with open(out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'{len(cases)} cases -> {out}')


if __name__ == '__main__':
    main()
