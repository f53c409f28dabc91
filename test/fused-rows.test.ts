// The fused row kernels (Backend.fused.softmaxRows … geluBackward, taken through the rewrite table)
// against the ops' definitions on random inputs, float32 and float64: softmax, logSoftmax, the causal
// softmax of attention, layer norm and exact GELU — outputs and gradients, each counting the fused
// kernel's calls (so a comparison cannot pass by never taking it); float64 finite-difference gradchecks
// through the fused backward, and gradients of gradients (createGraph) through the fused op.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { causalSoftmax, gelu, logSoftmax, softmax } from '../src/ops/activation.js';
import { layerNormRows } from '../src/ops/norm-functional.js';
import { runBackward } from '../src/autograd/backward.js';
import { getBackend, type FusedKernels } from '../src/backend/backend.js';
import { calls, close } from './helpers/fused.js';
import { TOL } from './helpers/allclose.js';
import { gradcheck, gradgradcheck, pseudoRandom } from './helpers/gradcheck.js';
import { testBackends, closeBackends } from './helpers/backends.js';

const backends = await testBackends();
after(closeBackends);
const withFused = backends.filter((b) => getBackend(b).fused?.softmaxRows);

test('the wasm backend has the fused row kernels (so the comparisons below are not vacuous)', () => {
  if (!backends.includes('wasm')) return;
  const f = getBackend('wasm').fused!;
  for (const k of ['softmaxRows', 'softmaxRowsBackward', 'layerNormRows', 'layerNormRowsBackward', 'gelu', 'geluBackward'] as const) {
    assert.equal(typeof f[k], 'function', `wasm: fused.${k}`);
  }
});

type DT = 'float32' | 'float64';
const rnd = (shape: number[], dtype: DT, scale = 3) => nb.randn(shape, { dtype }).mul(scale);

/** The causal softmax as the composite it stands for: the scores plus a -inf mask above the diagonal, then softmax. */
function causalReference(s: nb.Tensor): nb.Tensor {
  const [L, S] = s.shape.slice(-2) as [number, number];
  const d = new Float64Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) d[i * S + j] = -Infinity;
  return softmax.definition(s.add(nb.tensor(d, { shape: [L, S], dtype: s.dtype })), -1);
}

interface Case {
  name: string;
  kernels: [keyof FusedKernels, keyof FusedKernels];
  inputs: (dt: DT) => (nb.Tensor | null)[];
  fused: (...xs: (nb.Tensor | null)[]) => nb.Tensor;
  composite: (...xs: (nb.Tensor | null)[]) => nb.Tensor;
}

const cases: Case[] = [];
for (const shape of [[7, 13], [3, 4, 64], [2, 5]]) {
  cases.push({
    name: `softmax ${JSON.stringify(shape)}`, kernels: ['softmaxRows', 'softmaxRowsBackward'],
    inputs: (dt) => [rnd(shape, dt)], fused: (x) => softmax(x!, -1), composite: (x) => softmax.definition(x!, -1),
  }, {
    name: `logSoftmax ${JSON.stringify(shape)}`, kernels: ['softmaxRows', 'softmaxRowsBackward'],
    inputs: (dt) => [rnd(shape, dt)], fused: (x) => logSoftmax(x!, shape.length - 1), composite: (x) => logSoftmax.definition(x!, shape.length - 1),
  });
}
for (const shape of [[2, 3, 6, 6], [2, 5, 9], [4, 3]]) {
  cases.push({
    name: `causalSoftmax ${JSON.stringify(shape)}`, kernels: ['softmaxRows', 'softmaxRowsBackward'],
    inputs: (dt) => [rnd(shape, dt)], fused: (x) => causalSoftmax(x!), composite: (x) => causalReference(x!),
  });
}
for (const shape of [[1027], [3, 7, 5]]) {
  cases.push({
    name: `gelu ${JSON.stringify(shape)}`, kernels: ['gelu', 'geluBackward'],
    inputs: (dt) => [rnd(shape, dt, 2)], fused: (x) => gelu(x!), composite: (x) => gelu.definition(x!),
  });
}
for (const [shape, k, affine] of [[[6, 10], 1, 'both'], [[4, 3, 5], 2, 'both'], [[5, 19], 1, 'weight'], [[9, 8], 1, 'none']] as const) {
  const ns = shape.slice(shape.length - k);
  cases.push({
    name: `layerNorm ${JSON.stringify(shape)} over ${k} dim(s), affine: ${affine}`, kernels: ['layerNormRows', 'layerNormRowsBackward'],
    inputs: (dt) => [rnd([...shape], dt).add(1.5), affine !== 'none' ? rnd(ns, dt, 1) : null, affine === 'both' ? rnd(ns, dt, 1) : null],
    fused: (x, w, b) => layerNormRows(x!, k, w, b, 1e-5), composite: (x, w, b) => layerNormRows.definition(x!, k, w, b, 1e-5),
  });
}

