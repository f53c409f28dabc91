// Fused row kernels for the transformer composites (src/backend/wasm/rows.ts calls them): softmax and
// logSoftmax over the last dim (optionally with the causal mask applied by position, so no mask tensor
// is made), layer norm, and exact GELU, each forward and backward in one kernel. float32 with SIMD,
// float64 scalar (what gradcheck runs). Rows [start, end) of a contiguous [rows, C] block.

import * as S from './gen/scalar';
import { verf, vexp, vrowmax } from './vmath';

// @ts-ignore: decorator
@inline function fmaxp<T>(x: T, y: T): T { return x != x ? x : y != y ? y : x > y ? x : y; }
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 { return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)); }
// @ts-ignore: decorator
@inline function sexp(x: f32): f32 { return f32x4.extract_lane(vexp(f32x4.splat(x)), 0); }

/** Entries of row r that take part: all C, or with the causal mask (mode & 2) those j ≤ r mod L. */
// @ts-ignore: decorator
@inline function validOf(r: i32, C: i32, mode: i32, L: i32): i32 { return (mode & 2) != 0 ? min(C, (r % L) + 1) : C; }

// ---- softmax / logSoftmax (mode 1: log; mode 2: causal) ----
// m = the row's maximum (NaN propagates; 0 when ±inf, as the composite's stable shift), s = Σ exp(x − m);
// softmax y = exp(x − m)/s, logSoftmax y = (x − m) − log s; masked entries give 0 (softmax only).

export function softmax_rows_f32(px: usize, py: usize, C: i32, mode: i32, L: i32, start: i32, end: i32): void {
  const log = (mode & 1) != 0;
  for (let r = start; r < end; r++) {
    const x = px + (<usize>r * <usize>C << 2), y = py + (<usize>r * <usize>C << 2);
    const n = validOf(r, C, mode, L);
    let m = vrowmax(x, n);
    if (Mathf.abs(m) == Infinity) m = 0;
    const vmm = f32x4.splat(m);
    let vs = f32x4.splat(0);
    let j = 0;
    if (log) {
      let vs1 = vs;
      for (; j + 8 <= n; j += 8) {
        const q = x + (<usize>j << 2);
        vs = f32x4.add(vs, vexp(f32x4.sub(v128.load(q), vmm)));
        vs1 = f32x4.add(vs1, vexp(f32x4.sub(v128.load(q, 16), vmm)));
      }
      for (; j + 4 <= n; j += 4) vs = f32x4.add(vs, vexp(f32x4.sub(v128.load(x + (<usize>j << 2)), vmm)));
      vs = f32x4.add(vs, vs1);
      let s = hsum(vs);
      for (; j < n; j++) s += sexp(load<f32>(x + (<usize>j << 2)) - m);
      const vl = f32x4.splat(<f32>S.log(<f64>s));
      j = 0;
      for (; j + 4 <= n; j += 4) v128.store(y + (<usize>j << 2), f32x4.sub(f32x4.sub(v128.load(x + (<usize>j << 2)), vmm), vl));
      const l = f32x4.extract_lane(vl, 0);
      for (; j < n; j++) store<f32>(y + (<usize>j << 2), (load<f32>(x + (<usize>j << 2)) - m) - l);
      for (; j < C; j++) store<f32>(y + (<usize>j << 2), -Infinity);
      continue;
    }
    for (; j + 4 <= n; j += 4) {
      const e = vexp(f32x4.sub(v128.load(x + (<usize>j << 2)), vmm));
      v128.store(y + (<usize>j << 2), e);
      vs = f32x4.add(vs, e);
    }
    let s = hsum(vs);
    for (; j < n; j++) {
      const e = sexp(load<f32>(x + (<usize>j << 2)) - m);
      store<f32>(y + (<usize>j << 2), e);
      s += e;
    }
    const vsum = f32x4.splat(s);
    j = 0;
    for (; j + 4 <= n; j += 4) v128.store(y + (<usize>j << 2), f32x4.div(v128.load(y + (<usize>j << 2)), vsum));
    for (; j < n; j++) store<f32>(y + (<usize>j << 2), load<f32>(y + (<usize>j << 2)) / s);
    for (; j < C; j++) store<f32>(y + (<usize>j << 2), 0);
  }
}

