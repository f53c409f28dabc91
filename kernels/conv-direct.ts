// Direct float32 convolution for few input channels per group (first layers: cIn·kh·kw small): the
// forward pass with its bias/ReLU epilogue applied in registers, and the weight gradient.
// Parameter slots as conv.ts: n cIn h w cOut kh kw sh sw ph pw dh dw groups oh ow.
import { Conv } from '../src/backend/wasm/slots';
import { P, madd, imin, imax } from './common';
import { biasOf } from './epilogue';

// The input of one image-group is copied once per kernel column kx and row phase f < sh, shifted,
// strided and zero-padded, with the output's row length, for a band of output rows [oy0, oy0 + BR)
// (slot 16 of the parameters; the whole plane when the scratch holds it):
//   xs[ci][kx][f][r][ox] = x[ci][(oy0 + r)·sh + f - ph][ox·sw + kx·dw - pw],  r < Hb = BR + ⌊(kh-1)·dh / sh⌋.
// Tap (ci, ky, kx) of the band's output q = (oy - oy0)·ow + ox is then xs[ci][kx][f][a·ow + q] with
// ky·dh = a·sh + f: one run over the band, no row ends (short rows otherwise cost a third of the time).

/** Rows per band copy: BR output rows and the kernel's reach below them. */
// @ts-ignore: decorator
@inline function bandHeight(br: i32, kh: i32, dh: i32, sh: i32): i32 { return br + (kh - 1) * dh / sh; }

/** Scratch bytes of the copies of a band of br rows (with 64 bytes of slack for the last vector). */
// @ts-ignore: decorator
@inline function shiftBytes(cig: i32, br: i32, ow: i32, kh: i32, kw: i32, dh: i32, sh: i32): i32 {
  return ((cig * kw * sh * bandHeight(br, kh, dh, sh) * ow * 4 + 15) & ~15) + 64;
}

/** Zeros n floats at p. */
// @ts-ignore: decorator
@inline function zeroRow(p: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), f32x4.splat(0));
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

