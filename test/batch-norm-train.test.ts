// Batch norm in training mode runs as one recorded node with a closed-form backward
// (src/ops/norm-functional.ts batchNormTrain): checked here against the composite it replaced —
// (x − mean)/√(var + eps)·w + b written with ops and differentiated by autograd — on random inputs,
// float32 and float64, on both backends, and by float64 gradcheck (first and second order,
// with respect to the input, the weight and the bias).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { gradcheck, gradgradcheck, pseudoRandom } from './helpers/gradcheck.js';

const { F } = nb;
const T = (shape: number[], seed: number, dtype: 'float32' | 'float64') =>
  nb.tensor(pseudoRandom(shape.reduce((a, b) => a * b, 1), seed).map((v) => 3 * v + 0.5), { dtype, shape });

/** The definition: standardize over [0, 2, 3…] with the biased variance, then the affine per channel. */
function composite(x: nb.Tensor, w: nb.Tensor | null, b: nb.Tensor | null, eps: number): nb.Tensor {
  const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  const cshape = [1, -1, ...Array<number>(x.ndim - 2).fill(1)];
  const m = x.mean(dims, true);
  const xc = x.sub(m);
  let y = xc.mul(xc.mul(xc).mean(dims, true).add(eps).rsqrt());
  if (w) y = y.mul(w.reshape(cshape));
  if (b) y = y.add(b.reshape(cshape));
  return y;
}

const close = (what: string, a: nb.Tensor, b: nb.Tensor, tol: number) => {
  const da = a.dataSync(), db = b.dataSync();
  assert.equal(da.length, db.length, what);
  for (let i = 0; i < da.length; i++) {
    assert.ok(Math.abs(da[i]! - db[i]!) <= tol * (1 + Math.abs(db[i]!)), `${what}[${i}]: ${da[i]} against ${db[i]}`);
  }
};

for (const backend of ['js', 'wasm'] as const) {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`batchNorm training (${backend}, ${dtype}): output and gradients of x, weight, bias equal the composite's`, () => {
      nb.setBackend(backend);
      const tol = dtype === 'float32' ? 2e-5 : 1e-12;
      for (const [shape, affine] of [[[5, 3], true], [[4, 3, 6], true], [[3, 4, 5, 6], true], [[3, 4, 5, 6], false], [[2, 2, 1, 1], true]] as const) {
        nb.scope(() => {
          const C = shape[1];
          const x = T([...shape], 1, dtype), cot = T([...shape], 2, dtype);
          const params = affine ? [x, T([C], 3, dtype), T([C], 4, dtype)] : [x];
          const ours = (xx: nb.Tensor, w?: nb.Tensor, b?: nb.Tensor) => F.batchNorm(xx, null, null, { weight: w ?? null, bias: b ?? null, training: true, eps: 1e-3 });
          const theirs = (xx: nb.Tensor, w?: nb.Tensor, b?: nb.Tensor) => composite(xx, w ?? null, b ?? null, 1e-3);
          close(`y ${shape}`, ours(...(params as [nb.Tensor])), theirs(...(params as [nb.Tensor])), tol);
          const argnums = params.map((_, i) => i);
          const got = nb.grad((...a: nb.Tensor[]) => ours(a[0]!, a[1], a[2]).mul(cot).sum(), { argnums })(...params);
          const want = nb.grad((...a: nb.Tensor[]) => theirs(a[0]!, a[1], a[2]).mul(cot).sum(), { argnums })(...params);
          assert.equal(got.length, params.length);
          got.forEach((g, i) => close(`grad ${i} ${shape}`, g, want[i]!, 10 * tol));
        });
      }
    });
  }
}

test('batchNorm training: float64 gradcheck and gradgradcheck in x, weight and bias', () => {
  nb.setBackend('js');
  const x = T([3, 2, 2, 3], 5, 'float64'), w = T([2], 6, 'float64'), b = T([2], 7, 'float64'), cot = T([3, 2, 2, 3], 8, 'float64');
  const f = (xx: nb.Tensor, ww: nb.Tensor, bb: nb.Tensor) => F.batchNorm(xx, null, null, { weight: ww, bias: bb, training: true }).mul(cot).sum();
  gradcheck('batchNorm train', f, [x, w, b]);
  gradgradcheck('batchNorm train', f, [x, w, b]);
});
