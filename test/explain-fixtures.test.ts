// nb.explain against PyTorch (fixtures/explain.json, written by scripts/gen_explain_fixtures.py and
// cross-checked against Captum by scripts/check_explain_captum.py): every method on the fixture's
// MLP, CNN and LSTM models, on every backend, in float32 and float64; Gauss–Legendre rules against
// numpy; interpolate against F.interpolate, and its gradient by finite differences.

import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { assertClose, assertShape, type Tol } from './helpers/allclose.js';
import { testBackends, closeBackends } from './helpers/backends.js';
import { gradcheck, pseudoRandom } from './helpers/gradcheck.js';
import { fixtureModel, fx, toT, want, type ExplainCase } from './helpers/explain-models.js';

const { explain } = nb;
type DT = 'float32' | 'float64';

const METHODS: Record<string, (m: never, x: nb.Tensor, o: never) => unknown> = {
  saliency: explain.saliency, inputXGradient: explain.inputXGradient, integratedGradients: explain.integratedGradients,
  smoothGrad: explain.smoothGrad, inputBaselineXGradient: explain.inputBaselineXGradient, guidedBackprop: explain.guidedBackprop,
  deconvolution: explain.deconvolution, deepLift: explain.deepLift, gradCam: explain.gradCam, guidedGradCam: explain.guidedGradCam,
  layerIntegratedGradients: explain.layerIntegratedGradients, occlusion: explain.occlusion, featureAblation: explain.featureAblation,
  shapleyValues: explain.shapleyValues, layerGradientXActivation: explain.layerGradientXActivation, hiResCam: explain.hiResCam,
};

function decodeOpts(o: Record<string, unknown>, dtype: DT): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object' && 'tensor' in v) out[k] = toT((v as { tensor: Parameters<typeof toT>[0] }).tensor, dtype);
    else if (k === 'method' && typeof v === 'string' && METHODS[v]) out[k] = METHODS[v];
    else out[k] = v;
  }
  return out;
}

/**
 * float64 matches to rounding. float32 attributions are differences and sums of float32 forward and
 * backward passes, so they are compared relative to the largest attribution of the case.
 */
