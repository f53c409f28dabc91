// Issue 13, functional forms: F.layerNorm / batchNorm / groupNorm / instanceNorm / normalize,
// interpolate, unfold / fold, pixelShuffle / pixelUnshuffle, cosineSimilarity / pairwiseDistance and
// embeddingBag against PyTorch (fixtures/functional.json, written by scripts/gen_functional_fixtures.py):
// forward, every input's gradient, float64 gradchecks on every backend; the running statistics batch
// and instance norm move; InstanceNorm1d/2d as modules. Then the modules against their F calls, and
// bad input, whose errors must say what was wrong.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { decodeData, decodeKwargs, toTensor, type FixtureFile, type FixtureCase } from './helpers/fixtures.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { gradcheck, gradgradcheck, pseudoRandom } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { ortRun } from './helpers/onnx.js';
import * as onnx from '../src/io/onnx/index.js';

const { F, nn } = nb;
const fx = JSON.parse(readFileSync(new URL('../fixtures/functional.json', import.meta.url), 'utf8')) as FixtureFile;

type K = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const pick = (k: K, names: string[]): K => Object.fromEntries(names.filter((n) => k[n] !== undefined).map((n) => [n, k[n]]));

/** The running statistics after one training call, as PyTorch's case returns them: cat([mean, var]). */
function runningAfter(x: nb.Tensor, rm0: nb.Tensor, rv0: nb.Tensor, call: (rm: nb.Tensor, rv: nb.Tensor) => void): nb.Tensor {
  const rm = rm0.clone(), rv = rv0.clone();
  call(rm, rv);
  return nb.cat([rm, rv]);
}

/** The case's call: its op on the inputs, with its kwargs. */
function apply(c: FixtureCase, ins: nb.Tensor[]): nb.Tensor {
  const k = decodeKwargs(c.kwargs) as K;
  const [x, a, b, d, e] = ins as [nb.Tensor, nb.Tensor?, nb.Tensor?, nb.Tensor?, nb.Tensor?];
  switch (c.op) {
    case 'layerNorm': return F.layerNorm(x, k.normalizedShape, { weight: a, bias: b, ...pick(k, ['eps']) });
    case 'batchNorm': return F.batchNorm(x, d ?? null, e ?? null, { weight: a, bias: b, ...pick(k, ['training', 'eps']) });
    case 'batchNormRunning': return runningAfter(x, a!, b!, (rm, rv) => F.batchNorm(x, rm, rv, { training: true, momentum: k.momentum }));
    case 'groupNorm': return F.groupNorm(x, k.numGroups, { weight: a, bias: b, ...pick(k, ['eps']) });
    case 'instanceNorm':
      return k.useInputStats === false ? F.instanceNorm(x, { runningMean: a, runningVar: b, useInputStats: false })
        : F.instanceNorm(x, { weight: a, bias: b, ...pick(k, ['eps']) });
    case 'instanceNormRunning': return runningAfter(x, a!, b!, (rm, rv) => F.instanceNorm(x, { runningMean: rm, runningVar: rv, momentum: k.momentum }));
    case 'normalize': return F.normalize(x, k);
    case 'interpolate': return F.interpolate(x, k);
    case 'unfold': return F.unfold(x, k.kernelSize, pick(k, ['dilation', 'padding', 'stride']));
    case 'fold': return F.fold(x, k.outputSize, k.kernelSize, pick(k, ['dilation', 'padding', 'stride']));
    case 'pixelShuffle': return F.pixelShuffle(x, k.factor);
    case 'pixelUnshuffle': return F.pixelUnshuffle(x, k.factor);
    case 'cosineSimilarity': return F.cosineSimilarity(x, a!, k);
    case 'pairwiseDistance': return F.pairwiseDistance(x, a!, k);
    case 'embeddingBag': return F.embeddingBag(x, a!, { offsets: b ?? null, perSampleWeights: d ?? null, ...k });
    case 'instanceNormModule': {
      const Layer = k.layer === 'InstanceNorm1d' ? nn.InstanceNorm1d : nn.InstanceNorm2d;
      const m = new Layer(4, { ...k.options, dtype: x.dtype });
      assert.deepEqual(Object.keys(m.stateDict()), k.stateKeys, `${c.name}: state keys as PyTorch's`);
      m.train();
      m.forward(x).dispose();
      m.forward(a!).dispose();
      m.eval();
      const out = m.forward(x);
      for (const t of [...m.parameters(), ...m.buffers()]) t.dispose();
      return out;
    }
  }
  throw new Error(`no call for op ${c.op}`);
}

