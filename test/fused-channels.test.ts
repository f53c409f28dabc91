// The per-channel fused kernels (Backend.fused.batchNorm/batchNormBackward and leakyRelu/leakyReluBackward,
// taken through the rewrite table) against the ops' definitions (the composites) on random float32 inputs:
// outputs, gradients of each input, the running statistics of nn.BatchNorm2d, gradients of gradients
// (createGraph, where the backward is the composite's), inputs large enough to split across threads,
// LeakyReLU's special values — each counting the fused kernel's calls, so that a comparison cannot pass by
// never taking it. (float64 runs the composites, whose gradchecks are in batch-norm-train.test.ts and the op table.)

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { leakyRelu } from '../src/ops/activation.js';
import { batchNormTrain } from '../src/ops/norm-functional.js';
import { runBackward } from '../src/autograd/backward.js';
import { getBackend } from '../src/backend/backend.js';
import { calls, close } from './helpers/fused.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const backends = await testBackends();
after(closeBackends);
const withFused = backends.filter((b) => getBackend(b).fused?.batchNorm);

test('the wasm backend has the fused per-channel kernels (so the comparisons below are not vacuous)', () => {
  if (!backends.includes('wasm')) return;
  const f = getBackend('wasm').fused!;
  for (const k of ['batchNorm', 'batchNormBackward', 'leakyRelu', 'leakyReluBackward'] as const) assert.equal(typeof f[k], 'function', `wasm: fused.${k}`);
});

