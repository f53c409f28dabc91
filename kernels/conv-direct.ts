// Direct float32 convolution for few input channels per group (first layers: cIn·kh·kw small), stride 1:
// the forward pass with its bias/ReLU epilogue applied in registers, and the weight gradient.
// Parameter slots as conv.ts: n cIn h w cOut kh kw sh sw ph pw dh dw groups oh ow.

import { madd, imin } from './common';
import { biasOf } from './epilogue';

// @ts-ignore: decorator
@inline function P(prm: usize, i: i32): i32 { return load<i32>(prm + (<usize>i << 2)); }

/**
 * Geometry both kernels share. The input of one image-group is copied to a zero-padded buffer
 * xp [cig][Hp][Wp], Hp = oh + (kh-1)·dh rows and Wp ≥ owv + (kw-1)·dw columns (owv = ow rounded up
 * to 4), so every tap of every output vector is an unconditional load.
 */
// @ts-ignore: decorator
@inline function padWidth(ow: i32, kw: i32, dw: i32): i32 { return ((((ow + 3) & ~3) + (kw - 1) * dw) + 3) & ~3; }

/** Scratch bytes of the padded input of one image-group (16-aligned). */
export function conv_direct_pad_bytes(cig: i32, oh: i32, ow: i32, kh: i32, kw: i32, dh: i32, dw: i32): i32 {
  return cig * (oh + (kh - 1) * dh) * padWidth(ow, kw, dw) * 4;
}