const backends = await testBackends();
after(closeBackends);

for (const backend of backends) {
  describe(`functional forms vs PyTorch ${fx.torch} on ${backend}`, () => {
    for (const c of fx.cases) {
      test(c.name, () => {
        nb.setBackend(backend);
        const before = nb.memory();
        nb.scope(() => {
          const ins = c.inputs.map((i) => toTensor(i, { requiresGrad: i.requires_grad }));
          const out = apply(c, ins);
          const want = c.outputs[0]!;
          assertShape(c.name, out.shape, want.shape);
          assertClose(c.name, out.dataSync(), decodeData(want.data, want.dtype), want.shape, TOL.float32);
          if (!c.grads) return;
          const cot = nb.tensor(decodeData(c.cotangent!.data, 'float32'), { shape: c.cotangent!.shape });
          out.mul(cot).sum().backward();
          c.grads.forEach((g, i) => {
            if (!g) return;
            assert.ok(ins[i]!.grad, `${c.name}: input ${i} got no gradient`);
            assertClose(`${c.name} grad ${i}`, ins[i]!.grad!.dataSync(), decodeData(g.data, 'float32'), g.shape, TOL.float32);
          });
        });
        assert.deepEqual(nb.memory().tensors, before.tensors, 'the case leaves nothing behind');
      });
      // forward-only interpolate cases (the generator says why torch's gradient is not compared there) still get a gradcheck
      if (!c.grads && c.op !== 'interpolate') continue;
      const quirk = (c as { not_derivative?: string }).not_derivative;
      if (quirk) {
        // PyTorch's gradient is not the derivative here (the fixture says why); float64 gives its numbers.
        test(`${c.name}: float64 gradient is PyTorch's (${quirk.slice(0, 40)}…)`, () => {
          nb.setBackend(backend);
          nb.scope(() => {
            const ins = c.inputs.map((i) => toTensor(i, { dtype: 'float64', requiresGrad: i.requires_grad }));
            const cot = nb.tensor(decodeData(c.cotangent!.data, 'float64'), { dtype: 'float64', shape: c.cotangent!.shape });
            apply(c, ins).mul(cot).sum().backward();
            c.grads!.forEach((g, i) => g && assertClose(`${c.name} grad ${i}`, ins[i]!.grad!.dataSync(), decodeData(g.data, 'float64'), g.shape, TOL.float32));
          });
        });
        continue;
      }
      test(`${c.name}: float64 gradcheck`, () => {
        nb.setBackend(backend);
        nb.scope(() => {
          const ins = c.inputs.map((i) => toTensor(i, i.dtype === 'float32' ? { dtype: 'float64' } : {}));
          const which = c.inputs.map((i, j) => (i.requires_grad || (!c.grads && i.dtype === 'float32') ? j : -1)).filter((j) => j >= 0);
          const shape = c.outputs[0]!.shape;
          const cot = c.cotangent ? nb.tensor(decodeData(c.cotangent.data, 'float64'), { dtype: 'float64', shape: c.cotangent.shape })
            : nb.tensor(pseudoRandom(shape.reduce((a, b) => a * b, 1), 7), { dtype: 'float64', shape });
          gradcheck(c.name, (...xs) => {
            const all = [...ins];
            which.forEach((j, n) => (all[j] = xs[n]!));
            return apply(c, all).mul(cot).sum();
          }, which.map((j) => ins[j]!));
        });
      });
    }
  });
}

// Backward rules are ops, so gradients of gradients work (createGraph): one case of each family.
describe('second-order gradients (float64, createGraph)', () => {
  const picks = ['layerNorm/last-dim-affine', 'batchNorm/train-4d-affine', 'groupNorm/4d-affine', 'instanceNorm/input-stats-affine',
    'normalize/p2-dim1', 'interpolate/bicubic-scale-2', 'unfold/k3-pad1-stride2', 'fold/k2', 'pixelShuffle/r2',
    'cosineSimilarity/dim1', 'pairwiseDistance/p2', 'embeddingBag/mean-offsets'];
  for (const name of picks) {
    test(name, () => {
      const c = fx.cases.find((k) => k.name === name)!;
      nb.scope(() => {
        const ins = c.inputs.map((i) => toTensor(i, i.dtype === 'float32' ? { dtype: 'float64' } : {}));
        const which = c.inputs.map((i, j) => (i.requires_grad ? j : -1)).filter((j) => j >= 0);
        gradgradcheck(name, (...xs) => {
          const all = [...ins];
          which.forEach((j, n) => (all[j] = xs[n]!));
          const y = apply(c, all);
          return y.mul(y).sum();
        }, which.map((j) => ins[j]!));
      });
    });
  }
});

