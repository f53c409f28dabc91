// Scalar math with PyTorch's float semantics where JS differs: erf, round-half-to-even,
// C's pow edge cases, and int32 power that wraps.

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π rounded to double
const TWO_OVER_SQRT_PI_LO = 1.533545961316588e-17; // 2/√π minus the double above
const INV_SQRT_PI = 0.5641895835477563; // 1/√π

// Double-double arithmetic (Dekker/Knuth error-free transformations). A value is hi + lo with
// |lo| ≤ ulp(hi)/2; results land in the module-level pair (rh, rl) to avoid allocating.
let rh = 0, rl = 0;
function twoSum(a: number, b: number): void {
  const s = a + b, bb = s - a;
  rh = s; rl = (a - (s - bb)) + (b - bb);
}
function quickTwoSum(a: number, b: number): void {
  const s = a + b;
  rh = s; rl = b - (s - a);
}
function twoProd(a: number, b: number): void {
  const p = a * b;
  let c = 134217729 * a; const ah = c - (c - a), al = a - ah; // Veltkamp split, 26 bits each
  c = 134217729 * b; const bh = c - (c - b), bl = b - bh;
  rh = p; rl = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh); const s1 = rh; let s2 = rl;
  twoSum(al, bl); const t1 = rh, t2 = rl;
  s2 += t1; quickTwoSum(s1, s2); s2 = rl + t2; quickTwoSum(rh, s2);
}
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh); const p = rh, e = rl + (ah * bl + al * bh);
  quickTwoSum(p, e);
}
function ddDivNum(ah: number, al: number, b: number): void {
  const q1 = ah / b;
  twoProd(q1, b); const p1 = rh, p2 = rl;
  twoSum(ah, -p1); const e = rl - p2 + al;
  const q2 = (rh + e) / b;
  quickTwoSum(q1, q2);
}

/**
 * erf(x) to within one ulp (checked against torch.erf and 40-digit mpmath in float64 over [-7, 7]).
 * |x| < 2.5: the Maclaurin series  erf(x) = 2/√π Σ (-1)ⁿ x^{2n+1} / (n!(2n+1)),  summed in
 * double-double so its cancellation (terms up to ~1.7e3 at 2.5) costs nothing.
 * |x| ≥ 2.5: erf = 1 - erfc, with Laplace's continued fraction
 *   erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
 * evaluated backward from depth 60 (converged to double precision for x ≥ 2.5); there
 * erfc < 4.1e-4, so its own rounding hardly touches erf. For |x| ≥ 6, erf rounds to ±1.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a === 0) return x; // keeps -0
  let r: number;
  if (a < 2.5) {
    twoProd(a, a); const x2h = -rh, x2l = -rl; // -x² exactly
    let th = a, tl = 0; // (-1)ⁿ x^{2n+1}/n!
    let sh = a, sl = 0; // the partial sum
    for (let n = 1; n < 200; n++) {
      ddMul(th, tl, x2h, x2l); ddDivNum(rh, rl, n); th = rh; tl = rl;
      ddDivNum(th, tl, 2 * n + 1); const uh = rh, ul = rl;
      ddAdd(sh, sl, uh, ul); sh = rh; sl = rl;
      if (Math.abs(uh) < Math.abs(sh) * 1e-34) break;
    }
    // 2/√π = 1.12837916709551257389615890312… = TWO_OVER_SQRT_PI + TWO_OVER_SQRT_PI_LO
    r = TWO_OVER_SQRT_PI * sh + (TWO_OVER_SQRT_PI * sl + TWO_OVER_SQRT_PI_LO * sh);
  } else if (a < 6) {
    let t = a;
    for (let n = 60; n >= 1; n--) t = a + (n / 2) / t;
    r = 1 - Math.exp(-a * a) * INV_SQRT_PI / t;
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}

/** torch.round: half to even (2.5 → 2, -0.5 → -0). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // half up
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** C's pow, which differs from Math.pow in pow(1, y) = 1 and pow(-1, ±∞) = 1. */
export function powC(a: number, b: number): number {
  if (a === 1) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

/** int32 power as PyTorch computes it: wraps on overflow; negative exponents give 0 unless |a| = 1. */
export function powInt(a: number, b: number): number {
  if (b < 0) {
    if (a === 1) return 1;
    if (a === -1) return (b & 1) === 0 ? 1 : -1;
    return 0;
  }
  let result = 1, base = a | 0, e = b;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return result;
}