export function softmax_rows_f64(px: usize, py: usize, C: i32, mode: i32, L: i32, start: i32, end: i32): void {
  const log = (mode & 1) != 0;
  for (let r = start; r < end; r++) {
    const x = px + (<usize>r * <usize>C << 3), y = py + (<usize>r * <usize>C << 3);
    const n = validOf(r, C, mode, L);
    let m: f64 = -Infinity;
    for (let j = 0; j < n; j++) m = fmaxp<f64>(m, load<f64>(x + (<usize>j << 3)));
    if (Math.abs(m) == Infinity) m = 0;
    let s: f64 = 0;
    for (let j = 0; j < n; j++) {
      const e = S.exp(load<f64>(x + (<usize>j << 3)) - m);
      if (!log) store<f64>(y + (<usize>j << 3), e);
      s += e;
    }
    if (log) {
      const l = S.log(s);
      for (let j = 0; j < n; j++) store<f64>(y + (<usize>j << 3), (load<f64>(x + (<usize>j << 3)) - m) - l);
      for (let j = n; j < C; j++) store<f64>(y + (<usize>j << 3), -Infinity);
    } else {
      for (let j = 0; j < n; j++) store<f64>(y + (<usize>j << 3), load<f64>(y + (<usize>j << 3)) / s);
      for (let j = n; j < C; j++) store<f64>(y + (<usize>j << 3), 0);
    }
  }
}

/** softmax: dx = y·(g − Σ g·y); logSoftmax (mode 1): dx = g − exp(y)·Σ g. */
export function softmax_rows_bwd_f32(py: usize, pg: usize, pdx: usize, C: i32, mode: i32, start: i32, end: i32): void {
  const log = (mode & 1) != 0;
  for (let r = start; r < end; r++) {
    const o = <usize>r * <usize>C << 2;
    const y = py + o, g = pg + o, dx = pdx + o;
    let j = 0;
    let va = f32x4.splat(0);
    if (log) {
      for (; j + 4 <= C; j += 4) va = f32x4.add(va, v128.load(g + (<usize>j << 2)));
    } else {
      for (; j + 4 <= C; j += 4) va = f32x4.add(va, f32x4.mul(v128.load(g + (<usize>j << 2)), v128.load(y + (<usize>j << 2))));
    }
    let a = hsum(va);
    for (; j < C; j++) a += log ? load<f32>(g + (<usize>j << 2)) : load<f32>(g + (<usize>j << 2)) * load<f32>(y + (<usize>j << 2));
    const vs = f32x4.splat(a);
    j = 0;
    if (log) {
      for (; j + 4 <= C; j += 4) {
        const q = <usize>j << 2;
        v128.store(dx + q, f32x4.sub(v128.load(g + q), f32x4.mul(vexp(v128.load(y + q)), vs)));
      }
      for (; j < C; j++) store<f32>(dx + (<usize>j << 2), load<f32>(g + (<usize>j << 2)) - sexp(load<f32>(y + (<usize>j << 2))) * a);
    } else {
      for (; j + 4 <= C; j += 4) {
        const q = <usize>j << 2;
        v128.store(dx + q, f32x4.mul(v128.load(y + q), f32x4.sub(v128.load(g + q), vs)));
      }
      for (; j < C; j++) store<f32>(dx + (<usize>j << 2), load<f32>(y + (<usize>j << 2)) * (load<f32>(g + (<usize>j << 2)) - a));
    }
  }
}

export function softmax_rows_bwd_f64(py: usize, pg: usize, pdx: usize, C: i32, mode: i32, start: i32, end: i32): void {
  const log = (mode & 1) != 0;
  for (let r = start; r < end; r++) {
    const o = <usize>r * <usize>C << 3;
    const y = py + o, g = pg + o, dx = pdx + o;
    let a: f64 = 0;
    for (let j = 0; j < C; j++) a += log ? load<f64>(g + (<usize>j << 3)) : load<f64>(g + (<usize>j << 3)) * load<f64>(y + (<usize>j << 3));
    for (let j = 0; j < C; j++) {
      const q = <usize>j << 3;
      store<f64>(dx + q, log ? load<f64>(g + q) - S.exp(load<f64>(y + q)) * a : load<f64>(y + q) * (load<f64>(g + q) - a));
    }
  }
}