test('every functional form of the fixtures is exported on F', () => {
  for (const op of fx.ops) {
    const name = op.replace(/Running$|Module$/, '');
    assert.equal(typeof (F as Record<string, unknown>)[name], 'function', `F.${name}`);
  }
});

/** The float data of a tensor as a plain array. */
const arr = (t: nb.Tensor): number[] => Array.from(t.dataSync() as Float32Array);

describe('the modules call their functional forms', () => {
  test('LayerNorm, BatchNorm2d (train and eval), GroupNorm give exactly what F gives them', () => {
    nb.manualSeed(3);
    const x = nb.randn([4, 6, 3, 2]);
    const ln = new nn.LayerNorm([3, 2]);
    assert.deepEqual(arr(ln.forward(x)), arr(F.layerNorm(x, [3, 2], { weight: ln.weight, bias: ln.bias })));
    const gn = new nn.GroupNorm(3, 6);
    assert.deepEqual(arr(gn.forward(x)), arr(F.groupNorm(x, 3, { weight: gn.weight, bias: gn.bias })));
    const bn = new nn.BatchNorm2d(6, { momentum: 0.3 });
    const rm = nb.zeros([6]), rv = nb.ones([6]);
    assert.deepEqual(arr(bn.forward(x)), arr(F.batchNorm(x, rm, rv, { weight: bn.weight, bias: bn.bias, training: true, momentum: 0.3 })));
    assert.deepEqual(arr(bn.getBuffer('running_mean')!), arr(rm));
    assert.deepEqual(arr(bn.getBuffer('running_var')!), arr(rv));
    assert.equal(bn.getBuffer('num_batches_tracked')!.item(), 1);
    bn.eval();
    assert.deepEqual(arr(bn.forward(x)), arr(F.batchNorm(x, rm, rv, { weight: bn.weight, bias: bn.bias })));
  });

  test('InstanceNorm1d/2d: PyTorch\'s defaults and state keys, unbatched input, eval without running statistics uses the input\'s', () => {
    nb.manualSeed(4);
    assert.deepEqual(Object.keys(new nn.InstanceNorm2d(3).stateDict()), []);
    assert.deepEqual(Object.keys(new nn.InstanceNorm1d(3, { affine: true, trackRunningStats: true }).stateDict()),
      ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    const m = new nn.InstanceNorm2d(3).eval();
    const x = nb.randn([3, 4, 5]);
    const y = m.forward(x);
    assert.deepEqual(y.shape, [3, 4, 5]);
    assert.deepEqual(arr(y), arr(F.instanceNorm(x.unsqueeze(0))));
    // a channel count that differs is fine without affine and running statistics, as in PyTorch
    assert.deepEqual(new nn.InstanceNorm1d(2).forward(nb.randn([2, 5, 4])).shape, [2, 5, 4]);
    assert.equal(String(new nn.InstanceNorm1d(4, { affine: true })), 'InstanceNorm1d(4, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=false)');
  });

  test('Upsample, PixelShuffle/Unshuffle, Unfold/Fold, CosineSimilarity, PairwiseDistance: the F call with their arguments', () => {
    nb.manualSeed(5);
    const x = nb.randn([2, 4, 3, 4]);
    const up = new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: true });
    assert.deepEqual(arr(up.forward(x)), arr(F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true })));
    assert.equal(String(up), "Upsample(scaleFactor=2, mode='bilinear')");
    assert.deepEqual(arr(new nn.UpsamplingBilinear2d({ scaleFactor: 2 }).forward(x)), arr(up.forward(x)));
    assert.deepEqual(arr(new nn.UpsamplingNearest2d({ size: [5, 6] }).forward(x)), arr(F.interpolate(x, { size: [5, 6] })));
    // shuffle then unshuffle by the same factor is the identity (a permutation and its inverse)
    const ps = new nn.PixelShuffle(2), pu = new nn.PixelUnshuffle(2);
    assert.deepEqual(ps.forward(x).shape, [2, 1, 6, 8]);
    assert.deepEqual(arr(pu.forward(ps.forward(x))), arr(x));
    // blocks that tile the image without overlap fold back to the image
    const uf = new nn.Unfold([3, 2], { stride: [3, 2] }), fd = new nn.Fold([3, 4], [3, 2], { stride: [3, 2] });
    assert.deepEqual(uf.forward(x).shape, [2, 24, 2]);
    assert.deepEqual(arr(fd.forward(uf.forward(x))), arr(x));
    // overlapping blocks add up: fold(unfold(ones)) counts the blocks covering each pixel
    const cover = F.fold(F.unfold(nb.ones([1, 1, 3, 3]), 2), [3, 3], 2);
    assert.deepEqual(arr(cover), [1, 2, 1, 2, 4, 2, 1, 2, 1]);
    const a = nb.randn([5, 3]), b = nb.randn([5, 3]);
    assert.deepEqual(arr(new nn.CosineSimilarity({ dim: 0 }).forward(a, b)), arr(F.cosineSimilarity(a, b, { dim: 0 })));
    assert.deepEqual(arr(new nn.PairwiseDistance({ p: 1, keepdim: true }).forward(a, b)), arr(F.pairwiseDistance(a, b, { p: 1, keepdim: true })));
    // the cosine of a vector with itself is 1, with its negation −1
    assert.ok(arr(F.cosineSimilarity(a, a)).every((v) => Math.abs(v - 1) < 1e-6));
    assert.ok(arr(F.cosineSimilarity(a, a.neg())).every((v) => Math.abs(v + 1) < 1e-6));
  });

  test('EmbeddingBag: N(0, 1) weight with the padding row zero, F.embeddingBag forward, no gradient to the padding row', () => {
    nb.manualSeed(6);
    const m = new nn.EmbeddingBag(10, 4, { mode: 'sum', paddingIdx: 2 });
    assert.deepEqual(Object.keys(m.stateDict()), ['weight']);
    assert.deepEqual(arr(m.weight.index(2)), [0, 0, 0, 0]);
    const idx = nb.tensor([1, 2, 3, 4, 2], { dtype: 'int32' }), off = nb.tensor([0, 2], { dtype: 'int32' });
    const psw = nb.tensor([0.5, 2, 1, -1, 3]);
    const y = m.forward(idx, off, psw);
    assert.deepEqual(arr(y), arr(F.embeddingBag(idx, m.weight, { offsets: off, perSampleWeights: psw, mode: 'sum', paddingIdx: 2 })));
    y.sum().backward();
    const g = m.weight.grad!.toArray() as number[][];
    assert.deepEqual(g[2], [0, 0, 0, 0]);
    assert.deepEqual(g[1], [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(g[4], [-1, -1, -1, -1]);
    // a bag of only padding is zero in every mode, as in PyTorch
    for (const mode of ['sum', 'mean', 'max'] as const) {
      assert.deepEqual(arr(F.embeddingBag(nb.tensor([[2, 2]], { dtype: 'int32' }), m.weight, { mode, paddingIdx: 2 })), [0, 0, 0, 0]);
    }
  });
});

