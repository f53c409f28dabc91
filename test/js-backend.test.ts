// Kernel-level checks of the js reference backend: small cases whose expected values are worked
// out by hand in the comments (and agree with PyTorch 1.13), plus dtype, memory and error rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createJsBackend } from '../src/backend/js/index.js';
import type { Conv2dParams, Pool2dParams, Storage } from '../src/backend/backend.js';
import type { DType } from '../src/tensor/dtype.js';
import * as ops from '../src/ops/index.js';

const B = createJsBackend();
/** The kernels of the op records, by op name ('and', 'or', 'not': the logical ops; 'max'/'min': amax/amin). */
const K = (name: string) => {
  const alias: Record<string, string> = { and: 'logicalAnd', or: 'logicalOr', not: 'logicalNot', max: 'amax', min: 'amin' };
  return (ops as unknown as Record<string, { kernel: never }>)[alias[name] ?? name]!.kernel;
};
const INT_MIN = -2147483648;

function arr(dtype: DType, v: number[]): Storage {
  const a = dtype === 'float32' ? new Float32Array(v) : dtype === 'float64' ? new Float64Array(v)
    : dtype === 'int32' ? new Int32Array(v) : new Uint8Array(v);
  return B.fromArray(a, dtype);
}
const f64 = (v: number[]) => arr('float64', v);
const f32 = (v: number[]) => arr('float32', v);
const i32 = (v: number[]) => arr('int32', v);
const bool = (v: number[]) => arr('bool', v);
const read = (s: Storage) => Array.from(B.readSync(s));