/** Copies n floats (short rows: memory.copy is a call into the engine, slow for a hundred bytes). */
// @ts-ignore: decorator
@inline function copyRow(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** Writes xs (see above) for channels [c0, c0+cig) of image n and the band from output row oy0. */
function shiftImage(x: usize, n: i32, c0: i32, cig: i32, cIn: i32, h: i32, w: i32, oy0: i32, ph: i32, pw: i32,
  kw: i32, dw: i32, sh: i32, sw: i32, Hb: i32, ow: i32, xs: usize): void {
  const rowBytes = <usize>ow << 2;
  let d = xs;
  for (let ci = 0; ci < cig; ci++) {
    const src = x + (<usize>((n * cIn + c0 + ci) * h * w) << 2);
    for (let kx = 0; kx < kw; kx++) {
      // output columns [lo, hi) read input columns ox·sw + sx inside the row
      const sx = kx * dw - pw;
      const lo = imin(ow, sx >= 0 ? 0 : (sw - 1 - sx) / sw), hi = imax(lo, imin(ow, w - 1 - sx < 0 ? 0 : (w - 1 - sx) / sw + 1));
      for (let f = 0; f < sh; f++) {
        for (let r = 0; r < Hb; r++) {
          const iy = (oy0 + r) * sh + f - ph;
          if (<u32>iy >= <u32>h) zeroRow(d, ow);
          else {
            for (let c = 0; c < lo; c++) store<f32>(d + (<usize>c << 2), 0);
            const row = src + (<usize>(iy * w + sx) << 2);
            if (sw == 1) copyRow(d + (<usize>lo << 2), row + (<usize>lo << 2), hi - lo);
            else for (let c = lo; c < hi; c++) store<f32>(d + (<usize>c << 2), load<f32>(row + (<usize>(c * sw) << 2)));
            for (let c = hi; c < ow; c++) store<f32>(d + (<usize>c << 2), 0);
          }
          d += rowBytes;
        }
      }
    }
  }
}

/** Byte offsets in xs of the taps t = (ci, ky, kx), in that order; `count` entries from t = 0, zeros past K. */
function tapOffsets(dst: usize, count: i32, cig: i32, kh: i32, kw: i32, dh: i32, sh: i32, Hb: i32, ow: i32): void {
  const K = cig * kh * kw;
  for (let t = 0; t < count; t++) {
    let o = 0;
    if (t < K) {
      const ci = t / (kh * kw), r = t - ci * kh * kw, ky = r / kw, kx = r - ky * kw;
      const a = ky * dh / sh, f = ky * dh - a * sh;
      o = (((((ci * kw + kx) * sh + f) * Hb) + a) * ow) << 2;
    }
    store<i32>(dst + (<usize>t << 2), o);
  }
}

/**
 * The epilogue without branches: act(v + b) as pmax(v + b, floor), where b is -0 without a bias
 * (x + -0 is x, -0 included) and floor is 0 for ReLU (x < 0 ? 0 : x) or -inf for none (x itself, NaN too).
 */
// @ts-ignore: decorator
@inline function fin(v: v128, b: v128, floor: v128): v128 { return f32x4.pmax(f32x4.add(v, b), floor); }

/** Stores lanes [0, lanes) of v (all four when lanes ≥ 4). */
// @ts-ignore: decorator
@inline function putPart(p: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(p + 4, f32x4.extract_lane(v, 1));
  if (lanes > 2) store<f32>(p + 8, f32x4.extract_lane(v, 2));
}

/** Bias of channel c as a vector, -0 without one (see fin). */
// @ts-ignore: decorator
@inline function biasVec(bias: usize, c: i32, valid: bool): v128 { return f32x4.splat(bias != 0 && valid ? biasOf(bias, c) : -0.0); }

/** Output channels per block of the forward: 4 × 8 outputs, 8 accumulators (6 × 8 measured slower: spills). */
const CB = 4;

// The forward's loops are functions of their own: V8 allocates registers per function, and the
// 4 × 8 loop ran 11% slower with the tail code in the same function.

/**
 * Outputs [0, n8) (a multiple of 8) of a plane of 4 channels: y at y0 (channel planes `plane` bytes
 * apart) from xs, taps at offs, the 4 channels' weights of a tap as one vector (w4: [tap][4] floats;
 * lanes broadcast by shuffles — one load instead of four, 2% faster), bias vectors bv.
 */
function plane4x8(xs: usize, y0: usize, n8: i32, K: i32, offs: usize, w4: usize, plane: usize, bv: usize, floor: v128): void {
  for (let q = 0; q < n8; q += 8) {
    let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    const xo = xs + (<usize>q << 2);
    let wq = w4;
    for (let t = 0; t < K; t++) {
      const p = xo + <usize>load<i32>(offs + (<usize>t << 2));
      const x0 = v128.load(p), x1 = v128.load(p, 16);
      const wt4 = v128.load(wq);
      let wv = i32x4.shuffle(wt4, wt4, 0, 0, 0, 0);
      a00 = madd(x0, wv, a00); a01 = madd(x1, wv, a01);
      wv = i32x4.shuffle(wt4, wt4, 1, 1, 1, 1);
      a10 = madd(x0, wv, a10); a11 = madd(x1, wv, a11);
      wv = i32x4.shuffle(wt4, wt4, 2, 2, 2, 2);
      a20 = madd(x0, wv, a20); a21 = madd(x1, wv, a21);
      wv = i32x4.shuffle(wt4, wt4, 3, 3, 3, 3);
      a30 = madd(x0, wv, a30); a31 = madd(x1, wv, a31);
      wq += 16;
    }
    const yo = y0 + (<usize>q << 2);
    let bj = v128.load(bv);
    v128.store(yo, fin(a00, bj, floor)); v128.store(yo, fin(a01, bj, floor), 16);
    bj = v128.load(bv, 16);
    v128.store(yo + plane, fin(a10, bj, floor)); v128.store(yo + plane, fin(a11, bj, floor), 16);
    bj = v128.load(bv, 32);
    v128.store(yo + 2 * plane, fin(a20, bj, floor)); v128.store(yo + 2 * plane, fin(a21, bj, floor), 16);
    bj = v128.load(bv, 48);
    v128.store(yo + 3 * plane, fin(a30, bj, floor)); v128.store(yo + 3 * plane, fin(a31, bj, floor), 16);
  }
}

/** The plane's last rem = 1–7 outputs (from q) of 4 channels: 4 × 8, stored up to rem. */
function tail4(xs: usize, y0: usize, q: i32, rem: i32, K: i32, offs: usize, wpk: usize, plane: usize, bv: usize, floor: v128): void {
  let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  const xo = xs + (<usize>q << 2);
  let wq = wpk;
  for (let t = 0; t < K; t++) {
    const p = xo + <usize>load<i32>(offs + (<usize>t << 2));
    const x0 = v128.load(p), x1 = v128.load(p, 16);
    let wv = v128.load(wq);
    a00 = madd(x0, wv, a00); a01 = madd(x1, wv, a01);
    wv = v128.load(wq, 16);
    a10 = madd(x0, wv, a10); a11 = madd(x1, wv, a11);
    wv = v128.load(wq, 32);
    a20 = madd(x0, wv, a20); a21 = madd(x1, wv, a21);
    wv = v128.load(wq, 48);
    a30 = madd(x0, wv, a30); a31 = madd(x1, wv, a31);
    wq += 64;
  }
  const yo = y0 + (<usize>q << 2), l0 = imin(rem, 4), l1 = rem - 4;
  for (let j = 0; j < 4; j++) {
    const bj = v128.load(bv + (<usize>j << 4)), yj = yo + <usize>j * plane;
    const v0 = j == 0 ? a00 : j == 1 ? a10 : j == 2 ? a20 : a30, v1 = j == 0 ? a01 : j == 1 ? a11 : j == 2 ? a21 : a31;
    putPart(yj, fin(v0, bj, floor), l0);
    if (l1 > 0) putPart(yj + 16, fin(v1, bj, floor), l1);
  }
}

/** A plane of one channel (a group's last 1–3): 16 outputs per step; weights at wj, 64 bytes per tap. */
function plane1(xs: usize, y0: usize, np: i32, K: i32, offs: usize, wj: usize, bj: v128, floor: v128): void {
  for (let q = 0; q < np; q += 16) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    const xo = xs + (<usize>q << 2);
    let wq = wj;
    for (let t = 0; t < K; t++) {
      const p = xo + <usize>load<i32>(offs + (<usize>t << 2));
      const wv = v128.load(wq);
      a0 = madd(v128.load(p), wv, a0); a1 = madd(v128.load(p, 16), wv, a1);
      a2 = madd(v128.load(p, 32), wv, a2); a3 = madd(v128.load(p, 48), wv, a3);
      wq += 64;
    }
    const yo = y0 + (<usize>q << 2), left = np - q;
    putPart(yo, fin(a0, bj, floor), left);
    if (left > 4) putPart(yo + 16, fin(a1, bj, floor), left - 4);
    if (left > 8) putPart(yo + 32, fin(a2, bj, floor), left - 8);
    if (left > 12) putPart(yo + 48, fin(a3, bj, floor), left - 12);
  }
}

