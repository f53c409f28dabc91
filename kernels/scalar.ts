// Scalar helpers of the element-wise kernels: erf, integer division and power without traps,
// and NaN-propagating maximum / minimum.

// @ts-ignore: decorator
@inline export function idiv(x: i32, y: i32): i32 {
  if (y == 0) return 0;
  if (y == -1) return -x;
  return x / y;
}

export function ipow(x: i32, y: i32): i32 {
  if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;
  let r = 1;
  while (y) { if (y & 1) r *= x; x *= x; y >>= 1; }
  return r;
}

// @ts-ignore: decorator
@inline export function fmaxp<T>(x: T, y: T): T { return x != x ? x : y != y ? y : x > y ? x : y; }
// @ts-ignore: decorator
@inline export function fminp<T>(x: T, y: T): T { return x != x ? x : y != y ? y : x < y ? x : y; }

/** erf to double precision: Taylor series for |x| < 2.5, continued fraction of erfc beyond. */
export function erf64(x: f64): f64 {
  if (x != x) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / <f64>n;
      const t = term / <f64>(2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return sum * 1.1283791670955126;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc x = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …))))), evaluated bottom-up
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + (<f64>k * 0.5) / f;
  const erfc = Math.exp(-ax * ax) / f * 0.5641895835477563;
  return x > 0 ? 1 - erfc : erfc - 1;
}