function tolFor(dtype: DT, c: ExplainCase, scale: number): Tol {
  const perturb = ['occlusion', 'featureAblation', 'shapleyValues'].includes(c.method);
  // Perturbation methods are forward passes and exact bookkeeping: in float64 they match the
  // brute-force references to rounding (measured ≤ 3e-15 of the largest value).
  if (dtype === 'float64') return perturb ? { rtol: 1e-12, atol: 1e-12 * scale } : { rtol: 1e-7, atol: 1e-9 * Math.max(1, scale) };
  // In float32 they subtract two nearly equal outputs.
  return { rtol: 1e-3, atol: (perturb ? 2e-3 : 2e-4) * scale };
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function runCase(c: ExplainCase, dtype: DT): void {
  const { module, model } = fixtureModel(c.model, dtype);
  try {
    nb.scope(() => {
      const x = toT(fx.inputs[c.model]!, dtype);
      const r = METHODS[c.method]!(model as never, x, decodeOpts(c.opts, dtype) as never) as nb.Tensor | { attributions: nb.Tensor; delta: nb.Tensor };
      const attr = r instanceof nb.Tensor ? r : r.attributions;
      const w = want(c.out);
      assertShape(c.name, attr.shape, c.out.shape);
      assertClose(`${c.name} (${dtype})`, attr.dataSync(), w, c.out.shape, tolFor(dtype, c, maxAbs(w)));
      if (c.delta) {
        assert.ok(!(r instanceof nb.Tensor), `${c.name}: expected a delta`);
        assertClose(`${c.name} delta (${dtype})`, r.delta.dataSync(), want(c.delta), c.delta.shape, tolFor(dtype, c, Math.max(maxAbs(w), maxAbs(want(c.delta)))));
      }
    });
  } finally {
    for (const p of module.parameters()) p.dispose();
    for (const [, b] of module.namedBuffers()) b.dispose();
  }
}

const backends = await testBackends();
after(closeBackends);
beforeEach(() => nb.setBackend('js'));

for (const backend of backends) {
  for (const dtype of ['float32', 'float64'] as const) {
    describe(`explain vs PyTorch ${fx.torch} on ${backend} (${dtype})`, () => {
      for (const c of fx.cases) {
        test(c.name, () => {
          nb.setBackend(backend);
          const before = nb.memory().tensors;
          runCase(c, dtype);
          assert.equal(nb.memory().tensors, before, `${c.name}: tensors leaked`);
        });
      }
      test('interpolate vs F.interpolate', () => {
        nb.setBackend(backend);
        for (const k of fx.interpolate) {
          nb.scope(() => {
            const y = explain.interpolate(toT(k.input, dtype), k.size, k.mode);
            const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
            assertShape(`interpolate ${k.mode}`, y.shape, k.out.shape);
            assertClose(`interpolate ${k.mode} ${JSON.stringify(k.input.shape)} → ${JSON.stringify(k.size)}`, y.dataSync(), want(k.out), k.out.shape, tol);
          });
        }
      });
    });
  }
}

describe('building blocks', () => {
  test('Gauss–Legendre nodes and weights match numpy.polynomial.legendre.leggauss', () => {
    for (const q of fx.quadrature) {
      const { nodes, weights } = explain.gaussLegendre(q.n);
      assertClose(`nodes n=${q.n}`, nodes, q.nodes, [q.n], { rtol: 0, atol: 2e-15 });
      // numpy takes P'_n at the root before its last Newton step: its weights are off by up to 3e-11
      // (at n = 128 its rule integrates x^k with errors ~1e-14; ours ~2e-16 — the next test)
      assertClose(`weights n=${q.n}`, weights, q.weights, [q.n], { rtol: 1e-10, atol: 1e-15 });
    }
  });

  test('an n-point Gauss–Legendre rule integrates x^k exactly for k < 2n', () => {
    for (const n of [1, 2, 5, 50, 128]) {
      const { nodes, weights } = explain.gaussLegendre(n);
      for (let k = 0; k < 2 * n; k++) {
        const got = nodes.reduce((a, x, i) => a + weights[i]! * x ** k, 0);
        const exact = k % 2 === 1 ? 0 : 2 / (k + 1);
        assert.ok(Math.abs(got - exact) < 2e-15, `n=${n}: ∫x^${k} = ${got}, expected ${exact}`);
      }
    }
  });

  test('every quadrature rule integrates 1 and x exactly', () => {
    for (const m of explain.IG_METHODS) {
      const { alphas, weights } = explain.quadrature(m, 10);
      const s0 = weights.reduce((a, w) => a + w, 0), s1 = weights.reduce((a, w, i) => a + w * alphas[i]!, 0);
      assert.ok(Math.abs(s0 - 1) < 1e-12, `${m}: Σw = ${s0}`);
      // the left and right sums are off by ±1/(2n) for x; the others are exact
      const exp = m === 'riemann_left' ? 0.45 : m === 'riemann_right' ? 0.55 : 0.5;
      assert.ok(Math.abs(s1 - exp) < 1e-12, `${m}: Σw·α = ${s1}, expected ${exp}`);
    }
  });

  test('interpolate passes a float64 gradcheck (bilinear, nearest, linear)', () => {
    const cases: [number[], number[], 'bilinear' | 'nearest' | 'linear'][] = [[[1, 2, 3, 4], [5, 7], 'bilinear'], [[1, 1, 4, 3], [2, 5], 'nearest'], [[2, 1, 4], [7], 'linear']];
    for (const [shape, size, mode] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = nb.tensor(pseudoRandom(n, n), { dtype: 'float64', shape });
      const cot = nb.tensor(pseudoRandom(shape[0]! * shape[1]! * size.reduce((a, b) => a * b, 1), 7), { dtype: 'float64', shape: [shape[0]!, shape[1]!, ...size] });
      gradcheck(`interpolate ${mode}`, (t) => explain.interpolate(t, size, mode).mul(cot).sum(), [x]);
      x.dispose();
      cot.dispose();
    }
  });
});