/** Copies n floats (short rows: memory.copy is a call into the engine, slow for a hundred bytes). */
// @ts-ignore: decorator
@inline function copyRow(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** Copies channels [c0, c0+cig) of image n into xp, zero-padded (rows r ↔ iy = r - ph, columns c ↔ ix = c - pw). */
function padImage(x: usize, n: i32, c0: i32, cig: i32, cIn: i32, h: i32, w: i32, ph: i32, pw: i32, Hp: i32, Wp: i32, xp: usize): void {
  memory.fill(xp, 0, <usize>(cig * Hp * Wp) << 2);
  const c_lo = pw > 0 ? pw : 0, c_hi = imin(Wp, w + pw);
  if (c_hi <= c_lo) return;
  for (let ci = 0; ci < cig; ci++) {
    const src = x + (<usize>((n * cIn + c0 + ci) * h * w) << 2);
    for (let r = 0; r < Hp; r++) {
      const iy = r - ph;
      if (<u32>iy >= <u32>h) continue;
      copyRow(xp + (<usize>((ci * Hp + r) * Wp + c_lo) << 2), src + (<usize>(iy * w + c_lo - pw) << 2), c_hi - c_lo);
    }
  }
}

/** Byte offsets in xp of the taps t = (ci, ky, kx), in that order; `count` entries from t = 0, zeros past K. */
function tapOffsets(dst: usize, count: i32, cig: i32, kh: i32, kw: i32, dh: i32, dw: i32, Hp: i32, Wp: i32): void {
  const K = cig * kh * kw;
  for (let t = 0; t < count; t++) {
    let o = 0;
    if (t < K) {
      const ci = t / (kh * kw), r = t - ci * kh * kw, ky = r / kw, kx = r - ky * kw;
      o = ((ci * Hp + ky * dh) * Wp + kx * dw) << 2;
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

/** Output channels per block of the forward: 4 × 8 columns, 8 accumulators (6 × 8 measured slower: spills). */
const CB = 4;

// The forward's inner loops are functions of their own: V8 allocates registers per function, and
// the 4 × 8 loop ran 11% slower with the tail code in the same function.

/**
 * Columns [0, n8) (a multiple of 8) of one output row of 4 channels: y at yr (channel planes `plane`
 * bytes apart) from the padded input row xr, taps at offs, splatted weights wpk, bias vectors bv.
 */
function row4x8(xr: usize, yr: usize, n8: i32, K: i32, offs: usize, wpk: usize, plane: usize, bv: usize, floor: v128): void {
  for (let ox = 0; ox < n8; ox += 8) {
    let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    const xo = xr + (<usize>ox << 2);
    let wq = wpk;
    for (let t = 0; t < K; t++) {
      const q = xo + <usize>load<i32>(offs + (<usize>t << 2));
      const x0 = v128.load(q), x1 = v128.load(q, 16);
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
    const yo = yr + (<usize>ox << 2);
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

/**
 * The last rem = 1–4 columns (from ox) of 4 channels in two output rows at once (the second `rowBytes`
 * further in xr, `ow` floats further in yr; not stored without `two`): 8 accumulator chains — 4
 * would wait on the multiply-add latency and take as long as a block of 8 columns.
 */
function tail4x4x2(xr: usize, yr: usize, ox: i32, rem: i32, rowBytes: usize, ow: i32, two: bool, K: i32, offs: usize, wpk: usize, plane: usize, bv: usize, floor: v128): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
  const xo = xr + (<usize>ox << 2), rb = two ? rowBytes : 0;
  let wq = wpk;
  for (let t = 0; t < K; t++) {
    const q = xo + <usize>load<i32>(offs + (<usize>t << 2));
    const x0 = v128.load(q), x1 = v128.load(q + rb);
    let wv = v128.load(wq);
    a0 = madd(x0, wv, a0); c0 = madd(x1, wv, c0);
    wv = v128.load(wq, 16);
    a1 = madd(x0, wv, a1); c1 = madd(x1, wv, c1);
    wv = v128.load(wq, 32);
    a2 = madd(x0, wv, a2); c2 = madd(x1, wv, c2);
    wv = v128.load(wq, 48);
    a3 = madd(x0, wv, a3); c3 = madd(x1, wv, c3);
    wq += 64;
  }
  const yo = yr + (<usize>ox << 2);
  putPart(yo, fin(a0, v128.load(bv), floor), rem); putPart(yo + plane, fin(a1, v128.load(bv, 16), floor), rem);
  putPart(yo + 2 * plane, fin(a2, v128.load(bv, 32), floor), rem); putPart(yo + 3 * plane, fin(a3, v128.load(bv, 48), floor), rem);
  if (two) {
    const yn = yo + (<usize>ow << 2);
    putPart(yn, fin(c0, v128.load(bv), floor), rem); putPart(yn + plane, fin(c1, v128.load(bv, 16), floor), rem);
    putPart(yn + 2 * plane, fin(c2, v128.load(bv, 32), floor), rem); putPart(yn + 3 * plane, fin(c3, v128.load(bv, 48), floor), rem);
  }
}

/** The last rem = 5–7 columns (from ox) of one output row of 4 channels: 4 × 8, the second 4 cut short. */
function tail4x8(xr: usize, yr: usize, ox: i32, rem: i32, K: i32, offs: usize, wpk: usize, plane: usize, bv: usize, floor: v128): void {
  let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  const xo = xr + (<usize>ox << 2);
  let wq = wpk;
  for (let t = 0; t < K; t++) {
    const q = xo + <usize>load<i32>(offs + (<usize>t << 2));
    const x0 = v128.load(q), x1 = v128.load(q, 16);
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
  const yo = yr + (<usize>ox << 2), l1 = rem - 4;
  let bj = v128.load(bv);
  v128.store(yo, fin(a00, bj, floor)); putPart(yo + 16, fin(a01, bj, floor), l1);
  bj = v128.load(bv, 16);
  v128.store(yo + plane, fin(a10, bj, floor)); putPart(yo + plane + 16, fin(a11, bj, floor), l1);
  bj = v128.load(bv, 32);
  v128.store(yo + 2 * plane, fin(a20, bj, floor)); putPart(yo + 2 * plane + 16, fin(a21, bj, floor), l1);
  bj = v128.load(bv, 48);
  v128.store(yo + 3 * plane, fin(a30, bj, floor)); putPart(yo + 3 * plane + 16, fin(a31, bj, floor), l1);
}

/** One output row of one channel (a group's last 1–3): 16 columns per step; weights wq step 64 bytes per tap. */
function row1(xr: usize, yr: usize, ow: i32, K: i32, offs: usize, wj: usize, bj: v128, floor: v128): void {
  for (let ox = 0; ox < ow; ox += 16) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    const xo = xr + (<usize>ox << 2);
    let wq = wj;
    for (let t = 0; t < K; t++) {
      const q = xo + <usize>load<i32>(offs + (<usize>t << 2));
      const wv = v128.load(wq);
      a0 = madd(v128.load(q), wv, a0); a1 = madd(v128.load(q, 16), wv, a1);
      a2 = madd(v128.load(q, 32), wv, a2); a3 = madd(v128.load(q, 48), wv, a3);
      wq += 64;
    }
    const yo = yr + (<usize>ox << 2), left = ow - ox;
    putPart(yo, fin(a0, bj, floor), left);
    if (left > 4) putPart(yo + 16, fin(a1, bj, floor), left - 4);
    if (left > 8) putPart(yo + 32, fin(a2, bj, floor), left - 8);
    if (left > 12) putPart(yo + 48, fin(a3, bj, floor), left - 12);
  }
}

/**
 * Forward over units [u0, u1), unit u = (n · groups + g) · nb + b: block b of image n's output channels
 * in group g — ⌊cog/4⌋ blocks of 4, then one of the last 1–3. Each output is Σ over taps in
 * (ci, ky, kx) order, then + bias, then ReLU: the same whatever the thread split. Scratch: tap
 * offsets (K ints), splatted weights of the block (K × 4 v128), bias vectors (4 v128), the padded input.
 */
export function conv_direct_f32(x: usize, wt: usize, y: usize, prm: usize, u0: i32, u1: i32, scratch: usize, bias: usize, relu: i32): void {
  const cIn = P(prm, 1), h = P(prm, 2), w = P(prm, 3), cOut = P(prm, 4), kh = P(prm, 5), kw = P(prm, 6);
  const ph = P(prm, 9), pw = P(prm, 10), dh = P(prm, 11), dw = P(prm, 12);
  const groups = P(prm, 13), oh = P(prm, 14), ow = P(prm, 15);
  const cig = cIn / groups, cog = cOut / groups, K = cig * kh * kw;
  const n4 = cog / CB, nb = n4 + (cog - n4 * CB > 0 ? 1 : 0);
  const Wp = padWidth(ow, kw, dw), Hp = oh + (kh - 1) * dh;
  const offs = scratch, wpk = scratch + ((<usize>K * 4 + 15) & ~15), bv = wpk + <usize>K * 16 * CB, xp = bv + 16 * CB;
  const np = oh * ow, floor = f32x4.splat(relu != 0 ? 0 : -Infinity);
  const rowBytes = <usize>Wp << 2, plane = <usize>np << 2, n8 = ow & ~7, rem = ow - n8;
  tapOffsets(offs, K, cig, kh, kw, dh, dw, Hp, Wp);
  let padded = -1;
  for (let u = u0; u < u1; u++) {
    const ng = u / nb, b = u - ng * nb, n = ng / groups, g = ng - n * groups;
    if (ng != padded) { padImage(x, n, g * cig, cig, cIn, h, w, ph, pw, Hp, Wp, xp); padded = ng; }
    const c0 = g * cog + CB * b, cb = imin(CB, cog - CB * b);
    // weights of the block, splatted: wpk[t][j] = w[c0 + j][t] (0 for j ≥ cb); bias vectors (-0 for none: see fin)
    for (let t = 0; t < K; t++) {
      for (let j = 0; j < CB; j++) {
        const v: f32 = j < cb ? load<f32>(wt + (<usize>((c0 + j) * K + t) << 2)) : 0;
        v128.store(wpk + (<usize>(t * CB + j) << 4), f32x4.splat(v));
      }
    }
    for (let j = 0; j < CB; j++) v128.store(bv + (<usize>j << 4), biasVec(bias, c0 + j, j < cb));
    const y0 = y + (<usize>(n * cOut + c0) * plane);
    for (let oy = 0; oy < oh; oy++) {
      const xr = xp + <usize>oy * rowBytes, yr = y0 + (<usize>(oy * ow) << 2);
      if (cb == CB) {
        row4x8(xr, yr, n8, K, offs, wpk, plane, bv, floor);
        if (rem > 4) tail4x8(xr, yr, n8, rem, K, offs, wpk, plane, bv, floor);
        else if (rem > 0 && (oy & 1) == 0) tail4x4x2(xr, yr, n8, rem, rowBytes, ow, oy + 1 < oh, K, offs, wpk, plane, bv, floor);
      } else {
        for (let j = 0; j < cb; j++) row1(xr, yr + <usize>j * plane, ow, K, offs, wpk + (<usize>j << 4), v128.load(bv + (<usize>j << 4)), floor);
      }
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
 * Weight gradient over units [u0, u1), unit u = g · nb + b with nb = ⌈cog/3⌉: gw of output channels
 * g·cog + 3b … (3 at once, fewer at a group's end) for all taps: gw[co][t] = Σ over images n, then
 * rows oy, then columns ox (4 lane sums, added at the end) of gy[n, co, oy, ox] · x at tap t — the
 * same order whatever the thread split. Scratch: tap offsets (K rounded up to TB), the padded
 * input, then the accumulators
 * ([unit][tap][3 channels] v128).
 */
export function conv_direct_bwd_weight_f32(x: usize, gy: usize, gw: usize, prm: usize, u0: i32, u1: i32, scratch: usize): void {
  const nImg = P(prm, 0), cIn = P(prm, 1), h = P(prm, 2), w = P(prm, 3), cOut = P(prm, 4), kh = P(prm, 5), kw = P(prm, 6);
  const ph = P(prm, 9), pw = P(prm, 10), dh = P(prm, 11), dw = P(prm, 12);
  const groups = P(prm, 13), oh = P(prm, 14), ow = P(prm, 15);
  const cig = cIn / groups, cog = cOut / groups, K = cig * kh * kw, nb = (cog + CW - 1) / CW;
  const KT = (K + TB - 1) / TB * TB;
  const Wp = padWidth(ow, kw, dw), Hp = oh + (kh - 1) * dh, full = ow & ~3;
  const offs = scratch, xp = scratch + ((<usize>KT * 4 + 15) & ~15);
  const acc = xp + <usize>conv_direct_pad_bytes(cig, oh, ow, kh, kw, dh, dw);
  const np = oh * ow, rowBytes = <usize>Wp << 2, plane = <usize>np << 2, unitBytes = <usize>(KT * CW) << 4;
  const rem = ow & 3, mask = i32x4(rem > 0 ? -1 : 0, rem > 1 ? -1 : 0, rem > 2 ? -1 : 0, 0);
  tapOffsets(offs, KT, cig, kh, kw, dh, dw, Hp, Wp);
  memory.fill(acc, 0, <usize>(u1 - u0) * unitBytes);
  for (let n = 0; n < nImg; n++) {
    let padded = -1;
    for (let u = u0; u < u1; u++) {
      const g = u / nb, b = u - g * nb;
      if (g != padded) { padImage(x, n, g * cig, cig, cIn, h, w, ph, pw, Hp, Wp, xp); padded = g; }
      const c0 = g * cog + CW * b, cb = imin(CW, cog - CW * b);
      // gy planes of the unit's channels (a missing third channel repeats one; its sums are dropped)
      const gy0 = gy + <usize>(n * cOut + c0) * plane, gy1 = gy0 + (cb > 1 ? plane : 0), gy2 = gy0 + (cb > 2 ? 2 * plane : 0);
      const au = acc + <usize>(u - u0) * unitBytes;
      for (let tt = 0; tt < KT; tt += TB) {
        const oa = <usize>load<i32>(offs + (<usize>tt << 2)), ob = <usize>load<i32>(offs + (<usize>tt << 2), 4);
        const oc = <usize>load<i32>(offs + (<usize>tt << 2), 8);
        const aq = au + <usize>(tt * CW) * 16;
        // a{channel}{tap}
        let a0a = v128.load(aq), a1a = v128.load(aq, 16), a2a = v128.load(aq, 32);
        let a0b = v128.load(aq, 48), a1b = v128.load(aq, 64), a2b = v128.load(aq, 80);
        let a0c = v128.load(aq, 96), a1c = v128.load(aq, 112), a2c = v128.load(aq, 128);
        for (let oy = 0; oy < oh; oy++) {
          const xr = xp + <usize>oy * rowBytes, ro = <usize>(oy * ow) << 2, g0r = gy0 + ro, g1r = gy1 + ro, g2r = gy2 + ro;
          let ox = 0;
          for (; ox < full; ox += 4) {
            const o = <usize>ox << 2, xo = xr + o;
            const g0 = v128.load(g0r + o), g1 = v128.load(g1r + o), g2 = v128.load(g2r + o);
            let xv = v128.load(xo + oa);
            a0a = madd(g0, xv, a0a); a1a = madd(g1, xv, a1a); a2a = madd(g2, xv, a2a);
            xv = v128.load(xo + ob);
            a0b = madd(g0, xv, a0b); a1b = madd(g1, xv, a1b); a2b = madd(g2, xv, a2b);
            xv = v128.load(xo + oc);
            a0c = madd(g0, xv, a0c); a1c = madd(g1, xv, a1c); a2c = madd(g2, xv, a2c);
          }
          if (rem != 0) {
            // the row's last columns: lanes past ow are zero in gy and in x (0 · inf would be NaN);
            // the plane's last row reads no further than its end
            const o = <usize>ox << 2, xo = xr + o;
            let g0: v128, g1: v128, g2: v128;
            if (oy + 1 < oh) {
              g0 = v128.and(v128.load(g0r + o), mask); g1 = v128.and(v128.load(g1r + o), mask); g2 = v128.and(v128.load(g2r + o), mask);
            } else {
              g0 = loadPart(g0r + o, rem); g1 = loadPart(g1r + o, rem); g2 = loadPart(g2r + o, rem);
            }
            let xv = v128.and(v128.load(xo + oa), mask);
            a0a = madd(g0, xv, a0a); a1a = madd(g1, xv, a1a); a2a = madd(g2, xv, a2a);
            xv = v128.and(v128.load(xo + ob), mask);
            a0b = madd(g0, xv, a0b); a1b = madd(g1, xv, a1b); a2b = madd(g2, xv, a2b);
            xv = v128.and(v128.load(xo + oc), mask);
            a0c = madd(g0, xv, a0c); a1c = madd(g1, xv, a1c); a2c = madd(g2, xv, a2c);
          }
        }
        v128.store(aq, a0a); v128.store(aq, a1a, 16); v128.store(aq, a2a, 32);
        v128.store(aq, a0b, 48); v128.store(aq, a1b, 64); v128.store(aq, a2b, 80);
        v128.store(aq, a0c, 96); v128.store(aq, a1c, 112); v128.store(aq, a2c, 128);
      }
    }
  }
  for (let u = u0; u < u1; u++) {
    const g = u / nb, b = u - g * nb, c0 = g * cog + CW * b, cb = imin(CW, cog - CW * b);
    const au = acc + <usize>(u - u0) * unitBytes;
    for (let j = 0; j < cb; j++) {
      for (let t = 0; t < K; t++) {
        const v = v128.load(au + (<usize>(CW * t + j) << 4));
        const s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
        store<f32>(gw + (<usize>((c0 + j) * K + t) << 2), s);
      }
    }
  }
}
