// The scalar formulas of the element-wise ops and reductions, written once: the js backend calls
// these functions, and scripts/gen-kernels.ts renders this same file into the wasm kernels.
//
// The file is in the subset both languages read alike: every number is a float64 (`number` is
// AssemblyScript's f64), every local has a type annotation (AssemblyScript would make `let i = 0` an
// i32), functions named `int…` are the int32 formulas (rendered with i32; they wrap with `| 0` and
// Math.imul), and Math.abs/floor/ceil/trunc/sqrt are the only exact builtins used. Every other
// Math function (exp, log, sin…) is the host's: the kernels import the engine's own Math, so a
// float64 result is the same bits on both backends. No imports, no arrays, no allocation.

// ---- unary ----
export function neg(x: number): number { return -x; }
export function abs(x: number): number { return Math.abs(x); }
export function exp(x: number): number { return Math.exp(x); }
export function log(x: number): number { return Math.log(x); }
export function log1p(x: number): number { return Math.log1p(x); }
export function expm1(x: number): number { return Math.expm1(x); }
export function sqrt(x: number): number { return Math.sqrt(x); }
export function rsqrt(x: number): number { return 1 / Math.sqrt(x); }
export function reciprocal(x: number): number { return 1 / x; }
export function square(x: number): number { return x * x; }
export function sin(x: number): number { return Math.sin(x); }
export function cos(x: number): number { return Math.cos(x); }
export function tanh(x: number): number { return Math.tanh(x); }
export function sigmoid(x: number): number { return 1 / (1 + Math.exp(-x)); }
/** NaN and -0 pass through, as in torch. */
export function relu(x: number): number { return x < 0 ? 0 : x; }
/** torch 1.13: sign(NaN) = 0, sign(-0) = 0. */
export function sign(x: number): number { return x > 0 ? 1 : x < 0 ? -1 : 0; }
export function floor(x: number): number { return Math.floor(x); }
export function ceil(x: number): number { return Math.ceil(x); }
export function trunc(x: number): number { return Math.trunc(x); }
export function frac(x: number): number { return x - Math.trunc(x); }
/** torch.round: half to even (2.5 → 2, -0.5 → -0). */
export function round(x: number): number {
  const r: number = Math.floor(x);
  const d: number = x - r;
  let y: number = r;
  if (d > 0.5 || (d == 0.5 && r % 2 != 0)) y = r + 1;
  return y == 0 ? x * 0 : y; // keeps the sign of a zero result
}
export function not(x: number): number { return x == 0 ? 1 : 0; }
export function isnan(x: number): number { return x != x ? 1 : 0; }
export function isinf(x: number): number { return x == Infinity || x == -Infinity ? 1 : 0; }
/** Finite: neither NaN (x - x is NaN) nor ±∞ (x - x is NaN too). */
export function isfinite(x: number): number { return x - x == 0 ? 1 : 0; }
export function atan(x: number): number { return Math.atan(x); }
export function asin(x: number): number { return Math.asin(x); }
export function acos(x: number): number { return Math.acos(x); }
export function sinh(x: number): number { return Math.sinh(x); }
export function cosh(x: number): number { return Math.cosh(x); }
export function asinh(x: number): number { return Math.asinh(x); }
export function acosh(x: number): number { return Math.acosh(x); }
export function atanh(x: number): number { return Math.atanh(x); }
export function log2(x: number): number { return Math.log2(x); }
export function log10(x: number): number { return Math.log10(x); }
export function exp2(x: number): number { return Math.pow(2, x); }
export function logit(x: number): number { return Math.log(x / (1 - x)); }

