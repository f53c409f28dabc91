// f32x4 natural log for the element-wise kernels (Cephes' logf: x = m·2^e with m in [√½, √2),
// log(1 + f) by a degree-9 polynomial, e·ln 2 added in two parts), within 1 ulp of the exact
// value (test/log-simd.test.ts); subnormals are scaled into the normal range first; log 0 = −∞,
// negative x and NaN give NaN, +∞ stays +∞.

// Constants as mutable globals (one load each, where V8 would rebuild a v128 constant per use).
let L_MINNORM: v128 = f32x4.splat(1.17549435e-38);
let L_SCALE: v128 = f32x4.splat(33554432.0); // 2^25
let L_SCALE_E: v128 = i32x4.splat(25);
let L_MANT: v128 = i32x4.splat(0x807fffff);
let L_HALF_BITS: v128 = i32x4.splat(0x3f000000);
let L_E126: v128 = i32x4.splat(126);
let L_SQRTHF: v128 = f32x4.splat(0.707106781186547524);
let L_ONE: v128 = f32x4.splat(1);
let L_P0: v128 = f32x4.splat(7.0376836292e-2);
let L_P1: v128 = f32x4.splat(-1.1514610310e-1);
let L_P2: v128 = f32x4.splat(1.1676998740e-1);
let L_P3: v128 = f32x4.splat(-1.2420140846e-1);
let L_P4: v128 = f32x4.splat(1.4249322787e-1);
let L_P5: v128 = f32x4.splat(-1.6668057665e-1);
let L_P6: v128 = f32x4.splat(2.0000714765e-1);
let L_P7: v128 = f32x4.splat(-2.4999993993e-1);
let L_P8: v128 = f32x4.splat(3.3333331174e-1);
let L_Q1: v128 = f32x4.splat(-2.12194440e-4);
let L_Q2: v128 = f32x4.splat(0.693359375);
let L_MHALF: v128 = f32x4.splat(-0.5);
let L_ZERO: v128 = f32x4.splat(0);
let L_INF: v128 = f32x4.splat(Infinity);
let L_NINF: v128 = f32x4.splat(-Infinity);
let L_NAN: v128 = f32x4.splat(NaN);

// @ts-ignore: decorator
@inline export function vlog(x0: v128): v128 {
  // subnormal lanes ×2^25 (their exponent then says 25 too much)
  const sub = f32x4.lt(x0, L_MINNORM);
  const x1 = v128.bitselect(f32x4.mul(x0, L_SCALE), x0, sub);
  // x1 = m·2^e, m in [0.5, 1)
  let e = i32x4.sub(i32x4.sub(i32x4.shr_u(x1, 23), L_E126), v128.and(sub, L_SCALE_E));
  const m = v128.or(v128.and(x1, L_MANT), L_HALF_BITS);
  // m < √½: use 2m − 1 and e − 1, so that f = m − 1 lies in [√½ − 1, √2 − 1)
  const lowM = f32x4.lt(m, L_SQRTHF);
  e = i32x4.add(e, lowM);
  const f = f32x4.add(f32x4.sub(m, L_ONE), v128.and(m, lowM));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(f, f);
  let p = f32x4.add(f32x4.mul(L_P0, f), L_P1);
  p = f32x4.add(f32x4.mul(p, f), L_P2);
  p = f32x4.add(f32x4.mul(p, f), L_P3);
  p = f32x4.add(f32x4.mul(p, f), L_P4);
  p = f32x4.add(f32x4.mul(p, f), L_P5);
  p = f32x4.add(f32x4.mul(p, f), L_P6);
  p = f32x4.add(f32x4.mul(p, f), L_P7);
  p = f32x4.add(f32x4.mul(p, f), L_P8);
  let y = f32x4.mul(f32x4.mul(p, f), z);
  y = f32x4.add(y, f32x4.mul(fe, L_Q1));
  y = f32x4.add(y, f32x4.mul(z, L_MHALF));
  let r = f32x4.add(f32x4.add(f, y), f32x4.mul(fe, L_Q2));
  // special lanes: +∞ → +∞, 0 → −∞, negative or NaN → NaN
  r = v128.bitselect(L_INF, r, f32x4.eq(x0, L_INF));
  r = v128.bitselect(L_NINF, r, f32x4.eq(x0, L_ZERO));
  return v128.bitselect(L_NAN, r, v128.not(f32x4.ge(x0, L_ZERO)));
}
