// f32x4 exp and tanh for the element-wise kernels (Cephes-style: range reduction by ln 2 and a
// degree-6 polynomial, about 2 ulp); NaN propagates, overflow gives +inf, deep underflow 0.

// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-88.0)), f32x4.splat(88.8));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // 2^n through the exponent bits. n = 128 (x near the top of the range) is 2^127·2, so that
  // e^88.5 stays finite; n = -127 gives 0 (the result would be subnormal).
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const top = i32x4.gt_s(ni, i32x4.splat(127));
  const e = i32x4.shl(i32x4.add(i32x4.add(ni, top), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, e), v128.bitselect(f32x4.splat(2), f32x4.splat(1), top));
}

// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

// tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1)); an odd polynomial near 0, where that form cancels.
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const a = f32x4.abs(x);
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(a, a)), one)));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  const x2 = f32x4.mul(x, x);
  let q = f32x4.splat(-0.053968254); // -17/315
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(0.13333334)); // 2/15
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-0.33333334)); // -1/3
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(q, x2), x));
  // lanes with |x| < 0.125 (and NaN, whose compare is false, keeps the big path's NaN)
  return v128.bitselect(small, signed, f32x4.lt(a, f32x4.splat(0.125)));
}