// ---- binary ----
export function add(x: number, y: number): number { return x + y; }
export function sub(x: number, y: number): number { return x - y; }
export function mul(x: number, y: number): number { return x * y; }
export function div(x: number, y: number): number { return x / y; }
/** C's pow, which differs from Math.pow in pow(1, y) = 1 and pow(-1, ±∞) = 1. */
export function pow(x: number, y: number): number {
  if (x == 1) return 1;
  if (x == -1 && (y == Infinity || y == -Infinity)) return 1;
  return Math.pow(x, y);
}
/** NaN wins; max(-0, +0) = +0 (as f32x4.max). */
export function maximum(x: number, y: number): number {
  if (x != x) return x;
  if (y != y) return y;
  if (x == y) return x == 0 ? x + y : x;
  return x > y ? x : y;
}
/** NaN wins; min(-0, +0) = -0 (as f32x4.min). */
export function minimum(x: number, y: number): number {
  if (x != x) return x;
  if (y != y) return y;
  if (x == y) return x == 0 ? -(-x - y) : x;
  return x < y ? x : y;
}
export function eq(x: number, y: number): number { return x == y ? 1 : 0; }
export function ne(x: number, y: number): number { return x != y ? 1 : 0; }
export function lt(x: number, y: number): number { return x < y ? 1 : 0; }
export function le(x: number, y: number): number { return x <= y ? 1 : 0; }
export function gt(x: number, y: number): number { return x > y ? 1 : 0; }
export function ge(x: number, y: number): number { return x >= y ? 1 : 0; }
export function and(x: number, y: number): number { return x != 0 && y != 0 ? 1 : 0; }
export function or(x: number, y: number): number { return x != 0 || y != 0 ? 1 : 0; }
export function atan2(y: number, x: number): number { return Math.atan2(y, x); }
export function hypot(x: number, y: number): number { return Math.hypot(x, y); }
/** C's fmod: the sign of x (JavaScript's and AssemblyScript's % on floats). */
export function fmod(x: number, y: number): number { return x % y; }
/** Python's modulus: the sign of y (torch.remainder). */
export function remainder(x: number, y: number): number {
  let r: number = x % y;
  if (r != 0 && (y < 0) != (r < 0)) r = r + y;
  return r;
}
/** x·log(y), 0 where x = 0 (unless y is NaN), as torch.xlogy. */
export function xlogy(x: number, y: number): number {
  if (y != y) return y;
  if (x == 0) return 0;
  return x * Math.log(y);
}

// ---- reductions: a sum that skips NaN (torch.nansum) ----
export function nanAdd(acc: number, v: number): number { return v != v ? acc : acc + v; }

// ---- reductions: whether v replaces the best so far in a max / min (the first NaN wins, then the first extreme) ----
export function maxWins(best: number, v: number): number { return best == best && (v > best || v != v) ? 1 : 0; }
export function minWins(best: number, v: number): number { return best == best && (v < best || v != v) ? 1 : 0; }

// ---- int32 formulas (rendered with i32) ----
export function intNeg(x: number): number { return -x | 0; }
export function intAbs(x: number): number { return (x < 0 ? -x : x) | 0; }
export function intSquare(x: number): number { return Math.imul(x, x); }
export function intAdd(x: number, y: number): number { return (x + y) | 0; }
export function intSub(x: number, y: number): number { return (x - y) | 0; }
export function intMul(x: number, y: number): number { return Math.imul(x, y); }
/** int32 power as PyTorch computes it: wraps on overflow; negative exponents give 0 unless |x| = 1. */
export function intPow(x: number, y: number): number {
  if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) != 0 ? -1 : 1) : 0;
  let r: number = 1;
  let b: number = x;
  let e: number = y;
  while (e > 0) {
    if ((e & 1) != 0) r = Math.imul(r, b);
    b = Math.imul(b, b);
    e = e >> 1;
  }
  return r;
}
/** C's remainder of int32 (the op layer refuses a zero divisor, as torch does). */
export function intFmod(x: number, y: number): number { return y == 0 ? 0 : (x % y) | 0; }
export function intRemainder(x: number, y: number): number {
  let r: number = y == 0 ? 0 : (x % y) | 0;
  if (r != 0 && (y < 0) != (r < 0)) r = (r + y) | 0;
  return r;
}

// ---- special functions ----
const PI: number = 3.141592653589793;
const TWO_OVER_SQRT_PI: number = 1.1283791670955126; // 2/√π rounded to double
const TWO_OVER_SQRT_PI_LO: number = 1.533545961316588e-17; // 2/√π minus the double above
const INV_SQRT_PI: number = 0.5641895835477563; // 1/√π
const HALF_LOG_2PI: number = 0.9189385332046728; // log(2π)/2