test('PixelShuffle/Unshuffle and InstanceNorm2d trace to mapped ops: models using them export to ONNX and run in ONNX Runtime at any batch', async () => {
  nb.manualSeed(8);
  const models = [
    new nn.Sequential(new nn.Conv2d(2, 8, 3, { padding: 1 }), new nn.PixelShuffle(2), new nn.PixelUnshuffle(2)),
    new nn.Sequential(new nn.Conv2d(2, 8, 3, { padding: 1 }), new nn.InstanceNorm2d(8, { affine: true, trackRunningStats: true })),
  ];
  for (const m of models) {
    // running statistics away from 0/1, so eval really uses them
    nb.noGrad(() => nb.scope(() => { for (let i = 0; i < 3; i++) m.forward(nb.randn([4, 2, 4, 4]).mul(2).add(0.5)); }));
    m.eval();
    const bytes = onnx.exportModel(m, nb.randn([3, 2, 4, 4]));
    for (const n of [2, 5]) {
      const x = nb.randn([n, 2, 4, 4]);
      const want = nb.noGrad(() => m.forward(x) as nb.Tensor);
      const [got] = await ortRun(bytes, [x]);
      assert.deepEqual(got!.dims, [n, 8, 4, 4]);
      assertClose(`${String(m)} batch ${n}`, got!.data, want.dataSync(), want.shape, TOL.float32);
    }
  }
});