/**
 * Forward over units [u0, u1), unit u = ((n · groups + g) · nbands + band) · nb + b: block b of image n's
 * output channels in group g — ⌊cog/4⌋ blocks of 4, then one of the last 1–3 — in a band of rows. Each output is Σ over taps in
 * (ci, ky, kx) order, then + bias, then ReLU: the same whatever the thread split. Scratch: tap
 * offsets (K ints), splatted weights of the block (K × 4 v128), the same as [tap][4] floats, bias
 * vectors (4 v128), then xs.
 */
export function conv_direct_f32(x: usize, wt: usize, y: usize, prm: usize, u0: i32, u1: i32, scratch: usize, bias: usize, relu: i32): void {
  const cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const groups = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow), BR = P(prm, Conv.band);
  const cig = cIn / groups, cog = cOut / groups, K = cig * kh * kw;
  const n4 = cog / CB, nb = n4 + (cog - n4 * CB > 0 ? 1 : 0), nbands = (oh + BR - 1) / BR;
  const Hb = bandHeight(BR, kh, dh, sh);
  const offs = scratch, wpk = scratch + ((<usize>K * 4 + 15) & ~15), w4 = wpk + <usize>K * 16 * CB, bv = w4 + <usize>K * 16, xs = bv + 16 * CB;
  const floor = f32x4.splat(relu != 0 ? 0 : -Infinity), plane = <usize>(oh * ow) << 2;
  tapOffsets(offs, K, cig, kh, kw, dh, sh, Hb, ow);
  let shifted = -1;
  for (let u = u0; u < u1; u++) {
    const ngb = u / nb, b = u - ngb * nb, ng = ngb / nbands, band = ngb - ng * nbands, n = ng / groups, g = ng - n * groups;
    const oy0 = band * BR, np = imin(BR, oh - oy0) * ow, n8 = np & ~7, rem = np - n8;
    if (ngb != shifted) { shiftImage(x, n, g * cig, cig, cIn, h, w, oy0, ph, pw, kw, dw, sh, sw, Hb, ow, xs); shifted = ngb; }
    const c0 = g * cog + CB * b, cb = imin(CB, cog - CB * b);
    // weights of the block: wpk[t][j] = splat(w[c0 + j][t]), w4[t][j] = w[c0 + j][t] (0 for j ≥ cb); bias vectors (-0 for none: see fin)
    for (let t = 0; t < K; t++) {
      for (let j = 0; j < CB; j++) {
        const v: f32 = j < cb ? load<f32>(wt + (<usize>((c0 + j) * K + t) << 2)) : 0;
        v128.store(wpk + (<usize>(t * CB + j) << 4), f32x4.splat(v));
        store<f32>(w4 + (<usize>(t * CB + j) << 2), v);
      }
    }
    for (let j = 0; j < CB; j++) v128.store(bv + (<usize>j << 4), biasVec(bias, c0 + j, j < cb));
    const y0 = y + (<usize>(n * cOut + c0) * plane) + (<usize>(oy0 * ow) << 2);
    if (cb == CB) {
      plane4x8(xs, y0, n8, K, offs, w4, plane, bv, floor);
      if (rem > 0) tail4(xs, y0, n8, rem, K, offs, wpk, plane, bv, floor);
    } else {
      for (let j = 0; j < cb; j++) plane1(xs, y0 + <usize>j * plane, np, K, offs, wpk + (<usize>j << 4), v128.load(bv + (<usize>j << 4)), floor);
    }
  }
}