// Double-double arithmetic (Dekker/Knuth error-free transformations). A value is hi + lo with
// |lo| ≤ ulp(hi)/2; results land in the module-level pair (rh, rl) to avoid allocating.
let rh: number = 0;
let rl: number = 0;
function twoSum(a: number, b: number): void {
  const s: number = a + b;
  const bb: number = s - a;
  rh = s; rl = (a - (s - bb)) + (b - bb);
}
function quickTwoSum(a: number, b: number): void {
  const s: number = a + b;
  rh = s; rl = b - (s - a);
}
function twoProd(a: number, b: number): void {
  const p: number = a * b;
  let c: number = 134217729 * a; // Veltkamp split, 26 bits each
  const ah: number = c - (c - a);
  const al: number = a - ah;
  c = 134217729 * b;
  const bh: number = c - (c - b);
  const bl: number = b - bh;
  rh = p; rl = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const s1: number = rh;
  let s2: number = rl;
  twoSum(al, bl);
  const t1: number = rh;
  const t2: number = rl;
  s2 += t1; quickTwoSum(s1, s2); s2 = rl + t2; quickTwoSum(rh, s2);
}
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p: number = rh;
  const e: number = rl + (ah * bl + al * bh);
  quickTwoSum(p, e);
}
function ddDivNum(ah: number, al: number, b: number): void {
  const q1: number = ah / b;
  twoProd(q1, b);
  const p1: number = rh;
  const p2: number = rl;
  twoSum(ah, -p1);
  const e: number = rl - p2 + al;
  const q2: number = (rh + e) / b;
  quickTwoSum(q1, q2);
}

/**
 * erfc(a) for a ≥ 2.5 by Laplace's continued fraction
 * erfc(a) = e^{-a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated backward from depth 60.
 */
function erfcLarge(a: number): number {
  let t: number = a;
  for (let n: number = 60; n >= 1; n--) t = a + (n / 2) / t;
  return Math.exp(-a * a) * INV_SQRT_PI / t;
}

/**
 * erf(x) to within one ulp (checked against torch.erf and 40-digit mpmath over [-7, 7]).
 * |x| < 2.5: the Maclaurin series erf(x) = 2/√π Σ (-1)ⁿ x^{2n+1} / (n!(2n+1)), summed in
 * double-double so its cancellation (terms up to ~1.7e3 at 2.5) costs nothing; |x| ≥ 2.5:
 * 1 - erfc, where erfc < 4.1e-4 hardly touches the result; |x| ≥ 6 rounds to ±1.
 */
export function erf(x: number): number {
  if (x != x) return x;
  const a: number = Math.abs(x);
  if (a == 0) return x; // keeps -0
  let r: number = 1;
  if (a < 2.5) {
    twoProd(a, a);
    const x2h: number = -rh;
    const x2l: number = -rl; // -x² exactly
    let th: number = a; // (-1)ⁿ x^{2n+1}/n!
    let tl: number = 0;
    let sh: number = a; // the partial sum
    let sl: number = 0;
    for (let n: number = 1; n < 200; n++) {
      ddMul(th, tl, x2h, x2l); ddDivNum(rh, rl, n); th = rh; tl = rl;
      ddDivNum(th, tl, 2 * n + 1);
      const uh: number = rh;
      const ul: number = rl;
      ddAdd(sh, sl, uh, ul); sh = rh; sl = rl;
      if (Math.abs(uh) < Math.abs(sh) * 1e-34) break;
    }
    // 2/√π = 1.12837916709551257389615890312… = TWO_OVER_SQRT_PI + TWO_OVER_SQRT_PI_LO
    r = TWO_OVER_SQRT_PI * sh + (TWO_OVER_SQRT_PI * sl + TWO_OVER_SQRT_PI_LO * sh);
  } else if (a < 6) {
    r = 1 - erfcLarge(a);
  }
  return x < 0 ? -r : r;
}

/** 1 - erf(x) without the cancellation: the continued fraction from 2.5 on, erfc(-x) = 2 - erfc(x). */
export function erfc(x: number): number {
  if (x != x) return x;
  const a: number = Math.abs(x);
  let r: number = 0;
  if (a < 2.5) r = 1 - erf(a);
  else if (a < 27.3) r = erfcLarge(a); // beyond, e^{-a²} underflows
  return x < 0 ? 2 - r : r;
}

/**
 * The inverse of erf: Giles' single-precision approximation ("Approximating the erfinv function",
 * 2010), then three Newton steps on erf (|x| ≤ 0.5) or on erfc against the exact 1 - |x| (beyond,
 * where erf(z) - x would cancel).
 */