// ---- layer norm over rows of C: y = (x − mean)·rstd·w + b, rstd = 1/√(var + eps) (biased variance) ----
// pw / pb are 0 when there is no weight / bias; the row's mean and rstd are kept for the backward.

export function layer_norm_f32(px: usize, pw: usize, pb: usize, py: usize, pmean: usize, prstd: usize, C: i32, eps64: f64, start: i32, end: i32): void {
  const eps = <f32>eps64, invC = <f32>1 / <f32>C;
  for (let r = start; r < end; r++) {
    const x = px + (<usize>r * <usize>C << 2), y = py + (<usize>r * <usize>C << 2);
    let j = 0;
    let vs = f32x4.splat(0);
    for (; j + 4 <= C; j += 4) vs = f32x4.add(vs, v128.load(x + (<usize>j << 2)));
    let s = hsum(vs);
    for (; j < C; j++) s += load<f32>(x + (<usize>j << 2));
    const mean = s * invC, vmean = f32x4.splat(mean);
    let vq = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= C; j += 4) { const d = f32x4.sub(v128.load(x + (<usize>j << 2)), vmean); vq = f32x4.add(vq, f32x4.mul(d, d)); }
    let q = hsum(vq);
    for (; j < C; j++) { const d = load<f32>(x + (<usize>j << 2)) - mean; q += d * d; }
    const rstd = <f32>1 / Mathf.sqrt(q * invC + eps), vr = f32x4.splat(rstd);
    store<f32>(pmean + (<usize>r << 2), mean);
    store<f32>(prstd + (<usize>r << 2), rstd);
    j = 0;
    for (; j + 4 <= C; j += 4) {
      const k = <usize>j << 2;
      let v = f32x4.mul(f32x4.sub(v128.load(x + k), vmean), vr);
      if (pw) v = f32x4.mul(v, v128.load(pw + k));
      if (pb) v = f32x4.add(v, v128.load(pb + k));
      v128.store(y + k, v);
    }
    for (; j < C; j++) {
      const k = <usize>j << 2;
      let v = (load<f32>(x + k) - mean) * rstd;
      if (pw) v *= load<f32>(pw + k);
      if (pb) v += load<f32>(pb + k);
      store<f32>(y + k, v);
    }
  }
}

export function layer_norm_f64(px: usize, pw: usize, pb: usize, py: usize, pmean: usize, prstd: usize, C: i32, eps: f64, start: i32, end: i32): void {
  for (let r = start; r < end; r++) {
    const x = px + (<usize>r * <usize>C << 3), y = py + (<usize>r * <usize>C << 3);
    let s: f64 = 0;
    for (let j = 0; j < C; j++) s += load<f64>(x + (<usize>j << 3));
    const mean = s / <f64>C;
    let q: f64 = 0;
    for (let j = 0; j < C; j++) { const d = load<f64>(x + (<usize>j << 3)) - mean; q += d * d; }
    const rstd = 1 / Math.sqrt(q / <f64>C + eps);
    store<f64>(pmean + (<usize>r << 3), mean);
    store<f64>(prstd + (<usize>r << 3), rstd);
    for (let j = 0; j < C; j++) {
      const k = <usize>j << 3;
      let v = (load<f64>(x + k) - mean) * rstd;
      if (pw) v *= load<f64>(pw + k);
      if (pb) v += load<f64>(pb + k);
      store<f64>(y + k, v);
    }
  }
}

/** dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with x̂ = (x − mean)·rstd and ĝ = g·w (g without a weight). */
export function layer_norm_bwd_f32(px: usize, pw: usize, pmean: usize, prstd: usize, pg: usize, pdx: usize, C: i32, start: i32, end: i32): void {
  const invC = <f32>1 / <f32>C;
  for (let r = start; r < end; r++) {
    const o = <usize>r * <usize>C << 2;
    const x = px + o, g = pg + o, dx = pdx + o;
    const mean = load<f32>(pmean + (<usize>r << 2)), rstd = load<f32>(prstd + (<usize>r << 2));
    const vmean = f32x4.splat(mean), vr = f32x4.splat(rstd);
    let va = f32x4.splat(0), vb = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const k = <usize>j << 2;
      let gw = v128.load(g + k);
      if (pw) gw = f32x4.mul(gw, v128.load(pw + k));
      va = f32x4.add(va, gw);
      vb = f32x4.add(vb, f32x4.mul(gw, f32x4.mul(f32x4.sub(v128.load(x + k), vmean), vr)));
    }
    let a = hsum(va), b = hsum(vb);
    for (; j < C; j++) {
      const k = <usize>j << 2;
      let gw = load<f32>(g + k);
      if (pw) gw *= load<f32>(pw + k);
      a += gw;
      b += gw * ((load<f32>(x + k) - mean) * rstd);
    }
    a *= invC; b *= invC;
    const vA = f32x4.splat(a), vB = f32x4.splat(b);
    j = 0;
    for (; j + 4 <= C; j += 4) {
      const k = <usize>j << 2;
      let gw = v128.load(g + k);
      if (pw) gw = f32x4.mul(gw, v128.load(pw + k));
      const xh = f32x4.mul(f32x4.sub(v128.load(x + k), vmean), vr);
      v128.store(dx + k, f32x4.mul(vr, f32x4.sub(f32x4.sub(gw, vA), f32x4.mul(xh, vB))));
    }
    for (; j < C; j++) {
      const k = <usize>j << 2;
      let gw = load<f32>(g + k);
      if (pw) gw *= load<f32>(pw + k);
      store<f32>(dx + k, rstd * ((gw - a) - ((load<f32>(x + k) - mean) * rstd) * b));
    }
  }
}

export function layer_norm_bwd_f64(px: usize, pw: usize, pmean: usize, prstd: usize, pg: usize, pdx: usize, C: i32, start: i32, end: i32): void {
  for (let r = start; r < end; r++) {
    const o = <usize>r * <usize>C << 3;
    const x = px + o, g = pg + o, dx = pdx + o;
    const mean = load<f64>(pmean + (<usize>r << 3)), rstd = load<f64>(prstd + (<usize>r << 3));
    let a: f64 = 0, b: f64 = 0;
    for (let j = 0; j < C; j++) {
      const k = <usize>j << 3;
      const gw = pw ? load<f64>(g + k) * load<f64>(pw + k) : load<f64>(g + k);
      a += gw;
      b += gw * ((load<f64>(x + k) - mean) * rstd);
    }
    a /= <f64>C; b /= <f64>C;
    for (let j = 0; j < C; j++) {
      const k = <usize>j << 3;
      const gw = pw ? load<f64>(g + k) * load<f64>(pw + k) : load<f64>(g + k);
      store<f64>(dx + k, rstd * ((gw - a) - ((load<f64>(x + k) - mean) * rstd) * b));
    }
  }
}

/** Columns [start, end) of dw = Σ_r g·x̂ and db = Σ_r g over all R rows (pdw / pdb 0: not wanted). */
export function layer_norm_wb_f32(px: usize, pmean: usize, prstd: usize, pg: usize, pdw: usize, pdb: usize, R: i32, C: i32, start: i32, end: i32): void {
  let j = start;
  for (; j + 4 <= end; j += 4) {
    const k = <usize>j << 2;
    let vw = f32x4.splat(0), vb = f32x4.splat(0);
    for (let r = 0; r < R; r++) {
      const o = (<usize>r * <usize>C << 2) + k;
      const g = v128.load(pg + o);
      vb = f32x4.add(vb, g);
      const xh = f32x4.mul(f32x4.sub(v128.load(px + o), f32x4.splat(load<f32>(pmean + (<usize>r << 2)))), f32x4.splat(load<f32>(prstd + (<usize>r << 2))));
      vw = f32x4.add(vw, f32x4.mul(g, xh));
    }
    if (pdw) v128.store(pdw + k, vw);
    if (pdb) v128.store(pdb + k, vb);
  }
  for (; j < end; j++) {
    const k = <usize>j << 2;
    let sw: f32 = 0, sb: f32 = 0;
    for (let r = 0; r < R; r++) {
      const o = (<usize>r * <usize>C << 2) + k;
      const g = load<f32>(pg + o);
      sb += g;
      sw += g * ((load<f32>(px + o) - load<f32>(pmean + (<usize>r << 2))) * load<f32>(prstd + (<usize>r << 2)));
    }
    if (pdw) store<f32>(pdw + k, sw);
    if (pdb) store<f32>(pdb + k, sb);
  }
}