const OUT = { rtol: 1e-5, atol: 2e-6 }, GRAD = { rtol: 1e-4, atol: 2e-5 };
const dimsOf = (x: nb.Tensor) => [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
type Affine = 'both' | 'weight' | 'none';

for (const backend of withFused) {
  describe(`fused batch norm (training) equals the composite on ${backend}`, () => {
    // inner sizes 1 (BatchNorm1d on [N, C]), below and above the SIMD width, odd; a shape above the thread split
    const shapes: [number[], Affine][] = [[[5, 3], 'both'], [[4, 3, 6], 'both'], [[3, 4, 5, 7], 'both'], [[3, 4, 5, 7], 'none'],
      [[2, 6, 3, 3], 'weight'], [[2, 2, 1, 1], 'both'], [[16, 64, 14, 14], 'both'], [[2, 3, 2, 2, 3], 'both']];
    for (const [shape, affine] of shapes) {
      test(`${JSON.stringify(shape)}, affine: ${affine}`, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(7);
        const C = shape[1]!;
        const x = nb.randn(shape).mul(3).add(0.5).requiresGrad_(true);
        const w = affine !== 'none' ? nb.randn([C]).add(1).requiresGrad_(true) : null;
        const b = affine === 'both' ? nb.randn([C]).requiresGrad_(true) : null;
        const live = [x, w, b].filter((t): t is nb.Tensor => t !== null);
        let r: { y: nb.Tensor; mean: nb.Tensor; varBiased: nb.Tensor } | null = null;
        assert.equal(calls(backend, 'batchNorm', () => { r = batchNormTrain(x, w, b, dimsOf(x), 1e-3); }), 1, 'the forward took the fused kernel');
        const want = batchNormTrain.definition(x, w, b, dimsOf(x), 1e-3);
        close('output', r!.y, want.y, OUT);
        close('batch mean', r!.mean, want.mean, OUT);
        close('batch variance (biased)', r!.varBiased, want.varBiased, OUT);
        const g = nb.randn(shape);
        let got: (nb.Tensor | null)[] = [];
        assert.equal(calls(backend, 'batchNormBackward', () => { got = runBackward(r!.y, g, {}, live) as (nb.Tensor | null)[]; }), 1, 'the backward took the fused kernel');
        const ref = runBackward(want.y, g, {}, live) as (nb.Tensor | null)[];
        live.forEach((_, i) => close(`gradient of input ${i}`, got[i]!, ref[i]!, GRAD));
      }));
    }

    test('only the gradients asked for: the weight\'s alone, the input\'s alone', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(8);
      const x = nb.randn([4, 5, 3, 3]), w = nb.randn([5]).requiresGrad_(true), b = nb.randn([5]);
      const g = nb.randn([4, 5, 3, 3]);
      const [gw] = runBackward(batchNormTrain(x, w, b, [0, 2, 3], 1e-5).y, g, {}, [w]) as nb.Tensor[];
      const [rw] = runBackward(batchNormTrain.definition(x, w, b, [0, 2, 3], 1e-5).y, g, {}, [w]) as nb.Tensor[];
      close('weight gradient (x and bias not requiring grad)', gw!, rw!, GRAD);
      const x2 = x.detach().requiresGrad_(true);
      const [gx] = runBackward(batchNormTrain(x2, w.detach(), null, [0, 2, 3], 1e-5).y, g, {}, [x2]) as nb.Tensor[];
      const [rx] = runBackward(batchNormTrain.definition(x2, w.detach(), null, [0, 2, 3], 1e-5).y, g, {}, [x2]) as nb.Tensor[];
      close('input gradient alone', gx!, rx!, GRAD);
    }));

    test('gradients of gradients (createGraph) equal the composite\'s', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(9);
      const x = nb.randn([3, 4, 2, 5]).mul(2).requiresGrad_(true), w = nb.randn([4]).requiresGrad_(true), b = nb.randn([4]).requiresGrad_(true);
      const cot = nb.randn([3, 4, 2, 5]);
      // d/d(x, w) of Σ (∂/∂x Σ cot·y)²: the first gradient recorded, then differentiated
      const second = (f: typeof batchNormTrain.definition) => {
        const [gx] = runBackward(f(x, w, b, [0, 2, 3], 1e-5).y.mul(cot).sum(), null, { createGraph: true }, [x]) as nb.Tensor[];
        return runBackward(gx!.mul(gx!).sum(), null, {}, [x, w]) as nb.Tensor[];
      };
      let got: nb.Tensor[] = [];
      assert.equal(calls(backend, 'batchNorm', () => { got = second(batchNormTrain); }), 1, 'the forward took the fused kernel');
      const want = second(batchNormTrain.definition);
      got.forEach((t, i) => close(`second-order gradient ${i}`, t, want[i]!, { rtol: 1e-3, atol: 1e-4 }));
    }));

    test('nn.BatchNorm2d in training mode takes the kernel and moves its running statistics as the composite does', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(10);
      const a = new nb.nn.BatchNorm2d(6), x = nb.randn([5, 6, 4, 4]).mul(2).add(1);
      const b = new nb.nn.BatchNorm2d(6);
      let y: nb.Tensor | null = null;
      assert.equal(calls(backend, 'batchNorm', () => { y = a.forward(x) as nb.Tensor; }), 1, 'nn.BatchNorm2d → batchNorm');
      // the same layer's composite: the fused kernels switched off by removing them for one call
      const f = getBackend(backend).fused as unknown as Record<string, unknown>;
      const saved = f.batchNorm;
      f.batchNorm = undefined;
      let want: nb.Tensor;
      try { want = b.forward(x) as nb.Tensor; } finally { f.batchNorm = saved; }
      close('output', y, want, OUT);
      for (const k of ['running_mean', 'running_var']) close(k, a.getBuffer(k), b.getBuffer(k), OUT);
      assert.notEqual(a.getBuffer('running_mean')!.dataSync()[0], 0, 'the running mean moved');
    }));
  });

  describe(`fused LeakyReLU equals the composite on ${backend}`, () => {
    for (const [n, slope] of [[1027, 0.2], [13, undefined], [40001, 0.01], [9, 0], [9, -0.5], [9, 1.5]] as [number, number | undefined][]) {
      test(`${n} values, negativeSlope ${slope ?? 'default'}`, () => nb.scope(() => {
        nb.setBackend(backend);
        nb.manualSeed(11);
        const x = nb.randn([n]).mul(2).requiresGrad_(true);
        let y: nb.Tensor | null = null;
        assert.equal(calls(backend, 'leakyRelu', () => { y = slope === undefined ? leakyRelu(x) : leakyRelu(x, slope); }), 1, 'the forward took the fused kernel');
        const want = slope === undefined ? leakyRelu.definition(x) : leakyRelu.definition(x, slope);
        close('output', y, want, { rtol: 0, atol: 0 });
        const g = nb.randn([n]);
        let got: nb.Tensor[] = [];
        assert.equal(calls(backend, 'leakyReluBackward', () => { got = runBackward(y!, g, {}, [x]) as nb.Tensor[]; }), 1, 'the backward took the fused kernel');
        close('gradient', got[0]!, (runBackward(want, g, {}, [x]) as nb.Tensor[])[0]!, { rtol: 0, atol: 0 });
      }));
    }

    test('special values: NaN, ±inf, ±0 forward and backward as the composite', () => nb.scope(() => {
      nb.setBackend(backend);
      const x = nb.tensor([NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 3, -3]).requiresGrad_(true);
      const g = nb.tensor([1, 2, 3, 4, 5, 6, 7, NaN, Infinity]);
      const y = leakyRelu(x, 0.2), want = leakyRelu.definition(x, 0.2);
      const [a, b] = [y.dataSync(), want.dataSync()];
      a.forEach((v, i) => assert.ok(Object.is(v, b[i]) || (v === 0 && b[i] === 0), `y[${i}] = ${v}, the composite's ${b[i]}`));
      const [gy] = runBackward(y, g, {}, [x]) as nb.Tensor[], [gw] = runBackward(want, g, {}, [x]) as nb.Tensor[];
      const [c, d] = [gy!.dataSync(), gw!.dataSync()];
      c.forEach((v, i) => assert.ok(Object.is(v, d[i]) || (v === 0 && d[i] === 0), `dx[${i}] = ${v}, the composite's ${d[i]}`));
    }));

    test('nn.LeakyReLU takes the kernel; createGraph gradients equal the composite\'s', () => nb.scope(() => {
      nb.setBackend(backend);
      nb.manualSeed(12);
      const x = nb.randn([4, 7]).requiresGrad_(true);
      assert.equal(calls(backend, 'leakyRelu', () => new nb.nn.LeakyReLU(0.2).forward(x)), 1, 'nn.LeakyReLU → leakyRelu');
      // Σ (d/dx Σ leakyRelu(x)·x)² differentiated again: the first backward recorded through the composite
      const second = (f: (t: nb.Tensor, s: number) => nb.Tensor) => {
        const [gx] = runBackward(f(x, 0.2).mul(x).sum(), null, { createGraph: true }, [x]) as nb.Tensor[];
        return (runBackward(gx!.mul(gx!).sum(), null, {}, [x]) as nb.Tensor[])[0]!;
      };
      close('second-order gradient', second(leakyRelu), second(leakyRelu.definition), GRAD);
    }));
  });
}
