// float32 log on the wasm backend takes an f32x4 polynomial (kernels/vlog.ts, Cephes' logf): checked
// here against the exact float64 log of src/ops/scalar.ts over the whole positive float32 range
// (normal and subnormal) and at the special values, so that BCE's speed does not cost it accuracy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { W } from './helpers/compare.js';
import { log } from '../src/ops/index.js';
import { log as exactLog } from '../src/ops/scalar.js';

function wasmLog(xs: Float32Array): Float32Array {
  const s = W.fromArray(xs, 'float32');
  const r = W.unary(log.kernel, s);
  const out = W.readSync(r) as Float32Array;
  W.free(s); W.free(r);
  return out;
}

/** One float32 ulp at v (2^-149 below the normal range). */
const ulp = (v: number) => Math.max(2 ** (Math.floor(Math.log2(Math.abs(v) || 2 ** -126)) - 23), 2 ** -149);

test('wasm float32 log: within 1 ulp of the exact value on (0, 3.4e38] (a dense grid near 1, and every exponent)', () => {
  const xs: number[] = [];
  // near 1, where log is small and cancellation would show: [0.5, 2] densely
  for (let i = 0; i <= 600_000; i++) xs.push(0.5 + (1.5 * i) / 600_000);
  // every binade from the smallest subnormal to the largest float, 64 mantissas each
  for (let e = -149; e <= 127; e++) for (let k = 0; k < 64; k++) xs.push(2 ** e * (1 + k / 64));
  const x32 = new Float32Array(xs.filter((v) => v <= 3.4028234663852886e38));
  const got = wasmLog(x32);
  let worst = 0, at = 0;
  for (let i = 0; i < x32.length; i++) {
    const ref = exactLog(x32[i]!);
    const e = Math.abs(got[i]! - ref) / ulp(ref);
    if (e > worst) { worst = e; at = x32[i]!; }
  }
  assert.ok(worst <= 1, `log float32 is ${worst.toFixed(3)} ulp off at x = ${at}`);
});

test('wasm float32 log: special values (0 → −∞, ∞ → ∞, negative and NaN → NaN, 1 → 0)', () => {
  // 8 values: all in the SIMD loop
  const got = wasmLog(new Float32Array([0, -0, Infinity, -1, NaN, -Infinity, 1, 1e-45]));
  assert.deepEqual([got[0], got[1], got[2]], [-Infinity, -Infinity, Infinity]);
  assert.ok(Number.isNaN(got[3]) && Number.isNaN(got[4]) && Number.isNaN(got[5]), `log(-1), log(NaN), log(-∞) = ${got[3]}, ${got[4]}, ${got[5]}`);
  assert.equal(got[6], 0);
  assert.ok(Math.abs(got[7]! - Math.log(Math.fround(1e-45))) <= ulp(got[7]!), `log(1e-45) = ${got[7]}`);
});