describe('bad input is an error that says what was wrong', () => {
  const x = nb.zeros([2, 4, 3, 3]);
  const i32 = (v: number[]) => nb.tensor(v, { dtype: 'int32' });
  const cases: [string, () => unknown, RegExp][] = [
    ['layerNorm shape', () => F.layerNorm(x, [4]), /layerNorm: input \[2, 4, 3, 3\] does not end in normalizedShape \[4\]/],
    ['layerNorm weight', () => F.layerNorm(x, [3], { weight: nb.ones([4]) }), /layerNorm: weight must have shape \[3\], got \[4\]/],
    ['layerNorm option', () => F.layerNorm(x, [3], { epsilon: 1 } as never), /layerNorm: unknown option 'epsilon'/],
    ['batchNorm eval', () => F.batchNorm(x, null, null), /batchNorm: runningMean and runningVar are needed when not training/],
    ['batchNorm one value', () => F.batchNorm(nb.zeros([1, 4]), null, null, { training: true }), /batchNorm: expected more than 1 value per channel when training, got input \[1, 4\]/],
    ['batchNorm stats shape', () => F.batchNorm(x, nb.zeros([3]), nb.ones([4])), /batchNorm: runningMean must have shape \[4\] \(one per channel of the input\), got \[3\]/],
    ['batchNorm momentum', () => F.batchNorm(x, null, null, { training: true, momentum: 2 }), /batchNorm: momentum must be in \[0, 1\], got 2/],
    ['batchNorm int', () => F.batchNorm(nb.zeros([2, 4], { dtype: 'int32' }), null, null, { training: true }), /batchNorm: expected a floating-point input, got int32/],
    ['groupNorm groups', () => F.groupNorm(x, 3), /groupNorm: the input's 4 channels \(input \[2, 4, 3, 3\]\) must divide into numGroups 3/],
    ['instanceNorm 2-D', () => F.instanceNorm(nb.zeros([2, 4])), /instanceNorm: expected input \[N, C, \*\] with at least one spatial dim, got \[2, 4\]/],
    ['instanceNorm running', () => F.instanceNorm(x, { useInputStats: false }), /instanceNorm: runningMean and runningVar are needed when useInputStats is false/],
    ['InstanceNorm2d channels', () => new nn.InstanceNorm2d(3, { affine: true }).forward(x), /InstanceNorm2d\(3\): expected input with 3 channels, got \[2, 4, 3, 3\] \(4 channels\)/],
    ['InstanceNorm1d dims', () => new nn.InstanceNorm1d(4).forward(x), /InstanceNorm1d\(4\): expected input \[N, C, L\] or \[C, L\], got \[2, 4, 3, 3\]/],
    ['normalize dim', () => F.normalize(x, { dim: 4 }), /normalize: dim 4 is out of range for a tensor of 4 dimensions/],
    ['interpolate both', () => F.interpolate(x, { size: 4, scaleFactor: 2 }), /interpolate: give exactly one of size and scaleFactor/],
    ['interpolate neither', () => F.interpolate(x), /interpolate: give exactly one of size and scaleFactor/],
    ['interpolate mode dims', () => F.interpolate(nb.zeros([1, 2, 5]), { size: 4, mode: 'bilinear' }), /interpolate: got 3-D input \[1, 2, 5\], but mode 'bilinear' needs 4-D input/],
    ['interpolate alignCorners', () => F.interpolate(x, { size: 4, alignCorners: true }), /interpolate: alignCorners can only be set with mode 'linear', 'bilinear' or 'bicubic'/],
    ['interpolate mode', () => F.interpolate(x, { size: 4, mode: 'area' as never }), /interpolate: unknown mode 'area'/],
    ['interpolate 5-D', () => F.interpolate(nb.zeros([1, 1, 2, 2, 2]), { size: 4 }), /interpolate: expected input \[N, C, L\] or \[N, C, H, W\], got \[1, 1, 2, 2, 2\]/],
    ['interpolate sizes', () => F.interpolate(x, { size: [4, 4, 4] }), /interpolate: size has 3 entries for 2 spatial dims/],
    ['Upsample', () => new nn.Upsample({}), /Upsample: give exactly one of size and scaleFactor/],
    ['unfold dims', () => F.unfold(nb.zeros([4, 3]), 2), /unfold: expected input \[N, C, H, W\] or \[C, H, W\], got \[4, 3\]/],
    ['unfold too big', () => F.unfold(x, 4), /unfold: no block fits: spatial size \[3, 3\], kernelSize \[4, 4\]/],
    ['unfold stride', () => F.unfold(x, 2, { stride: 0 }), /unfold: stride must be an integer ≥ 1 or two of them, got 0/],
    ['fold blocks', () => F.fold(nb.zeros([1, 8, 5]), [3, 3], 2), /fold: input \[1, 8, 5\] has 5 blocks, but outputSize \[3, 3\] with its kernelSize, dilation, padding and stride holds \[2, 2\] = 4/],
    ['fold channels', () => F.fold(nb.zeros([1, 6, 4]), [3, 3], 2), /fold: dim 1 of input \[1, 6, 4\] must be divisible by kernelSize's product 4/],
    ['pixelShuffle channels', () => F.pixelShuffle(nb.zeros([1, 6, 2, 2]), 2), /pixelShuffle: the channels \(6\) of input \[1, 6, 2, 2\] must be divisible by upscaleFactor² = 4/],
    ['pixelUnshuffle size', () => F.pixelUnshuffle(x, 2), /pixelUnshuffle: the height and width of input \[2, 4, 3, 3\] must be divisible by downscaleFactor 2/],
    ['PixelShuffle factor', () => new nn.PixelShuffle(0), /PixelShuffle: upscaleFactor must be an integer ≥ 1, got 0/],
    ['cosineSimilarity ints', () => F.cosineSimilarity(i32([1, 2]), i32([1, 2]), { dim: 0 }), /cosineSimilarity: expected floating-point inputs, got int32 and int32/],
    ['cosineSimilarity shapes', () => F.cosineSimilarity(nb.zeros([2, 3]), nb.zeros([2, 4])), /cosineSimilarity: shapes \[2, 3\] and \[2, 4\] cannot be broadcast/],
    ['pairwiseDistance p', () => F.pairwiseDistance(x, x, { p: 0 }), /pairwiseDistance: p must be positive \(or Infinity\), got 0/],
    ['embeddingBag offsets needed', () => F.embeddingBag(i32([1, 2]), nb.zeros([4, 2])), /embeddingBag: 1-D input \[2\] needs offsets/],
    ['embeddingBag 2-D offsets', () => F.embeddingBag(nb.tensor([[1]], { dtype: 'int32' }), nb.zeros([4, 2]), { offsets: i32([0]) }), /embeddingBag: offsets must be null when input is 2-D \(\[1, 1\]\)/],
    ['embeddingBag offsets[0]', () => F.embeddingBag(i32([1, 2]), nb.zeros([4, 2]), { offsets: i32([1]) }), /embeddingBag: offsets\[0\] must be 0/],
    ['embeddingBag offsets order', () => F.embeddingBag(i32([1, 2]), nb.zeros([4, 2]), { offsets: i32([0, 2, 1]) }), /embeddingBag: offsets must be non-decreasing and ≤ 2/],
    ['embeddingBag weights mode', () => F.embeddingBag(i32([1, 2]), nb.zeros([4, 2]), { offsets: i32([0]), perSampleWeights: nb.ones([2]) }), /embeddingBag: perSampleWeights is only supported with mode 'sum' \(got mode 'mean'\)/],
    ['embeddingBag range', () => F.embeddingBag(i32([1, 7]), nb.zeros([4, 2]), { offsets: i32([0]) }), /embeddingBag: index 7 is out of range for a weight of 4 rows/],
    ['embeddingBag float', () => F.embeddingBag(nb.ones([2]), nb.zeros([4, 2]), { offsets: i32([0]) }), /embeddingBag: input must hold int32 indices, got float32/],
    ['embeddingBag mode', () => F.embeddingBag(i32([1]), nb.zeros([4, 2]), { offsets: i32([0]), mode: 'min' as never }), /embeddingBag: mode must be 'sum', 'mean' or 'max', got 'min'/],
    ['EmbeddingBag maxNorm', () => new nn.EmbeddingBag(4, 2, { maxNorm: 1 } as never), /EmbeddingBag: unknown option 'maxNorm'/],
    ['InstanceNorm2d option', () => new nn.InstanceNorm2d(4, { affline: true } as never), /InstanceNorm2d: unknown option 'affline'/],
    ['UpsamplingBilinear2d mode', () => new nn.UpsamplingBilinear2d({ scaleFactor: 2, mode: 'bicubic' } as never), /UpsamplingBilinear2d: unknown option 'mode'/],
    ['EmbeddingBag module', () => new nn.EmbeddingBag(4, 2).forward(i32([1, 2])), /EmbeddingBag\(4, 2\): embeddingBag: 1-D input \[2\] needs offsets/],
  ];
  for (const [name, f, re] of cases) test(name, () => assert.throws(f, re));
});