export function layer_norm_wb_f64(px: usize, pmean: usize, prstd: usize, pg: usize, pdw: usize, pdb: usize, R: i32, C: i32, start: i32, end: i32): void {
  for (let j = start; j < end; j++) {
    const k = <usize>j << 3;
    let sw: f64 = 0, sb: f64 = 0;
    for (let r = 0; r < R; r++) {
      const o = (<usize>r * <usize>C << 3) + k;
      const g = load<f64>(pg + o);
      sb += g;
      sw += g * ((load<f64>(px + o) - load<f64>(pmean + (<usize>r << 3))) * load<f64>(prstd + (<usize>r << 3)));
    }
    if (pdw) store<f64>(pdw + k, sw);
    if (pdb) store<f64>(pdb + k, sb);
  }
}

// ---- exact GELU: y = (x/2)·(erf(x/√2) + 1); dy/dx = (erf(x/√2) + 1)/2 + x·exp(−x²/2)/√(2π) ----

const RSQRT2: f32 = <f32>0.7071067811865476;
const RSQRT2PI: f32 = <f32>0.3989422804014327;

export function gelu_f32(px: usize, py: usize, start: i32, end: i32): void {
  const h = f32x4.splat(0.5), one = f32x4.splat(1), k = f32x4.splat(RSQRT2);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(px + o);
    v128.store(py + o, f32x4.mul(f32x4.mul(x, h), f32x4.add(verf(f32x4.mul(x, k)), one)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(px + o);
    store<f32>(py + o, (x * <f32>0.5) * (<f32>S.erf(<f64>(x * RSQRT2)) + <f32>1));
  }
}

export function gelu_f64(px: usize, py: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    const o = <usize>i << 3;
    const x = load<f64>(px + o);
    store<f64>(py + o, (x * 0.5) * (S.erf(x * Math.SQRT1_2) + 1));
  }
}

export function gelu_bwd_f32(px: usize, pg: usize, pdx: usize, start: i32, end: i32): void {
  const h = f32x4.splat(0.5), one = f32x4.splat(1), k = f32x4.splat(RSQRT2), c = f32x4.splat(RSQRT2PI), mh = f32x4.splat(-0.5);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(px + o);
    const cdf = f32x4.mul(f32x4.add(verf(f32x4.mul(x, k)), one), h);
    const pdf = f32x4.mul(vexp(f32x4.mul(f32x4.mul(x, x), mh)), c);
    v128.store(pdx + o, f32x4.mul(v128.load(pg + o), f32x4.add(cdf, f32x4.mul(x, pdf))));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(px + o);
    const cdf = (<f32>S.erf(<f64>(x * RSQRT2)) + <f32>1) * <f32>0.5;
    const pdf = sexp(x * x * <f32>-0.5) * RSQRT2PI;
    store<f32>(pdx + o, load<f32>(pg + o) * (cdf + x * pdf));
  }
}

export function gelu_bwd_f64(px: usize, pg: usize, pdx: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    const o = <usize>i << 3;
    const x = load<f64>(px + o);
    const cdf = (S.erf(x * Math.SQRT1_2) + 1) * 0.5;
    const pdf = S.exp(x * x * -0.5) * 0.3989422804014327;
    store<f64>(pdx + o, load<f64>(pg + o) * (cdf + x * pdf));
  }
}