/** Lanes [0, lanes) of the floats at p, zeros above (lanes < 4): never reads past them. */
// @ts-ignore: decorator
@inline function loadPart(p: usize, lanes: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Taps per pass of the weight gradient, and output channels per unit: 9 accumulators in registers. */
const TB = 3;
const CW = 3;

/**
 * One pass of the weight gradient: taps at byte offsets oa, ob, oc of xs against the gy planes
 * g0…g2 (np outputs each), added to the 9 accumulators at aq ([tap][channel] v128). Lanes past np
 * are zero in gy and in x (0 · inf would be NaN).
 */
function wpass(xs: usize, g0p: usize, g1p: usize, g2p: usize, np: i32, oa: usize, ob: usize, oc: usize, aq: usize): void {
  let a0a = v128.load(aq), a1a = v128.load(aq, 16), a2a = v128.load(aq, 32);
  let a0b = v128.load(aq, 48), a1b = v128.load(aq, 64), a2b = v128.load(aq, 80);
  let a0c = v128.load(aq, 96), a1c = v128.load(aq, 112), a2c = v128.load(aq, 128);
  const n4 = np & ~3, rem = np - n4;
  for (let q = 0; q < n4; q += 4) {
    const o = <usize>q << 2, xo = xs + o;
    const g0 = v128.load(g0p + o), g1 = v128.load(g1p + o), g2 = v128.load(g2p + o);
    let xv = v128.load(xo + oa);
    a0a = madd(g0, xv, a0a); a1a = madd(g1, xv, a1a); a2a = madd(g2, xv, a2a);
    xv = v128.load(xo + ob);
    a0b = madd(g0, xv, a0b); a1b = madd(g1, xv, a1b); a2b = madd(g2, xv, a2b);
    xv = v128.load(xo + oc);
    a0c = madd(g0, xv, a0c); a1c = madd(g1, xv, a1c); a2c = madd(g2, xv, a2c);
  }
  if (rem != 0) {
    const o = <usize>n4 << 2, xo = xs + o, mask = i32x4(-1, rem > 1 ? -1 : 0, rem > 2 ? -1 : 0, 0);
    const g0 = loadPart(g0p + o, rem), g1 = loadPart(g1p + o, rem), g2 = loadPart(g2p + o, rem);
    let xv = v128.and(v128.load(xo + oa), mask);
    a0a = madd(g0, xv, a0a); a1a = madd(g1, xv, a1a); a2a = madd(g2, xv, a2a);
    xv = v128.and(v128.load(xo + ob), mask);
    a0b = madd(g0, xv, a0b); a1b = madd(g1, xv, a1b); a2b = madd(g2, xv, a2b);
    xv = v128.and(v128.load(xo + oc), mask);
    a0c = madd(g0, xv, a0c); a1c = madd(g1, xv, a1c); a2c = madd(g2, xv, a2c);
  }
  v128.store(aq, a0a); v128.store(aq, a1a, 16); v128.store(aq, a2a, 32);
  v128.store(aq, a0b, 48); v128.store(aq, a1b, 64); v128.store(aq, a2b, 80);
  v128.store(aq, a0c, 96); v128.store(aq, a1c, 112); v128.store(aq, a2c, 128);
}

/**
 * Weight gradient over units [u0, u1), unit u = (g · nb + b) · nt + i with nb = ⌈cog/3⌉, nt = ⌈K/3⌉:
 * gw of output channels g·cog + 3b … (3 at once, fewer at a group's end) for taps 3i … 3i+2:
 * gw[co][t] = Σ over images n, then outputs q (bands of rows in order; 4 lane sums, added at the end)
 * of gy[n, co, q] · x at tap t — the same order whatever the thread split. Scratch: tap offsets (K rounded up to 3),
 * xs, then the accumulators ([unit][tap][channel] v128).
 */
export function conv_direct_bwd_weight_f32(x: usize, gy: usize, gw: usize, prm: usize, u0: i32, u1: i32, scratch: usize): void {
  const nImg = P(prm, Conv.n), cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const groups = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow), BR = P(prm, Conv.band);
  const cig = cIn / groups, cog = cOut / groups, K = cig * kh * kw, nb = (cog + CW - 1) / CW;
  const nt = (K + TB - 1) / TB, KT = nt * TB, Hb = bandHeight(BR, kh, dh, sh);
  const offs = scratch, xs = scratch + ((<usize>KT * 4 + 15) & ~15);
  const acc = xs + <usize>shiftBytes(cig, BR, ow, kh, kw, dh, sh);
  const plane = <usize>(oh * ow) << 2, unitBytes: usize = TB * CW * 16;
  tapOffsets(offs, KT, cig, kh, kw, dh, sh, Hb, ow);
  memory.fill(acc, 0, <usize>(u1 - u0) * unitBytes);
  for (let n = 0; n < nImg; n++) {
    for (let oy0 = 0; oy0 < oh; oy0 += BR) {
      const np = imin(BR, oh - oy0) * ow, bandOff = <usize>(oy0 * ow) << 2;
      let shifted = -1;
      for (let u = u0; u < u1; u++) {
        const cu = u / nt, i = u - cu * nt, g = cu / nb, b = cu - g * nb;
        if (g != shifted) { shiftImage(x, n, g * cig, cig, cIn, h, w, oy0, ph, pw, kw, dw, sh, sw, Hb, ow, xs); shifted = g; }
        const c0 = g * cog + CW * b, cb = imin(CW, cog - CW * b);
        // gy of the unit's channels in the band (a missing third channel repeats one; its sums are dropped)
        const gy0 = gy + <usize>(n * cOut + c0) * plane + bandOff, gy1 = gy0 + (cb > 1 ? plane : 0), gy2 = gy0 + (cb > 2 ? 2 * plane : 0);
        const ot = offs + (<usize>(TB * i) << 2);
        wpass(xs, gy0, gy1, gy2, np, <usize>load<i32>(ot), <usize>load<i32>(ot, 4), <usize>load<i32>(ot, 8), acc + <usize>(u - u0) * unitBytes);
      }
    }
  }
  for (let u = u0; u < u1; u++) {
    const cu = u / nt, i = u - cu * nt, g = cu / nb, b = cu - g * nb, c0 = g * cog + CW * b, cb = imin(CW, cog - CW * b);
    const au = acc + <usize>(u - u0) * unitBytes;
    for (let j = 0; j < cb; j++) {
      for (let k = 0; k < TB; k++) {
        const t = TB * i + k;
        if (t >= K) break;
        const v = v128.load(au + (<usize>(CW * k + j) << 4));
        const s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
        store<f32>(gw + (<usize>((c0 + j) * K + t) << 2), s);
      }
    }
  }
}
