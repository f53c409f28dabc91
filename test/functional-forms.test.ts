// Issue 13, functional forms: F.layerNorm / batchNorm / groupNorm / instanceNorm / normalize,
// interpolate, unfold / fold, pixelShuffle / pixelUnshuffle, cosineSimilarity / pairwiseDistance and
// embeddingBag against PyTorch (fixtures/functional.json, written by scripts/gen_functional_fixtures.py):
// forward, every input's gradient, float64 gradchecks on every backend; the running statistics batch
// and instance norm move; InstanceNorm1d/2d as modules. Their modules and bad input: ./functional-modules.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nb from '../src/index.js';
import { decodeData, decodeKwargs, toTensor, type FixtureFile, type FixtureCase } from './helpers/fixtures.js';
import { assertClose, assertShape, TOL } from './helpers/allclose.js';
import { gradcheck } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

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
      if (!c.grads) continue;
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
          const which = c.inputs.map((i, j) => (i.requires_grad ? j : -1)).filter((j) => j >= 0);
          const cot = nb.tensor(decodeData(c.cotangent!.data, 'float64'), { dtype: 'float64', shape: c.cotangent!.shape });
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

test('every functional form of the fixtures is exported on F', () => {
  for (const op of fx.ops) {
    const name = op.replace(/Running$|Module$/, '');
    assert.equal(typeof (F as Record<string, unknown>)[name], 'function', `F.${name}`);
  }
});
