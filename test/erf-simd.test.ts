// float32 erf on the wasm backend takes an f32x4 rational approximation (kernels/vmath.ts verf, Eigen's
// and XLA's): checked here against the exact float64 erf of src/ops/scalar.ts on a dense grid over
// [-6, 6] and at the special values, so that GELU's speed does not cost it accuracy unnoticed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { W } from './helpers/compare.js';
import { erf } from '../src/ops/index.js';
import { erf as exactErf } from '../src/ops/scalar.js';

const erfK = erf.kernel;

function wasmErf(xs: Float32Array): Float32Array {
  const s = W.fromArray(xs, 'float32');
  const r = W.unary(erfK, s);
  const out = W.readSync(r) as Float32Array;
  W.free(s); W.free(r);
  return out;
}

test('wasm float32 erf: within 8 ulp of the exact value on [-6, 6] (1.2 M points; the worst, 7.1 ulp near ±3.6 with mul+add, 5.6 with the relaxed build’s FMA)', () => {
  const n = 1_200_001;
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = -6 + (12 * i) / (n - 1);
  const got = wasmErf(xs);
  let worst = 0, at = 0;
  for (let i = 0; i < n; i++) {
    const ref = exactErf(xs[i]!);
    // one float32 ulp at the reference (2^-149 below the normal range)
    const ulp = Math.max(2 ** (Math.floor(Math.log2(Math.abs(ref) || 2 ** -126)) - 23), 2 ** -149);
    const e = Math.abs(got[i]! - ref) / ulp;
    if (e > worst) { worst = e; at = xs[i]!; }
  }
  assert.ok(worst <= 8, `erf float32 is ${worst.toFixed(2)} ulp off at x = ${at}`);
});

test('wasm float32 erf: special values (±0 keep their sign, ±∞ → ±1, NaN stays NaN, tiny x ≈ 2x/√π)', () => {
  const xs = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 4.5, -100, 3.75, 1e-6, 0.25, -0.5]);
  const got = wasmErf(xs);
  assert.ok(Object.is(got[0], 0) && Object.is(got[1], -0), `erf(±0) = ${got[0]}, ${got[1]}`);
  assert.deepEqual([got[2], got[3]], [1, -1]);
  assert.ok(Number.isNaN(got[4]));
  assert.ok(Math.abs(got[5]! / (2e-30 / Math.sqrt(Math.PI)) - 1) < 1e-6, `erf(1e-30) = ${got[5]}`);
  assert.ok(Math.abs(got[6]! / (-2e-30 / Math.sqrt(Math.PI)) - 1) < 1e-6, `erf(-1e-30) = ${got[6]}`);
  assert.deepEqual([got[7], got[8]], [1, -1]);
  // the tail of a length that is not a multiple of 4 takes the scalar path: the exact formula
  for (let i = 9; i < xs.length; i++) assert.ok(Math.abs(got[i]! - exactErf(xs[i]!)) <= 4 * 2 ** -24 * Math.max(Math.abs(exactErf(xs[i]!)), 2 ** -126) * 2, `erf(${xs[i]}) = ${got[i]}`);
});
