// float32 exp on the wasm backend is an f32x4 Cephes-style kernel (kernels/vmath.ts vexp: range reduction
// by ln 2, a degree-6 polynomial, with fused multiply-adds in the relaxed-SIMD build): checked against
// float64 Math.exp on a dense grid over its whole finite range and at the edges, so that a faster
// polynomial cannot cost accuracy unnoticed. Softmax, sigmoid, tanh, GELU's backward and the losses use it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { W } from './helpers/compare.js';
import { exp } from '../src/ops/index.js';

function wasmExp(xs: Float32Array): Float32Array {
  const s = W.fromArray(xs, 'float32');
  const r = W.unary(exp.kernel, s);
  const out = W.readSync(r) as Float32Array;
  W.free(s); W.free(r);
  return out;
}

test('wasm float32 exp: within 2 ulp of the exact value on [-87, 88] (1.75 M points)', () => {
  const n = 1_750_001;
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = -87 + (175 * i) / (n - 1);
  const got = wasmExp(xs);
  let worst = 0, at = 0;
  for (let i = 0; i < n; i++) {
    const ref = Math.exp(xs[i]!);
    const ulp = 2 ** (Math.floor(Math.log2(ref)) - 23);
    const e = Math.abs(got[i]! - ref) / ulp;
    if (e > worst) { worst = e; at = xs[i]!; }
  }
  assert.ok(worst <= 2, `exp float32 is ${worst.toFixed(2)} ulp off at x = ${at}`);
});

test('wasm float32 exp: edges (0 → 1, −∞ → 0, +∞ → +∞, NaN stays NaN, overflow → +∞, deep underflow → 0)', () => {
  const got = wasmExp(new Float32Array([0, -0, -Infinity, Infinity, NaN, 89, 1000, -104, -1000, 88.5]));
  assert.deepEqual(Array.from(got.subarray(0, 4)), [1, 1, 0, Infinity]);
  assert.ok(Number.isNaN(got[4]));
  assert.deepEqual(Array.from(got.subarray(5, 9)), [Infinity, Infinity, 0, 0]);
  assert.ok(Math.abs(got[9]! / Math.exp(88.5) - 1) < 1e-6, `exp(88.5) = ${got[9]}`);
});