for (const backend of withFused) {
  for (const dt of ['float32', 'float64'] as const) {
    describe(`fused row kernels equal the composites on ${backend} (${dt})`, () => {
      for (const c of cases) {
        test(c.name, () => nb.scope(() => {
          nb.setBackend(backend);
          nb.manualSeed(3);
          const xs = c.inputs(dt).map((t) => (t ? t.requiresGrad_(true) : null));
          const live = xs.filter((t): t is nb.Tensor => t !== null);
          let y: nb.Tensor | null = null;
          assert.equal(calls(backend, c.kernels[0], () => { y = c.fused(...xs); }), 1, 'the forward took the fused kernel');
          const want = c.composite(...xs);
          const tol = dt === 'float32' ? { rtol: 1e-5, atol: 2e-6 } : TOL.float64;
          close(`${c.name}: output`, y, want, tol);
          const g = nb.randn(want.shape, { dtype: dt });
          let got: (nb.Tensor | null)[] = [];
          assert.equal(calls(backend, c.kernels[1], () => { got = runBackward(y!, g, {}, live) as (nb.Tensor | null)[]; }), 1, 'the backward took the fused kernel');
          const ref = runBackward(want, g, {}, live) as (nb.Tensor | null)[];
          live.forEach((t, i) => close(`${c.name}: gradient of input ${i}`, got[i]!, ref[i]!, dt === 'float32' ? { rtol: 1e-4, atol: 1e-5 } : TOL.float64));
        }));
      }
    });
  }

  describe(`fused row kernels: float64 finite-difference gradchecks on ${backend}`, () => {
    for (const c of cases) {
      test(c.name, () => nb.scope(() => {
        nb.setBackend(backend);
        const xs = c.inputs('float64').map((t, i) => (t ? nb.tensor(pseudoRandom(t.numel(), 11 + i), { dtype: 'float64', shape: t.shape }).mul(2) : null));
        const live = xs.filter((t): t is nb.Tensor => t !== null);
        const wv = nb.keep(nb.tensor(pseudoRandom(c.fused(...xs).numel(), 5), { dtype: 'float64' }));
        // Σ w·f(x) (w fixed): every output element weighs in, differently
        const f = (...ts: nb.Tensor[]) => { let k = 0; return c.fused(...xs.map((t) => (t ? ts[k++]! : null))).reshape([-1]).mul(wv).sum(); };
        const n = calls(backend, c.kernels[1], () => gradcheck(c.name, f, live, { maxElems: 24 }));
        assert.ok(n >= 1, 'the gradcheck went through the fused backward');
        gradgradcheck(c.name, f, live, { maxElems: 8 });
        wv.dispose();
      }));
    }
  });

  test(`fused row kernels split across threads (inputs above the split threshold) equal the composites on ${backend}`, () => nb.scope(() => {
    nb.setBackend(backend);
    nb.manualSeed(4);
    const big: [string, nb.Tensor[], (...t: nb.Tensor[]) => nb.Tensor, (...t: nb.Tensor[]) => nb.Tensor][] = [
      ['softmax [300, 257]', [rnd([300, 257], 'float32')], (x) => softmax(x!, -1), (x) => softmax.definition(x!, -1)],
      ['logSoftmax [300, 257]', [rnd([300, 257], 'float32')], (x) => logSoftmax(x!, -1), (x) => logSoftmax.definition(x!, -1)],
      ['causalSoftmax [4, 2, 100, 100]', [rnd([4, 2, 100, 100], 'float32')], (x) => causalSoftmax(x!), (x) => causalReference(x!)],
      ['gelu [40001]', [rnd([40001], 'float32', 2)], (x) => gelu(x!), (x) => gelu.definition(x!)],
      ['layerNorm [1500, 68]', [rnd([1500, 68], 'float32'), rnd([68], 'float32', 1), rnd([68], 'float32', 1)],
        (x, w, b) => layerNormRows(x!, 1, w!, b!, 1e-5), (x, w, b) => layerNormRows.definition(x!, 1, w!, b!, 1e-5)],
    ];
    for (const [name, xs, fused, composite] of big) {
      for (const t of xs) t.requiresGrad_(true);
      const y = fused(...xs), want = composite(...xs);
      close(`${name}: output`, y, want, { rtol: 1e-5, atol: 2e-6 });
      const g = nb.randn(want.shape);
      const got = runBackward(y, g, {}, xs) as nb.Tensor[], ref = runBackward(want, g, {}, xs) as nb.Tensor[];
      xs.forEach((_, i) => close(`${name}: gradient of input ${i}`, got[i]!, ref[i]!, { rtol: 1e-4, atol: 1e-4 }));
    }
  }));

  test(`fused softmax keeps the composite's special values on ${backend}: -inf entries, a row of -inf (NaN), +inf`, () => nb.scope(() => {
    nb.setBackend(backend);
    const x = nb.tensor([[0, -Infinity, 1, 2, -Infinity], [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity], [1, Infinity, 0, 0, 0], [88, 90, -90, 3, 1e4]]);
    for (const op of [softmax, logSoftmax]) {
      let y: nb.Tensor | null = null;
      assert.equal(calls(backend, 'softmaxRows', () => { y = op(x, 1); }), 1);
      close(`${op.opName} of special values`, y, op.definition(x, 1));
    }
  }));

  test(`layerNorm, gelu and attention modules take the fused kernels on ${backend}`, () => nb.scope(() => {
    nb.setBackend(backend);
    const ln = new nb.nn.LayerNorm(16);
    const x = nb.randn([4, 16]);
    assert.equal(calls(backend, 'layerNormRows', () => ln.forward(x)), 1, 'nn.LayerNorm → layerNormRows');
    assert.equal(calls(backend, 'gelu', () => new nb.nn.GELU().forward(x)), 1, 'nn.GELU → gelu');
    assert.equal(calls(backend, 'gelu', () => new nb.nn.GELU({ approximate: 'tanh' }).forward(x)), 0, "GELU 'tanh' stays the composite");
    const q = nb.randn([2, 2, 5, 8]);
    const n = calls(backend, 'softmaxRows', () => nb.F.scaledDotProductAttention(q, q, q, { isCausal: true }), (_x, p) => ((p as { causal?: number }).causal ?? 0) === 5);
    assert.equal(n, 1, 'isCausal → the causal softmax kernel');
  }));
}
