// f32x4 exp and tanh for the element-wise kernels (Cephes-style: range reduction by ln 2 and a
// degree-6 polynomial, about 2 ulp); NaN propagates, overflow gives +inf, deep underflow 0.

import { madd } from './common';

// Constants as mutable globals: V8 rebuilds a v128 constant at each use inside a loop,
// while a global is one load.
let K0: v128 = f32x4.splat(-88.0);
let K1: v128 = f32x4.splat(88.8);
let K2: v128 = f32x4.splat(12582912.0);
let K3: v128 = f32x4.splat(1.44269504088896341);
let K4: v128 = f32x4.splat(0.693359375);
let K5: v128 = f32x4.splat(-2.12194440e-4);
let K6: v128 = f32x4.splat(1.9875691500e-4);
let K7: v128 = f32x4.splat(1.3981999507e-3);
let K8: v128 = f32x4.splat(8.3334519073e-3);
let K9: v128 = f32x4.splat(4.1665795894e-2);
let K10: v128 = f32x4.splat(1.6666665459e-1);
let K11: v128 = f32x4.splat(5.0000001201e-1);
let K12: v128 = f32x4.splat(1);
let K13: v128 = f32x4.splat(2);
let K14: v128 = f32x4.splat(-0.053968254);
let K15: v128 = f32x4.splat(0.13333334);
let K16: v128 = f32x4.splat(-0.33333334);
let K17: v128 = f32x4.splat(0.125);
let KI127: v128 = i32x4.splat(127);
let KSIGN: v128 = i32x4.splat(0x80000000);
let KE4: v128 = f32x4.splat(4);
let KEm4: v128 = f32x4.splat(-4);
let KA1: v128 = f32x4.splat(-1.60960333262415e-02);
let KA3: v128 = f32x4.splat(-2.95459980854025e-03);
let KA5: v128 = f32x4.splat(-7.34990630326855e-04);
let KA7: v128 = f32x4.splat(-5.69250639462346e-05);
let KA9: v128 = f32x4.splat(-2.10102402082508e-06);
let KA11: v128 = f32x4.splat(2.77068142495902e-08);
let KA13: v128 = f32x4.splat(-2.72614225801306e-10);
let KB0: v128 = f32x4.splat(-1.42647390514189e-02);
let KB2: v128 = f32x4.splat(-7.37332916720468e-03);
let KB4: v128 = f32x4.splat(-1.68282697438203e-03);
let KB6: v128 = f32x4.splat(-2.13374055278905e-04);
let KB8: v128 = f32x4.splat(-1.45660718464996e-05);

// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  // pmin/pmax are single instructions (min/max carry NaN rules that cost a sequence each);
  // with x first, a NaN x passes through both.
  x = f32x4.pmin(f32x4.pmax(x, K0), K1);
  // n = round(x·log2 e) by the 1.5·2^23 trick: the integer lands in the low mantissa bits
  const magic = K2;
  const t = f32x4.add(f32x4.mul(x, K3), magic);
  const n = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(n, K4));
  r = f32x4.sub(r, f32x4.mul(n, K5));
  let p = madd(K6, r, K7);
  p = madd(p, r, K8);
  p = madd(p, r, K9);
  p = madd(p, r, K10);
  p = madd(p, r, K11);
  p = f32x4.add(madd(f32x4.mul(p, r), r, r), K12);
  // 2^n through the exponent bits. n = 128 (x near the top of the range) is 2^127·2, so that
  // e^88.5 stays finite; n = -127 gives 0 (the result would be subnormal).
  const ni = i32x4.sub(t, magic);
  const top = i32x4.gt_s(ni, KI127);
  const e = i32x4.shl(i32x4.add(i32x4.add(ni, top), KI127), 23);
  return f32x4.mul(f32x4.mul(p, e), v128.bitselect(K13, K12, top));
}

// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = K12;
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

// tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1)); an odd polynomial near 0, where that form cancels.
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const a = f32x4.abs(x);
  const one = K12;
  const big = f32x4.sub(one, f32x4.div(K13, f32x4.add(vexp(f32x4.add(a, a)), one)));
  const signed = v128.or(big, v128.and(x, KSIGN));
  const x2 = f32x4.mul(x, x);
  let q = K14; // -17/315
  q = f32x4.add(f32x4.mul(q, x2), K15); // 2/15
  q = f32x4.add(f32x4.mul(q, x2), K16); // -1/3
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(q, x2), x));
  // lanes with |x| < 0.125 (and NaN, whose compare is false, keeps the big path's NaN)
  return v128.bitselect(small, signed, f32x4.lt(a, K17));
}

// erf as Eigen's (and XLA's) float32 rational approximation: x clamped to [-4, 4] (beyond, erf is ±1
// in float32), an odd degree-13 numerator over an even degree-8 denominator, within 8 ulp (4.2e-7) of the
// exact value (test/erf-simd.test.ts); NaN passes the clamp (pmin/pmax with x first) and propagates.
// @ts-ignore: decorator
@inline export function verf(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, KEm4), KE4);
  const x2 = f32x4.mul(x, x);
  let p = madd(x2, KA13, KA11);
  p = madd(x2, p, KA9);
  p = madd(x2, p, KA7);
  p = madd(x2, p, KA5);
  p = madd(x2, p, KA3);
  p = madd(x2, p, KA1);
  let q = madd(x2, KB8, KB6);
  q = madd(x2, q, KB4);
  q = madd(x2, q, KB2);
  q = madd(x2, q, KB0);
  return f32x4.div(f32x4.mul(x, p), q);
}

/**
 * The largest of the n floats at x, as softmax's shift: pmax is one instruction (max carries NaN rules
 * that cost a sequence) and four running maxima break the dependency chain. A NaN among the vector
 * lanes is dropped here; callers sum exp(x − max) next, where it reaches every output anyway. The
 * scalar tail keeps NaN. −∞ for n = 0.
 */
export function vrowmax(x: usize, n: i32): f32 {
  let j = 0;
  let v0 = f32x4.splat(-Infinity), v1 = v0, v2 = v0, v3 = v0;
  for (; j + 16 <= n; j += 16) {
    const q = x + (<usize>j << 2);
    v0 = f32x4.pmax(v0, v128.load(q)); v1 = f32x4.pmax(v1, v128.load(q, 16));
    v2 = f32x4.pmax(v2, v128.load(q, 32)); v3 = f32x4.pmax(v3, v128.load(q, 48));
  }
  for (; j + 4 <= n; j += 4) v0 = f32x4.pmax(v0, v128.load(x + (<usize>j << 2)));
  v0 = f32x4.pmax(f32x4.pmax(v0, v1), f32x4.pmax(v2, v3));
  let m = Mathf.max(Mathf.max(f32x4.extract_lane(v0, 0), f32x4.extract_lane(v0, 1)), Mathf.max(f32x4.extract_lane(v0, 2), f32x4.extract_lane(v0, 3)));
  for (; j < n; j++) m = Mathf.max(m, load<f32>(x + (<usize>j << 2)));
  return m;
}