function close(actual: number[], expected: number[], tol = 1e-12, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e)) { assert.ok(Number.isNaN(a), `${msg}[${i}]: expected NaN, got ${a}`); continue; }
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${msg}[${i}]: ${a} vs ${e}`);
  }
}

test('matmul: 2×3 @ 3×2, transposed operands, broadcast batch, int32', () => {
  // A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]
  // C = [[1·7+2·9+3·11, 1·8+2·10+3·12], [4·7+5·9+6·11, 4·8+5·10+6·12]] = [[58,64],[139,154]]
  const A = [1, 2, 3, 4, 5, 6], Bm = [7, 8, 9, 10, 11, 12], C = [58, 64, 139, 154];
  const p = { batch: 1, m: 2, k: 3, n: 2, transA: false, transB: false, aBatchStride: 6, bBatchStride: 6 };
  for (const dt of ['float32', 'float64', 'int32'] as const) {
    assert.deepEqual(read(B.matmul(arr(dt, A), arr(dt, Bm), p)), C, dt);
  }
  // Aᵀ stored 3×2 = [1,4,2,5,3,6]; Bᵀ stored 2×3 = [7,9,11,8,10,12]
  assert.deepEqual(read(B.matmul(f64([1, 4, 2, 5, 3, 6]), f64([7, 9, 11, 8, 10, 12]), { ...p, transA: true, transB: true })), C);
  // batch 2: A[0] = A, A[1] = -A, one B for both (stride 0) → C and -C
  const out = B.matmul(f64([...A, ...A.map((v) => -v)]), f64(Bm), { ...p, batch: 2, bBatchStride: 0 });
  assert.deepEqual(read(out), [...C, ...C.map((v) => -v)]);
  // int32 wraps: 65536·65536 = 2³² ≡ 0
  assert.deepEqual(read(B.matmul(i32([65536]), i32([65536]), { ...p, m: 1, k: 1, n: 1 })), [0]);
  assert.throws(() => B.matmul(f64(A), f32(Bm), p), /matmul: inputs must share one dtype/);
  assert.throws(() => B.matmul(f64(A), f64([1, 2]), p), /matmul: b has 2 elements/);
});

const conv = (o: Partial<Conv2dParams>): Conv2dParams => ({
  n: 1, cIn: 1, h: 3, w: 3, cOut: 1, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, groups: 1, oh: 3, ow: 3, ...o,
});

test('conv2d: 3×3 ones kernel with padding 1, and both gradients', () => {
  // x = [[1,2,3],[4,5,6],[7,8,9]]; each output is the sum of the 3×3 neighbourhood inside x:
  // corner (0,0) = 1+2+4+5 = 12, edge (0,1) = 1+…+6 = 21, centre = 45, …
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9], y = [12, 21, 16, 27, 45, 33, 24, 39, 28];
  const ones = new Array(9).fill(1);
  for (const dt of ['float32', 'float64'] as const) {
    assert.deepEqual(read(B.conv2d(arr(dt, x), arr(dt, ones), conv({}))), y, dt);
  }
  // d/dx with gy = 1: how many windows cover each cell = rows × cols covering it: 2·2, 2·3, 3·3
  assert.deepEqual(read(B.conv2dBackwardInput(f64(ones), f64(ones), conv({}))), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
  // d/dw[ky,kx] with gy = 1 = sum of x over the rows/cols that tap (ky,kx) reaches, which is
  // the same neighbourhood sum as the forward output: gw = y
  assert.deepEqual(read(B.conv2dBackwardWeight(f64(x), f64(ones), conv({}))), y);
});

test('conv2d: stride, dilation, groups', () => {
  // x[r,c] = 4r + c on 4×4; 2×2 ones kernel, no padding
  const x = Array.from({ length: 16 }, (_, i) => i), k = [1, 1, 1, 1];
  // dilation 2: taps (r,c),(r,c+2),(r+2,c),(r+2,c+2) → 4(4r+c) + (0+2+8+10) → [20,24,36,40]
  const pd = conv({ h: 4, w: 4, kh: 2, kw: 2, ph: 0, pw: 0, dh: 2, dw: 2, oh: 2, ow: 2 });
  assert.deepEqual(read(B.conv2d(f64(x), f64(k), pd)), [20, 24, 36, 40]);
  // stride 2: 2×2 blocks → 4(8r+2c) + (0+1+4+5) → [10,18,42,50]
  const ps = conv({ h: 4, w: 4, kh: 2, kw: 2, ph: 0, pw: 0, sh: 2, sw: 2, oh: 2, ow: 2 });
  assert.deepEqual(read(B.conv2d(f64(x), f64(k), ps)), [10, 18, 42, 50]);
  // groups 2, 1×1 kernels [2] and [3]: channel 0 → 2·x0, channel 1 → 3·x1
  const pg = conv({ cIn: 2, cOut: 2, h: 1, w: 2, kh: 1, kw: 1, ph: 0, pw: 0, groups: 2, oh: 1, ow: 2 });
  assert.deepEqual(read(B.conv2d(f64([1, 2, 10, 20]), f64([2, 3]), pg)), [2, 4, 30, 60]);
  // its weight gradient with gy = 1: gw[c] = Σ x_c → [3, 30]
  assert.deepEqual(read(B.conv2dBackwardWeight(f64([1, 2, 10, 20]), f64([1, 1, 1, 1]), pg)), [3, 30]);
  assert.throws(() => B.conv2d(f64(x), f64(k), { ...pd, oh: 3 }), /conv2d: output size 3×2 does not match 2×2/);
  assert.throws(() => B.conv2d(i32(x), i32(k), pd), /conv2d \(input\): dtype int32 is not supported/);
});

const pool = (o: Partial<Pool2dParams>): Pool2dParams => ({
  n: 1, c: 1, h: 3, w: 3, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, oh: 2, ow: 2,
  countIncludePad: false, divisorOverride: 0, ...o,
});

test('maxPool2d: values, flat h*w indices, padding never wins, backward', () => {
  // [[1,5,2,0],[3,4,8,7],[9,1,1,2],[0,6,3,3]], 2×2 stride 2: maxima 5@1, 8@6, 9@8, and the tie
  // 3,3 in the last window goes to the first, index 14 (row 3 · 4 + col 2)
  const x = f32([1, 5, 2, 0, 3, 4, 8, 7, 9, 1, 1, 2, 0, 6, 3, 3]);
  const p = pool({ h: 4, w: 4, kh: 2, kw: 2, ph: 0, pw: 0 });
  const [v, i] = B.maxPool2d(x, p);
  assert.deepEqual(read(v), [5, 8, 9, 3]);
  assert.equal(i.dtype, 'int32');
  assert.deepEqual(read(i), [1, 6, 8, 14]);
  // backward puts gy at those indices
  const g = B.maxPool2dBackward(f32([1, 2, 3, 4]), i, p);
  assert.deepEqual(read(g), [0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4, 0]);
  // all-negative x = -(1..9), 3×3 stride 2 padding 1: padding (-inf) never wins; windows clip
  // to {0,1}², {0,1}×{1,2}, {1,2}×{0,1}, {1,2}² → maxima -1@0, -2@1, -4@3, -5@4
  const [v2, i2] = B.maxPool2d(f64([-1, -2, -3, -4, -5, -6, -7, -8, -9]), pool({}));
  assert.deepEqual(read(v2), [-1, -2, -4, -5]);
  assert.deepEqual(read(i2), [0, 1, 3, 4]);
  // overlapping windows add: 1×3 row, kernel 2 stride 1 → both windows pick the 9 at index 1
  const p3 = pool({ h: 1, w: 3, kh: 1, kw: 2, sh: 1, sw: 1, ph: 0, pw: 0, oh: 1, ow: 2 });
  const [, i3] = B.maxPool2d(f64([1, 9, 2]), p3);
  assert.deepEqual(read(B.maxPool2dBackward(f64([10, 5]), i3, p3)), [0, 15, 0]);
  // NaN wins
  const [v4, i4] = B.maxPool2d(f64([1, NaN, 2]), { ...p3, ow: 1, kw: 3 });
  assert.ok(Number.isNaN(read(v4)[0]!)); assert.deepEqual(read(i4), [1]);
});

test('avgPool2d: countIncludePad, border clipping, ceil-mode overhang, divisorOverride, backward', () => {
  // x = 1..9 as 3×3, kernel 3 stride 2 padding 1: windows hold {1,2,4,5}, {2,3,5,6}, {4,5,7,8}, {5,6,8,9}
  // sums 12, 16, 24, 28; countIncludePad=false divides by the 4 real cells → 3, 4, 6, 7
  const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(read(B.avgPool2d(x, pool({}))), [3, 4, 6, 7]);
  // countIncludePad=true divides by 9 (the padded 3×3 window)
  close(read(B.avgPool2d(x, pool({ countIncludePad: true }))), [12 / 9, 16 / 9, 24 / 9, 28 / 9]);
  // divisorOverride 5 replaces either divisor
  close(read(B.avgPool2d(x, pool({ divisorOverride: 5 }))), [12 / 5, 16 / 5, 24 / 5, 28 / 5]);
  // backward, gy = 1, exclude pad: each window spreads 1/4 over its 4 cells; the centre is in 4
  // windows (1), edges in 2 (1/2), corners in 1 (1/4)
  close(read(B.avgPool2dBackward(f64([1, 1, 1, 1]), pool({}))), [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25]);
  // 1-D x = 1..6, kernel 3, stride 2, padding 1, ceil mode → 4 windows starting at -1, 1, 3, 5.
  // countIncludePad: the window at 5 ends at min(5+3, 6+1) = 7, so its divisor is 2, not 3:
  // [(1+2)/3, (2+3+4)/3, (4+5+6)/3, 6/2] = [1, 3, 5, 3]
  const p1 = pool({ h: 1, w: 6, kh: 1, kw: 3, ph: 0, pw: 1, oh: 1, ow: 4, countIncludePad: true });
  assert.deepEqual(read(B.avgPool2d(f64([1, 2, 3, 4, 5, 6]), p1)), [1, 3, 5, 3]);
  // and gy = [3, 3, 3, 2] spreads 1, 1, 1, 1 per cell: [1, 2, 1, 2, 1, 2]
  close(read(B.avgPool2dBackward(f64([3, 3, 3, 2]), p1)), [1, 2, 1, 2, 1, 2]);
  assert.throws(() => B.avgPool2d(x, pool({ dh: 2 })), /avgPool2d: dilation/);
});

test('adaptiveAvgPool2d: 5 → 3 bins and backward', () => {
  // bins [floor(i·5/3), ceil((i+1)·5/3)) = [0,2), [1,4), [3,5) → means of {1,2}, {2,3,4}, {4,5}
  const p = { n: 1, c: 1, h: 1, w: 5, oh: 1, ow: 3 };
  close(read(B.adaptiveAvgPool2d(f32([1, 2, 3, 4, 5]), p)), [1.5, 3, 4.5]);
  // gy = 1: cell 0 gets 1/2, cell 1 gets 1/2 + 1/3, cell 2 gets 1/3, …
  close(read(B.adaptiveAvgPool2dBackward(f64([1, 1, 1]), p)), [1 / 2, 1 / 2 + 1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2]);
  // 2-D: 2×2 → 1×1 is the mean
  assert.deepEqual(read(B.adaptiveAvgPool2d(f64([1, 2, 3, 6]), { n: 1, c: 1, h: 2, w: 2, oh: 1, ow: 1 })), [3]);
});

test('copyStrided / writeStrided: transpose, flip, broadcast, 0-d, empty', () => {
  const x = f64([0, 1, 2, 3, 4, 5]); // [[0,1,2],[3,4,5]]
  // transpose: shape [3,2], strides [1,3] → [[0,3],[1,4],[2,5]]
  assert.deepEqual(read(B.copyStrided(x, [3, 2], [1, 3], 0)), [0, 3, 1, 4, 2, 5]);
  // negative stride from offset 5: reverse
  assert.deepEqual(read(B.copyStrided(x, [6], [-1], 5)), [5, 4, 3, 2, 1, 0]);
  // stride 0 broadcasts row 1 twice; slice with step 2 from offset 1: [1, 3, 5]
  assert.deepEqual(read(B.copyStrided(x, [2, 3], [0, 1], 3)), [3, 4, 5, 3, 4, 5]);
  assert.deepEqual(read(B.copyStrided(x, [3], [2], 1)), [1, 3, 5]);
  // 0-d view of element 4, and an empty view
  assert.deepEqual(read(B.copyStrided(x, [], [], 4)), [4]);
  assert.deepEqual(read(B.copyStrided(x, [0, 3], [3, 1], 0)), []);
  assert.deepEqual(read(B.copyStrided(bool([1, 0, 1]), [2], [2], 0)), [1, 1]);
  assert.throws(() => B.copyStrided(x, [3, 3], [3, 1], 0), /copyStrided: view .* reaches elements 0\.\.8 of a storage of 6/);
  assert.throws(() => B.copyStrided(x, [3], [1, 1], 0), /differ in length/);
  // writeStrided into the transposed view: element (i,j) of the [3,2] view is dst[i + 3j]
  const dst = B.fill('int32', 6, 0);
  B.writeStrided(dst, i32([10, 11, 12, 13, 14, 15]), [3, 2], [1, 3], 0);
  assert.deepEqual(read(dst), [10, 12, 14, 11, 13, 15]);
  B.writeStrided(dst, i32([7]), [], [], 2);
  assert.deepEqual(read(dst), [10, 12, 7, 11, 13, 15]);
  assert.throws(() => B.writeStrided(dst, i32([1, 2]), [3], [1], 0), /writeStrided: src has 2 elements but the view \[3\] has 3/);
  assert.throws(() => B.writeStrided(dst, f64([1, 2, 3]), [3], [1], 0), /writeStrided: inputs must share one dtype/);
});

test('binary: broadcasting, float32 rounding, comparisons, NaN, int32 wrap, bool', () => {
  // a [2,1] = [1,2], b [3] = [10,20,30] → [[11,21,31],[12,22,32]]
  const a = f64([1, 2]), b = f64([10, 20, 30]);
  assert.deepEqual(read(B.binary(K('add'), a, b, [2, 3], [1, 0], [0, 1])), [11, 21, 31, 12, 22, 32]);
  assert.deepEqual(read(B.binary(K('sub'), a, b, [2, 3], [1, 0], [0, 1])), [-9, -19, -29, -8, -18, -28]);
  const lt = B.binary(K('lt'), f64([1, 2, 3]), f64([2]), [3], [1], [0]);
  assert.equal(lt.dtype, 'bool');
  assert.deepEqual(read(lt), [1, 0, 0]);
  // 0-d ⊕ 0-d
  assert.deepEqual(read(B.binary(K('mul'), f64([3]), f64([4]), [], [], [])), [12]);
  // float32: the sum of the float32 values 0.1 and 0.2, rounded to float32
  assert.deepEqual(read(B.binary(K('add'), f32([0.1]), f32([0.2]), [1], [1], [1])), [Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
  // NaN: maximum/minimum propagate it, comparisons with it are false except ne
  close(read(B.binary(K('maximum'), f64([NaN, 1, 3]), f64([1, NaN, 2]), [3], [1], [1])), [NaN, NaN, 3]);
  close(read(B.binary(K('minimum'), f64([NaN, 1, 3]), f64([1, NaN, 2]), [3], [1], [1])), [NaN, NaN, 2]);
  assert.deepEqual(read(B.binary(K('eq'), f64([NaN]), f64([NaN]), [1], [1], [1])), [0]);
  assert.deepEqual(read(B.binary(K('ne'), f64([NaN]), f64([NaN]), [1], [1], [1])), [1]);
  // C pow: pow(1, NaN) = 1, pow(-1, ∞) = 1; 2^0.5 = √2
  close(read(B.binary(K('pow'), f64([1, -1, 2]), f64([NaN, Infinity, 0.5]), [3], [1], [1])), [1, 1, Math.SQRT2], 1e-16);
  // int32: 2147483647 + 1 wraps to -2³¹; 65536·65536 = 2³² ≡ 0; 7 - (-2147483648) wraps
  assert.deepEqual(read(B.binary(K('add'), i32([2147483647]), i32([1]), [1], [1], [1])), [INT_MIN]);
  assert.deepEqual(read(B.binary(K('mul'), i32([65536, -3]), i32([65536, 5]), [2], [1], [1])), [0, -15]);
  assert.deepEqual(read(B.binary(K('sub'), i32([7]), i32([INT_MIN]), [1], [1], [1])), [INT_MIN + 7]);
  // int pow (torch): 3² = 9, 2³¹ wraps to -2³¹, 2⁻¹ = 0, (-1)⁻³ = -1, 1⁻² = 1
  assert.deepEqual(read(B.binary(K('pow'), i32([3, 2, 2, -1, 1]), i32([2, 31, -1, -3, -2]), [5], [1], [1])), [9, INT_MIN, 0, -1, 1]);
  assert.deepEqual(read(B.binary(K('maximum'), i32([3, -5]), i32([-4, 2]), [2], [1], [1])), [3, 2]);
  assert.throws(() => B.binary(K('div'), i32([1]), i32([2]), [1], [1], [1]), /binary div: not defined for int32/);
  // bool: and/or, add is or, mul is and
  const p = bool([1, 1, 0, 0]), q = bool([1, 0, 1, 0]);
  assert.deepEqual(read(B.binary(K('and'), p, q, [4], [1], [1])), [1, 0, 0, 0]);
  assert.deepEqual(read(B.binary(K('or'), p, q, [4], [1], [1])), [1, 1, 1, 0]);
  assert.deepEqual(read(B.binary(K('add'), p, q, [4], [1], [1])), [1, 1, 1, 0]);
  assert.deepEqual(read(B.binary(K('mul'), p, q, [4], [1], [1])), [1, 0, 0, 0]);
  assert.throws(() => B.binary(K('sub'), p, q, [4], [1], [1]), /binary sub: not defined for bool/);
  assert.throws(() => B.binary(K('add'), f64([1]), f32([1]), [1], [1], [1]), /binary add: inputs must share one dtype, got float64 and float32/);
  assert.throws(() => B.binary(K('add'), a, b, [2, 3], [1, 1], [0, 1]), /binary add \(a\)/);
});

test('where: broadcast condition', () => {
  // cond [2,1] = [[T],[F]] picks row-wise from a [2,2] and b (a 0-d broadcast 9)
  const out = B.where(bool([1, 0]), i32([1, 2, 3, 4]), i32([9]), [2, 2], [1, 0], [2, 1], [0, 0]);
  assert.deepEqual(read(out), [1, 2, 9, 9]);
  assert.equal(out.dtype, 'int32');
  assert.throws(() => B.where(f64([1]), f64([1]), f64([1]), [1], [1], [1], [1]), /where \(cond\): dtype float64/);
});

test('unary: torch rounding, sign, relu, NaN, int and bool rules', () => {
  // round half to even: 0.5→0, 1.5→2, 2.5→2, -0.5→-0, -2.5→-2, 2.6→3
  assert.deepEqual(read(B.unary(K('round'), f64([0.5, 1.5, 2.5, -0.5, -2.5, 2.6]))), [0, 2, 2, -0, -2, 3]);
  // torch 1.13: sign(NaN) = 0, relu(NaN) = NaN
  close(read(B.unary(K('sign'), f64([-3, 0, 2, NaN]))), [-1, 0, 1, 0]);
  close(read(B.unary(K('relu'), f64([-3, 0, 2, NaN]))), [0, 0, 2, NaN]);
  // sigmoid(0) = 1/2, sigmoid(ln 3) = 1/(1+1/3) = 3/4; rsqrt(4) = 1/2; reciprocal(-4) = -1/4
  close(read(B.unary(K('sigmoid'), f64([0, Math.log(3)]))), [0.5, 0.75], 1e-15);
  close(read(B.unary(K('rsqrt'), f64([4]))), [0.5]);
  close(read(B.unary(K('reciprocal'), f32([-4]))), [-0.25]);
  close(read(B.unary(K('square'), f32([-3]))), [9]);
  close(read(B.unary(K('log1p'), f64([1e-20]))), [1e-20], 1e-15);
  // int32: neg and abs of -2³¹ wrap to -2³¹, square wraps, sign
  assert.deepEqual(read(B.unary(K('neg'), i32([5, INT_MIN]))), [-5, INT_MIN]);
  assert.deepEqual(read(B.unary(K('abs'), i32([-5, INT_MIN]))), [5, INT_MIN]);
  assert.deepEqual(read(B.unary(K('square'), i32([-7, 65536]))), [49, 0]);
  assert.deepEqual(read(B.unary(K('sign'), i32([-7, 0, 9]))), [-1, 0, 1]);
  assert.throws(() => B.unary(K('exp'), i32([1])), /unary exp: not defined for int32/);
  // not: bool → bool, and x == 0 for other dtypes
  const n = B.unary(K('not'), bool([1, 0]));
  assert.equal(n.dtype, 'bool');
  assert.deepEqual(read(n), [0, 1]);
  assert.deepEqual(read(B.unary(K('not'), f64([0, 2.5, NaN]))), [1, 0, 0]);
  assert.throws(() => B.unary(K('neg'), bool([1])), /unary neg: not defined for bool/);
});

test('erf: within 1e-15 of reference values', () => {
  // float64 references (torch.erf, equal to 40-digit mpmath.erf rounded to double);
  // erf(-x) = -erf(x); for tiny x, erf(x) = 2x/√π (1 - x²/3 + …) = 2x/√π to double precision
  const cases: [number, number][] = [
    [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014],
    [-0.1, -0.1124629160182849], [1e-5, 1.1283791670579e-5], [5, 0.9999999999984626],
    [1e-300, 1.1283791670955126e-300], [10, 1], [-Infinity, -1], [0, 0],
  ];
  const got = read(B.unary(K('erf'), f64(cases.map((c) => c[0]))));
  cases.forEach(([x, e], i) => {
    const g = got[i]!;
    assert.ok(Math.abs(g - e) <= 1e-15 * Math.abs(e), `erf(${x}) = ${g}, expected ${e}`);
  });
  assert.ok(Object.is(read(B.unary(K('erf'), f64([-0])))[0], -0));
  assert.ok(Number.isNaN(read(B.unary(K('erf'), f64([NaN])))[0]!));
});

test('reduce over [outer, r, inner] and cumsum', () => {
  // x[o,j,i] = 6o + 2j + i for shape [2,3,2]
  const x = f64(Array.from({ length: 12 }, (_, i) => i)), s = { outer: 2, r: 3, inner: 2 };
  // sum_j = 3(6o+i) + (0+2+4) → [6, 9, 24, 27]; max at j=2 → 6o+4+i; min at j=0 → 6o+i
  assert.deepEqual(read(B.reduce(K('sum'), x, s)), [6, 9, 24, 27]);
  assert.deepEqual(read(B.reduce(K('max'), x, s)), [4, 5, 10, 11]);
  assert.deepEqual(read(B.reduce(K('min'), x, s)), [0, 1, 6, 7]);
  const am = B.reduce(K('argmax'), x, s);
  assert.equal(am.dtype, 'int32');
  assert.deepEqual(read(am), [2, 2, 2, 2]);
  assert.deepEqual(read(B.reduce(K('argmin'), x, s)), [0, 0, 0, 0]);
  // prod over r=2 of [[1,2],[3,4]]: [1·3, 2·4]
  assert.deepEqual(read(B.reduce(K('prod'), i32([1, 2, 3, 4]), { outer: 1, r: 2, inner: 2 })), [3, 8]);
  // int32 sum wraps
  assert.deepEqual(read(B.reduce(K('sum'), i32([2147483647, 1]), { outer: 1, r: 2, inner: 1 })), [INT_MIN]);
  // NaN: max is NaN, argmax/argmin pick the first NaN; ties pick the first extreme
  const r4 = { outer: 1, r: 4, inner: 1 };
  close(read(B.reduce(K('max'), f32([1, NaN, 3, NaN]), r4)), [NaN]);
  assert.deepEqual(read(B.reduce(K('argmax'), f32([1, NaN, 3, NaN]), r4)), [1]);
  assert.deepEqual(read(B.reduce(K('argmin'), f64([1, NaN, 3, NaN]), r4)), [1]);
  assert.deepEqual(read(B.reduce(K('argmax'), i32([2, 5, 5, 1]), r4)), [1]);
  assert.deepEqual(read(B.reduce(K('argmin'), i32([2, 1, 5, 1]), r4)), [1]);
  // empty reduction: sum 0, prod 1, max has no answer
  const e = { outer: 2, r: 0, inner: 1 };
  assert.deepEqual(read(B.reduce(K('sum'), f64([]), e)), [0, 0]);
  assert.deepEqual(read(B.reduce(K('prod'), f64([]), e)), [1, 1]);
  assert.throws(() => B.reduce(K('max'), f64([]), e), /reduce amax: cannot reduce over an empty dimension/);
  assert.throws(() => B.reduce(K('sum'), f64([1, 2, 3]), r4), /reduce sum: shape \[1, 4, 1\] has 4 elements but the input has 3/);
  assert.throws(() => B.reduce(K('sum'), bool([1]), { outer: 1, r: 1, inner: 1 }), /reduce sum: dtype bool is not supported/);
  // cumsum along r of [outer=1, r=3, inner=2]: [[1,2],[3,4],[5,6]] → [[1,2],[4,6],[9,12]]
  assert.deepEqual(read(B.scan(K('sum'), f32([1, 2, 3, 4, 5, 6]), { outer: 1, r: 3, inner: 2 })), [1, 2, 4, 6, 9, 12]);
  assert.deepEqual(read(B.scan(K('sum'), i32([2147483647, 1]), { outer: 1, r: 2, inner: 1 })), [2147483647, INT_MIN]);
});

test('gather, scatterAdd, indexSelect, indexAdd', () => {
  // along dim 1 of x = [[1,2,3],[4,5,6]] (outer 2, r 3, inner 1), idx = [[2,0],[1,1]] → [[3,1],[5,5]]
  const x = f64([1, 2, 3, 4, 5, 6]), idx = i32([2, 0, 1, 1]);
  assert.deepEqual(read(B.gather(x, idx, 2, 3, 1, 2)), [3, 1, 5, 5]);
  // scatterAdd of src [[1,2],[3,4]] into zeros at the same idx: row 0 gets 1 at 2 and 2 at 0;
  // row 1 gets 3 + 4 at 1 → [[2,0,1],[0,7,0]]
  assert.deepEqual(read(B.scatterAdd(f64([0, 0, 0, 0, 0, 0]), idx, f64([1, 2, 3, 4]), 2, 3, 1, 2)), [2, 0, 1, 0, 7, 0]);
  assert.deepEqual(read(B.scatterAdd(i32([1, 1, 1, 1, 1, 1]), idx, i32([1, 2, 3, 4]), 2, 3, 1, 2)), [3, 1, 2, 1, 8, 1]);
  // indexSelect rows [2,0,2] of [[1,2],[3,4],[5,6]] (outer 1, r 3, inner 2)
  const m = f32([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(read(B.indexSelect(m, i32([2, 0, 2]), 1, 3, 2)), [5, 6, 1, 2, 5, 6]);
  // along the last dim (outer 3, r 2, inner 1): columns [1,1] → [[2,2],[4,4],[6,6]]
  assert.deepEqual(read(B.indexSelect(m, i32([1, 1]), 3, 2, 1)), [2, 2, 4, 4, 6, 6]);
  // indexAdd rows: idx [0,2,0], src [[1,1],[2,2],[3,3]] → row 0 += 1+3, row 2 += 2
  assert.deepEqual(read(B.indexAdd(f64([0, 0, 0, 0, 0, 0]), i32([0, 2, 0]), f64([1, 1, 2, 2, 3, 3]), 1, 3, 2)), [4, 4, 0, 0, 2, 2]);
  assert.throws(() => B.gather(x, i32([3, 0, 0, 0]), 2, 3, 1, 2), /gather: index 3 is out of range for a dimension of size 3/);
  assert.throws(() => B.gather(x, f64([0, 0, 0, 0]), 2, 3, 1, 2), /gather \(index\): dtype float64/);
  assert.throws(() => B.indexSelect(x, i32([-1]), 1, 6, 1), /indexSelect: index -1 is out of range/);
});

test('fill, fromArray, cast rules', () => {
  // fill converts its value like a cast: int32 truncates, bool is x != 0, float32 rounds
  assert.deepEqual(read(B.fill('int32', 2, -2.7)), [-2, -2]);
  assert.deepEqual(read(B.fill('bool', 1, 0.5)), [1]);
  assert.deepEqual(read(B.fill('float32', 1, 0.1)), [Math.fround(0.1)]);
  assert.deepEqual(read(B.fill('float64', 0, 1)), []);
  // float → int32 truncates toward zero; NaN and out-of-range give -2³¹ (torch on x86)
  assert.deepEqual(read(B.cast(f64([2.7, -2.7, -0.5, 1e10, NaN]), 'int32')), [2, -2, 0, INT_MIN, INT_MIN]);
  // → bool is x != 0 (NaN is true, -0 false)
  assert.deepEqual(read(B.cast(f64([0, -0, 0.5, NaN, -3]), 'bool')), [0, 0, 1, 1, 1]);
  // int32 → float32 rounds to nearest: 2²⁴ + 1 = 16777217 → 16777216
  assert.deepEqual(read(B.cast(i32([16777217, -3]), 'float32')), [16777216, -3]);
  assert.deepEqual(read(B.cast(bool([1, 0]), 'float64')), [1, 0]);
  assert.deepEqual(read(B.cast(f64([0.1]), 'float32')), [Math.fround(0.1)]);
  const c = B.cast(f32([1.5]), 'float64');
  assert.equal(c.dtype, 'float64');
  // fromArray copies and converts; a bool array is normalised to 0/1
  const src = new Float64Array([1.9, 2]);
  const s = B.fromArray(src, 'int32');
  src[0] = 99;
  assert.deepEqual(read(s), [1, 2]);
  assert.deepEqual(read(B.fromArray(new Uint8Array([0, 7]), 'bool')), [0, 1]);
  assert.throws(() => B.fill('int64' as DType, 1, 0), /fill: unknown dtype "int64"/);
});

test('memory: stats, readSync copies, free, use after free', async () => {
  const b = createJsBackend();
  assert.deepEqual(b.stats(), { storages: 0, bytes: 0 });
  assert.deepEqual(b.info(), { name: 'js', threads: 1 });
  const s = b.fill('float64', 3, 1);
  const t = b.fill('bool', 5, 1);
  assert.deepEqual(b.stats(), { storages: 2, bytes: 3 * 8 + 5 });
  const r = b.readSync(s);
  r[0] = 42;
  assert.deepEqual(Array.from(await b.read(s)), [1, 1, 1]);
  b.free(s);
  b.free(s); // a second free is a no-op
  assert.deepEqual(b.stats(), { storages: 1, bytes: 5 });
  assert.throws(() => b.readSync(s), /buffer of 3 elements was released/);
  assert.throws(() => b.unary(K('neg'), s), /was released/);
  b.free(t);
  assert.deepEqual(b.stats(), { storages: 0, bytes: 0 });
  const foreign = { backend: 'wasm', dtype: 'float32', size: 1 } as Storage;
  assert.throws(() => b.unary(K('neg'), foreign), /unary neg: expected a storage of the js backend, got one of backend 'wasm'/);
});