export function erfinv(x: number): number {
  if (x != x || x < -1 || x > 1) return NaN;
  if (x == 1) return Infinity;
  if (x == -1) return -Infinity;
  if (x == 0) return x;
  const a: number = Math.abs(x);
  let w: number = -Math.log((1 - a) * (1 + a));
  let p: number = 0;
  if (w < 5) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  let z: number = p * a;
  const c: number = 1 - a; // exact for |x| ≥ 0.5
  for (let i: number = 0; i < 3; i++) {
    const d: number = TWO_OVER_SQRT_PI * Math.exp(-z * z);
    z = a <= 0.5 ? z - (erf(z) - a) / d : z + (erfc(z) - c) / d;
  }
  return x < 0 ? -z : z;
}

/** sin(πx), exact in the reduction (x - 2⌊x/2⌋ is exact below 2⁵²). */
function sinpi(x: number): number {
  let r: number = x - 2 * Math.floor(x * 0.5); // [0, 2)
  let s: number = 1;
  if (r >= 1) { r = r - 1; s = -1; }
  if (r > 0.5) r = 1 - r;
  return s * Math.sin(PI * r);
}

/** cos(πx), likewise. */
function cospi(x: number): number {
  let r: number = Math.abs(x) - 2 * Math.floor(Math.abs(x) * 0.5); // [0, 2)
  if (r > 1) r = 2 - r; // [0, 1]
  if (r > 0.5) return -Math.sin(PI * (r - 0.5));
  return Math.sin(PI * (0.5 - r));
}

/** log|Γ(x)|: reflection below 1/2, then the recurrence up to 10 and Stirling's series. */
export function lgamma(x: number): number {
  if (x != x) return x;
  if (x == Infinity || x == -Infinity) return Infinity;
  if (x <= 0 && x == Math.floor(x)) return Infinity;
  if (x < 0.5) return Math.log(PI / Math.abs(sinpi(x))) - lgamma(1 - x);
  let y: number = x;
  let prod: number = 1;
  while (y < 10) { prod = prod * y; y = y + 1; }
  const z: number = 1 / (y * y);
  const series: number = (1 / 12 - z * (1 / 360 - z * (1 / 1260 - z * (1 / 1680 - z * (1 / 1188 - z * (691 / 360360)))))) / y;
  return (y - 0.5) * Math.log(y) - y + HALF_LOG_2PI + series - Math.log(prod);
}

/** ψ(x) = Γ'(x)/Γ(x): reflection below 0, the recurrence up to 10, then the asymptotic series. */
export function digamma(x: number): number {
  if (x != x || x == -Infinity) return NaN;
  if (x == Infinity) return x;
  if (x == 0) return 1 / x > 0 ? -Infinity : Infinity; // torch: ψ(±0) = ∓∞
  if (x < 0) {
    if (x == Math.floor(x)) return NaN;
    return digamma(1 - x) - PI * cospi(x) / sinpi(x); // ψ(1-x) - ψ(x) = π·cot(πx)
  }
  let r: number = 0;
  let y: number = x;
  while (y < 10) { r = r - 1 / y; y = y + 1; }
  const z: number = 1 / (y * y);
  const series: number = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132 - z * (691 / 32760))))));
  return r + Math.log(y) - 0.5 / y - series;
}

/** ψ'(x) (torch.polygamma(1, x)): digamma's derivative, for its gradient. */
export function trigamma(x: number): number {
  if (x != x || x == -Infinity) return NaN;
  if (x == Infinity) return 0;
  if (x <= 0 && x == Math.floor(x)) return Infinity;
  if (x < 0) {
    const s: number = sinpi(x);
    return PI * PI / (s * s) - trigamma(1 - x); // ψ'(1-x) + ψ'(x) = π²/sin²(πx)
  }
  let r: number = 0;
  let y: number = x;
  while (y < 10) { r = r + 1 / (y * y); y = y + 1; }
  const z: number = 1 / (y * y);
  const series: number = (1 + z * (1 / 6 - z * (1 / 30 - z * (1 / 42 - z * (1 / 30 - z * (5 / 66)))))) / y;
  return r + series + 0.5 * z;
}
