// float32 3×3 stride-1 convolution by Winograd F(2×2, 3×3): 16 products per 2×2 output tile
// instead of 36. Per block of tiles: input transform into B panels, 16 GEMMs (cOut × cIn ·
// cIn × tiles) with gemm.ts's micro-kernel, output transform. Each output depends on its tile
// alone, so results do not depend on the block or the thread split.
import { Conv } from '../src/backend/wasm/slots';
import { P } from './common';

import { macro } from './gemm';
import { biasOf } from './epilogue';
import { putLanes } from './panels';

// Scratch layout (per thread): [0, 1 KiB) the micro-kernel's tile buffer; [1 KiB, 33 KiB) four
// padded rows (Wp ≤ 2048 floats); [33 KiB, 41 KiB) a zero row (w ≤ 2048); [41 KiB, 73 KiB) the
// input gradient's four overlap-add rows; then V (16 × K × Tpad, panels of 8 tiles) and M (16 × M × T).
export const ROWS_OFF: usize = 1024;
export const ZERO_OFF: usize = 33 * 1024;
export const R_OFF: usize = 41 * 1024;
export const V_OFF: usize = 73 * 1024;

/**
 * U[ξ][m][k] = (G g Gᵀ)[ξ] for the 3×3 filter g(m, k): w[m][k] (flip 0, the forward conv with m =
 * out channel), w[k][m] rotated by 180° (flip 1, the input gradient as a forward conv), or w[k][m]
 * (flip 2, the input gradient by winograd_bwd_input_f32).
 */
export function winograd_weights_f32(w: usize, u: usize, mDim: i32, kDim: i32, flip: i32): void {
  // U is stored [ξ][m][k]: U[ξ] is a contiguous M × K matrix, so the GEMM's rows of A share no
  // cache sets (a row stride of 16K floats mapped all 64 rows of conv2's A onto 4 sets of L1)
  const plane = <usize>(mDim * kDim) << 2;
  for (let m = 0; m < mDim; m++) {
    for (let k = 0; k < kDim; k++) {
      const g = w + (<usize>((flip != 0 ? k * mDim + m : m * kDim + k) * 9) << 2);
      // rows of G·g (4×3): g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2 — g_r the filter's rows
      let t00: f32 = 0, t01: f32 = 0, t02: f32 = 0, t10: f32 = 0, t11: f32 = 0, t12: f32 = 0;
      let t20: f32 = 0, t21: f32 = 0, t22: f32 = 0, t30: f32 = 0, t31: f32 = 0, t32: f32 = 0;
      for (let c = 0; c < 3; c++) {
        let a0: f32, a1: f32, a2: f32;
        if (flip == 1) {
          a0 = load<f32>(g + (<usize>(8 - c) << 2)); a1 = load<f32>(g + (<usize>(5 - c) << 2)); a2 = load<f32>(g + (<usize>(2 - c) << 2));
        } else {
          a0 = load<f32>(g + (<usize>c << 2)); a1 = load<f32>(g + (<usize>(3 + c) << 2)); a2 = load<f32>(g + (<usize>(6 + c) << 2));
        }
        const r0 = a0, r1 = (a0 + a1 + a2) * 0.5, r2 = (a0 - a1 + a2) * 0.5, r3 = a2;
        if (c == 0) { t00 = r0; t10 = r1; t20 = r2; t30 = r3; } else if (c == 1) { t01 = r0; t11 = r1; t21 = r2; t31 = r3; } else { t02 = r0; t12 = r1; t22 = r2; t32 = r3; }
      }
      const o = u + (<usize>(m * kDim + k) << 2);
      // (G·g)·Gᵀ, row by row
      rowT(o, plane, 0, t00, t01, t02); rowT(o, plane, 4, t10, t11, t12);
      rowT(o, plane, 8, t20, t21, t22); rowT(o, plane, 12, t30, t31, t32);
    }
  }
}

// @ts-ignore: decorator
@inline function rowT(o: usize, plane: usize, xi: i32, a: f32, b: f32, c: f32): void {
  store<f32>(o + <usize>xi * plane, a);
  store<f32>(o + <usize>(xi + 1) * plane, (a + b + c) * 0.5);
  store<f32>(o + <usize>(xi + 2) * plane, (a - b + c) * 0.5);
  store<f32>(o + <usize>(xi + 3) * plane, c);
}

/**
 * y = conv3×3(x) for the tile rows [r0, r1) of the (image, tile row) sequence, `rb` tile rows per
 * block. u: the transformed filters (winograd_weights_f32), M = P4 (out channels) × K = P1.
 * Slots as conv.ts (n cIn h w cOut kh kw sh sw ph pw dh dw groups oh ow); stride 1, no dilation.
 * The conv epilogue is fused into the output transform's writes: y = relu?(y + bias[co]) (bias 0:
 * none), the same float operations as kernels/epilogue.ts.
 */
export function winograd_f32(x: usize, u: usize, y: usize, prm: usize, rb: i32, r0: i32, r1: i32, scratch: usize, bias: usize, relu: i32): void {
  const K = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), M = P(prm, Conv.cOut), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw);
  const oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const tH = (oh + 1) >> 1, tW = (ow + 1) >> 1;
  // Tile order in a block: every row's full groups of 4 tiles first (so the input transform
  // stores each group as one vector), then the rows' leftover tiles (tW mod 4 per row).
  const g4 = tW & ~3;
  const wp = (((tW + 3) & ~3) << 1) + 4; // padded row length: room for the last 4-tile group's loads
  const rows = scratch + ROWS_OFF, zero = scratch + ZERO_OFF;
  const q0 = rows, q1 = rows + (<usize>wp << 2), q2 = rows + (<usize>(2 * wp) << 2), q3 = rows + (<usize>(3 * wp) << 2);
  memory.fill(rows, 0, <usize>(4 * wp) << 2);
  memory.fill(zero, 0, <usize>w << 2);
  // the plane's columns in the padded row: X in [lo, hi)
  const lo = pw < wp ? pw : wp, hi = pw + w < wp ? pw + w : wp;
  const tmp = scratch;
  const Tmax = rb * tW, TpMax = (Tmax + 7) & ~7;
  const vb = scratch + V_OFF;
  const mb = vb + (<usize>(16 * K * TpMax) << 2);
  for (let b0 = r0; b0 < r1; b0 += rb) {
    const b1 = b0 + rb < r1 ? b0 + rb : r1;
    const T = (b1 - b0) * tW, Tp = (T + 7) & ~7;
    const vPlane = <usize>(K * Tp) << 2;
    const pstep = <usize>K << 5;
    // input transform: V[ξ][panel][ci][lane] = (Bᵀ d B)[ξ] of each tile's 4×4 patch d. Channels
    // outer, tile rows inner: a cache line of V (two channels' rows of a panel) is filled within
    // a few rows' time, and x is read plane by plane.
    for (let ci = 0; ci < K; ci++) {
      for (let rr = b0; rr < b1; rr++) {
        const n = rr / tH, ty = rr - n * tH;
        const rb4 = (rr - b0) * g4, lb = (b1 - b0) * g4 + (rr - b0) * (tW - g4);
        const xc = x + (<usize>((n * K + ci) * h) * <usize>w << 2);
        // rows of Bᵀd over the plane's columns X = ix + pw: r0 - r2, r1 + r2, r2 - r1, r1 - r3
        // (rows outside the plane read the zero row; columns outside it stay zero from the start)
        const iy = 2 * ty - ph;
        const p0 = <u32>iy < <u32>h ? xc + (<usize>(iy * w) << 2) : zero;
        const p1 = <u32>(iy + 1) < <u32>h ? xc + (<usize>((iy + 1) * w) << 2) : zero;
        const p2 = <u32>(iy + 2) < <u32>h ? xc + (<usize>((iy + 2) * w) << 2) : zero;
        const p3 = <u32>(iy + 3) < <u32>h ? xc + (<usize>((iy + 3) * w) << 2) : zero;
        let X = lo;
        for (; X + 4 <= hi; X += 4) {
          const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
          const a0 = v128.load(p0 + ix), a1 = v128.load(p1 + ix), a2 = v128.load(p2 + ix), a3 = v128.load(p3 + ix);
          v128.store(q0 + o, f32x4.sub(a0, a2)); v128.store(q1 + o, f32x4.add(a1, a2));
          v128.store(q2 + o, f32x4.sub(a2, a1)); v128.store(q3 + o, f32x4.sub(a1, a3));
        }
        for (; X < hi; X++) {
          const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
          const a0 = load<f32>(p0 + ix), a1 = load<f32>(p1 + ix), a2 = load<f32>(p2 + ix), a3 = load<f32>(p3 + ix);
          store<f32>(q0 + o, a0 - a2); store<f32>(q1 + o, a1 + a2); store<f32>(q2 + o, a2 - a1); store<f32>(q3 + o, a1 - a3);
        }
        // columns, four tiles at a time
        for (let tx = 0; tx < tW; tx += 4) {
          const nt = tW - tx < 4 ? tW - tx : 4;
          const t = tx < g4 ? rb4 + tx : lb + (tx - g4);
          const slot = vb + (<usize>(((t >> 3) * K + ci) << 3) << 2) + (<usize>(t & 7) << 2);
          for (let i = 0; i < 4; i++) {
            const s = rows + (<usize>(i * wp + 2 * tx) << 2);
            const v0 = v128.load(s), v1 = v128.load(s, 16), w0 = v128.load(s, 8), w1 = v128.load(s, 24);
            const c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
            const c2 = v128.shuffle<f32>(w0, w1, 0, 2, 4, 6), c3 = v128.shuffle<f32>(w0, w1, 1, 3, 5, 7);
            const p = slot + <usize>(i * 4) * vPlane;
            putLanes(p, t, nt, f32x4.sub(c0, c2), pstep);
            putLanes(p + vPlane, t, nt, f32x4.add(c1, c2), pstep);
            putLanes(p + 2 * vPlane, t, nt, f32x4.sub(c2, c1), pstep);
            putLanes(p + 3 * vPlane, t, nt, f32x4.sub(c1, c3), pstep);
          }
        }
      }
    }
    const mPlane = <usize>(M * T) << 2;
    products(u, M, K, vb, vPlane, mb, mPlane, T, tmp);
    // output transform: Y = Aᵀ m A, Aᵀ = [1 1 1 0; 0 1 -1 -1], then the epilogue. Channels outer:
    // each row of M is read front to back, and y plane by plane.
    const zv = f32x4.splat(0);
    for (let co = 0; co < M; co++) {
      for (let rr = b0; rr < b1; rr++) {
        const n = rr / tH, ty = rr - n * tH;
        const rb4 = (rr - b0) * g4, lb = (b1 - b0) * g4 + (rr - b0) * (tW - g4);
        const oy = 2 * ty;
        const two = oy + 1 < oh;
        const yr = y + (<usize>((n * M + co) * oh + oy) * <usize>ow << 2);
        const mr = mb + (<usize>(co * T) << 2);
        const bv = f32x4.splat(biasOf(bias, co));
        for (let tx = 0; tx < tW; tx += 4) {
          const s = mr + (<usize>(tx < g4 ? rb4 + tx : lb + (tx - g4)) << 2);
          const m0 = v128.load(s), m1 = v128.load(s + mPlane), m2 = v128.load(s + 2 * mPlane), m3 = v128.load(s + 3 * mPlane);
          const m4 = v128.load(s + 4 * mPlane), m5 = v128.load(s + 5 * mPlane), m6 = v128.load(s + 6 * mPlane), m7 = v128.load(s + 7 * mPlane);
          const m8 = v128.load(s + 8 * mPlane), m9 = v128.load(s + 9 * mPlane), m10 = v128.load(s + 10 * mPlane), m11 = v128.load(s + 11 * mPlane);
          const m12 = v128.load(s + 12 * mPlane), m13 = v128.load(s + 13 * mPlane), m14 = v128.load(s + 14 * mPlane), m15 = v128.load(s + 15 * mPlane);
          // rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (per column j: m_j = m[4i + j] over i)
          const s00 = f32x4.add(f32x4.add(m0, m4), m8), s01 = f32x4.add(f32x4.add(m1, m5), m9);
          const s02 = f32x4.add(f32x4.add(m2, m6), m10), s03 = f32x4.add(f32x4.add(m3, m7), m11);
          const s10 = f32x4.sub(f32x4.sub(m4, m8), m12), s11 = f32x4.sub(f32x4.sub(m5, m9), m13);
          const s12 = f32x4.sub(f32x4.sub(m6, m10), m14), s13 = f32x4.sub(f32x4.sub(m7, m11), m15);
          const y00 = f32x4.add(f32x4.add(s00, s01), s02), y01 = f32x4.sub(f32x4.sub(s01, s02), s03);
          const y10 = f32x4.add(f32x4.add(s10, s11), s12), y11 = f32x4.sub(f32x4.sub(s11, s12), s13);
          const ox = 2 * tx;
          const d = yr + (<usize>ox << 2);
          let r0v0 = v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), r0v1 = v128.shuffle<f32>(y00, y01, 2, 6, 3, 7);
          let r1v0 = v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), r1v1 = v128.shuffle<f32>(y10, y11, 2, 6, 3, 7);
          if (bias != 0) { r0v0 = f32x4.add(r0v0, bv); r0v1 = f32x4.add(r0v1, bv); r1v0 = f32x4.add(r1v0, bv); r1v1 = f32x4.add(r1v1, bv); }
          if (relu != 0) { r0v0 = f32x4.pmax(r0v0, zv); r0v1 = f32x4.pmax(r0v1, zv); r1v0 = f32x4.pmax(r1v0, zv); r1v1 = f32x4.pmax(r1v1, zv); }
          if (ox + 8 <= ow) {
            v128.store(d, r0v0); v128.store(d, r0v1, 16);
            if (two) { v128.store(d + (<usize>ow << 2), r1v0); v128.store(d + (<usize>ow << 2), r1v1, 16); }
          } else {
            const cnt = ow - ox;
            storeN(d, r0v0, r0v1, cnt);
            if (two) storeN(d + (<usize>ow << 2), r1v0, r1v1, cnt);
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeN(d: usize, a: v128, b: v128, cnt: i32): void {
  // the first cnt (< 8) of the 8 floats a ++ b
  if (cnt > 0) store<f32>(d, f32x4.extract_lane(a, 0));
  if (cnt > 1) store<f32>(d, f32x4.extract_lane(a, 1), 4);
  if (cnt > 2) store<f32>(d, f32x4.extract_lane(a, 2), 8);
  if (cnt > 3) store<f32>(d, f32x4.extract_lane(a, 3), 12);
  if (cnt > 4) store<f32>(d, f32x4.extract_lane(b, 0), 16);
  if (cnt > 5) store<f32>(d, f32x4.extract_lane(b, 1), 20);
  if (cnt > 6) store<f32>(d, f32x4.extract_lane(b, 2), 24);
}

/** The 16 products M[ξ] (M × T) = U[ξ] (M × K) · V[ξ] (K × T, panels). */
function products(u: usize, M: i32, K: i32, vb: usize, vPlane: usize, mb: usize, mPlane: usize, T: i32, tmp: usize): void {
  for (let xi = 0; xi < 16; xi++) {
    macro(u + (<usize>(xi * M * K) << 2), K, 1, 0, M, vb + <usize>xi * vPlane, K, T, mb + <usize>xi * mPlane, T, false, tmp);
  }
}

// f32x4 lanes below n set (n = 1..4)
// @ts-ignore: decorator
@inline function laneMask(n: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n));
}

/**
 * gx of the conv3×3 (stride 1, no dilation) with forward slots prm, for the images whose tile rows
 * are [r0, r1) (whole images: the tiles' patches overlap), `rb` tile rows per block: the adjoint
 * of winograd_f32. Per tile: Gt = A·gy·Aᵀ (4×4 from the 2×2 gy tile), M[ξ] (cIn × T) = U[ξ] ·
 * Gt[ξ] with u from winograd_weights_f32(flip 2), then B·M·Bᵀ added over the overlapping 4×4 patches.
 */
export function winograd_bwd_input_f32(gy: usize, u: usize, gx: usize, prm: usize, rb: i32, r0: i32, r1: i32, scratch: usize): void {
  const M = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), K = P(prm, Conv.cOut), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw);
  const oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const tH = (oh + 1) >> 1, tW = (ow + 1) >> 1;
  const g4 = tW & ~3;
  const wp = (((tW + 3) & ~3) << 1) + 4;
  const rows = scratch + ROWS_OFF, zero = scratch + ZERO_OFF, racc = scratch + R_OFF;
  const q0 = rows, q1 = rows + (<usize>wp << 2), q2 = rows + (<usize>(2 * wp) << 2), q3 = rows + (<usize>(3 * wp) << 2);
  memory.fill(rows, 0, <usize>(4 * wp) << 2);
  memory.fill(zero, 0, <usize>ow << 2);
  const tmp = scratch;
  const Tmax = rb * tW, TpMax = (Tmax + 7) & ~7;
  const vb = scratch + V_OFF;
  const mb = vb + (<usize>(16 * K * TpMax) << 2);
  const plane = <usize>(h * w) << 2;
  const n0 = r0 / tH, n1 = r1 / tH;
  memory.fill(gx + <usize>(n0 * M) * plane, 0, <usize>((n1 - n0) * M) * plane);
  const tailMask = laneMask(tW - g4 > 0 ? tW - g4 : 4);
  for (let b0 = r0; b0 < r1; b0 += rb) {
    const b1 = b0 + rb < r1 ? b0 + rb : r1;
    const T = (b1 - b0) * tW, Tp = (T + 7) & ~7;
    const vPlane = <usize>(K * Tp) << 2;
    const pstep = <usize>K << 5;
    // gy transform: V[ξ][panel][co][lane] = (A g Aᵀ)[ξ] of each tile's 2×2 gy patch g
    // (channels outer, tile rows inner, as winograd_f32)
    for (let co = 0; co < K; co++) {
      for (let rr = b0; rr < b1; rr++) {
        const n = rr / tH, ty = rr - n * tH;
        const rb4 = (rr - b0) * g4, lb = (b1 - b0) * g4 + (rr - b0) * (tW - g4);
        const gc = gy + (<usize>((n * K + co) * oh) * <usize>ow << 2);
        const oy = 2 * ty;
        const p0 = gc + (<usize>(oy * ow) << 2);
        const p1 = oy + 1 < oh ? p0 + (<usize>ow << 2) : zero;
        // rows of A·g: g0, g0 + g1, g0 - g1, -g1 (columns past ow stay zero from the start)
        let X = 0;
        for (; X + 4 <= ow; X += 4) {
          const o = <usize>X << 2;
          const a0 = v128.load(p0 + o), a1 = v128.load(p1 + o);
          v128.store(q0 + o, a0); v128.store(q1 + o, f32x4.add(a0, a1));
          v128.store(q2 + o, f32x4.sub(a0, a1)); v128.store(q3 + o, f32x4.neg(a1));
        }
        for (; X < ow; X++) {
          const o = <usize>X << 2;
          const a0 = load<f32>(p0 + o), a1 = load<f32>(p1 + o);
          store<f32>(q0 + o, a0); store<f32>(q1 + o, a0 + a1); store<f32>(q2 + o, a0 - a1); store<f32>(q3 + o, -a1);
        }
        for (let tx = 0; tx < tW; tx += 4) {
          const nt = tW - tx < 4 ? tW - tx : 4;
          const t = tx < g4 ? rb4 + tx : lb + (tx - g4);
          const slot = vb + (<usize>(((t >> 3) * K + co) << 3) << 2) + (<usize>(t & 7) << 2);
          for (let i = 0; i < 4; i++) {
            const s = rows + (<usize>(i * wp + 2 * tx) << 2);
            const v0 = v128.load(s), v1 = v128.load(s, 16);
            const c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
            const p = slot + <usize>(i * 4) * vPlane;
            putLanes(p, t, nt, c0, pstep);
            putLanes(p + vPlane, t, nt, f32x4.add(c0, c1), pstep);
            putLanes(p + 2 * vPlane, t, nt, f32x4.sub(c0, c1), pstep);
            putLanes(p + 3 * vPlane, t, nt, f32x4.neg(c1), pstep);
          }
        }
      }
    }
    const mPlane = <usize>(M * T) << 2;
    products(u, M, K, vb, vPlane, mb, mPlane, T, tmp);
    // B·m·Bᵀ per tile, overlapping patches summed into four rows, then added to gx
    // (channels outer, tile rows inner; tile rows of an image in order, so the sums into gx keep
    // their order whatever the blocks)
    for (let ci = 0; ci < M; ci++) {
      for (let rr = b0; rr < b1; rr++) {
        const n = rr / tH, ty = rr - n * tH;
        const rb4 = (rr - b0) * g4, lb = (b1 - b0) * g4 + (rr - b0) * (tW - g4);
        const mr = mb + (<usize>(ci * T) << 2);
        let e0 = f32x4.splat(0), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
        let tx = 0;
        for (; tx < tW; tx += 4) {
          const s = mr + (<usize>(tx < g4 ? rb4 + tx : lb + (tx - g4)) << 2);
          const m0 = v128.load(s), m1 = v128.load(s + mPlane), m2 = v128.load(s + 2 * mPlane), m3 = v128.load(s + 3 * mPlane);
          const m4 = v128.load(s + 4 * mPlane), m5 = v128.load(s + 5 * mPlane), m6 = v128.load(s + 6 * mPlane), m7 = v128.load(s + 7 * mPlane);
          const m8 = v128.load(s + 8 * mPlane), m9 = v128.load(s + 9 * mPlane), m10 = v128.load(s + 10 * mPlane), m11 = v128.load(s + 11 * mPlane);
          const m12 = v128.load(s + 12 * mPlane), m13 = v128.load(s + 13 * mPlane), m14 = v128.load(s + 14 * mPlane), m15 = v128.load(s + 15 * mPlane);
          // B·m, column j: m0j, m1j - m2j + m3j, -m0j + m1j + m2j, -m3j
          const y10 = f32x4.add(f32x4.sub(m4, m8), m12), y11 = f32x4.add(f32x4.sub(m5, m9), m13);
          const y12 = f32x4.add(f32x4.sub(m6, m10), m14), y13 = f32x4.add(f32x4.sub(m7, m11), m15);
          const y20 = f32x4.add(f32x4.sub(m4, m0), m8), y21 = f32x4.add(f32x4.sub(m5, m1), m9);
          const y22 = f32x4.add(f32x4.sub(m6, m2), m10), y23 = f32x4.add(f32x4.sub(m7, m3), m11);
          const mask = tx < g4 ? i32x4.splat(-1) : tailMask; // every lane, or the leftover tiles' lanes
          const r = racc + (<usize>(2 * tx) << 2);
          const wb = <usize>wp << 2;
          // row 0 of the patch from (m00..m03), row 3 from -(m30..m33)
          let c = patchRow(m0, m1, m2, m3, mask, e0, o0, r);
          e0 = v128.shuffle<f32>(c, c, 2, 2, 2, 2); o0 = v128.shuffle<f32>(c, c, 3, 3, 3, 3);
          c = patchRow(y10, y11, y12, y13, mask, e1, o1, r + wb);
          e1 = v128.shuffle<f32>(c, c, 2, 2, 2, 2); o1 = v128.shuffle<f32>(c, c, 3, 3, 3, 3);
          c = patchRow(y20, y21, y22, y23, mask, e2, o2, r + 2 * wb);
          e2 = v128.shuffle<f32>(c, c, 2, 2, 2, 2); o2 = v128.shuffle<f32>(c, c, 3, 3, 3, 3);
          c = patchRow(f32x4.neg(m12), f32x4.neg(m13), f32x4.neg(m14), f32x4.neg(m15), mask, e3, o3, r + 3 * wb);
          e3 = v128.shuffle<f32>(c, c, 2, 2, 2, 2); o3 = v128.shuffle<f32>(c, c, 3, 3, 3, 3);
        }
        // the last group's carried columns land at X = 2·tx, 2·tx + 1
        const xe = <usize>(2 * tx) << 2;
        const wb = <usize>wp << 2;
        store<f32>(racc + xe, f32x4.extract_lane(e0, 0)); store<f32>(racc + xe + 4, f32x4.extract_lane(o0, 0));
        store<f32>(racc + wb + xe, f32x4.extract_lane(e1, 0)); store<f32>(racc + wb + xe + 4, f32x4.extract_lane(o1, 0));
        store<f32>(racc + 2 * wb + xe, f32x4.extract_lane(e2, 0)); store<f32>(racc + 2 * wb + xe + 4, f32x4.extract_lane(o2, 0));
        store<f32>(racc + 3 * wb + xe, f32x4.extract_lane(e3, 0)); store<f32>(racc + 3 * wb + xe + 4, f32x4.extract_lane(o3, 0));
        // add the four rows (X = ix + pw) into gx rows 2ty - ph + r
        const gc = gx + <usize>(n * M + ci) * plane;
        for (let rI = 0; rI < 4; rI++) {
          const iy = 2 * ty - ph + rI;
          if (<u32>iy >= <u32>h) continue;
          const d = gc + (<usize>(iy * w) << 2), src = racc + <usize>rI * wb + (<usize>pw << 2);
          let ix = 0;
          for (; ix + 4 <= w; ix += 4) {
            const o = <usize>ix << 2;
            v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(src + o)));
          }
          for (; ix < w; ix++) {
            const o = <usize>ix << 2;
            store<f32>(d + o, load<f32>(d + o) + load<f32>(src + o));
          }
        }
      }
    }
  }
}

/**
 * One row of four tiles' 4×4 patches (Y·Bᵀ of the row Y = (a, b, c, d), lanes = tiles) written
 * as 8 overlapping columns at r: even X get col0 + the previous tile's col2, odd X col1 + col3.
 * pe/po carry the previous group's last col2/col3 in lane 0. Returns (·, ·, col2, col3) of lane 3
 * in lanes 2 and 3 for the next group's carry.
 */
// @ts-ignore: decorator
@inline function patchRow(a: v128, b: v128, c: v128, d: v128, mask: v128, pe: v128, po: v128, r: usize): v128 {
  const k0 = v128.and(a, mask);
  const k1 = v128.and(f32x4.add(f32x4.sub(b, c), d), mask);
  const k2 = v128.and(f32x4.add(f32x4.sub(b, a), c), mask);
  const k3 = v128.and(f32x4.neg(d), mask);
  // shift col2/col3 right one lane, the carry entering lane 0
  const s2 = v128.shuffle<f32>(pe, k2, 0, 4, 5, 6), s3 = v128.shuffle<f32>(po, k3, 0, 4, 5, 6);
  const E = f32x4.add(k0, s2), O = f32x4.add(k1, s3);
  v128.store(r, v128.shuffle<f32>(E, O, 0, 4, 1, 5));
  v128.store(r, v128.shuffle<f32>(E, O, 2, 6, 3, 7), 16);
  return v128.shuffle<f32>(k2, k3, 0, 0, 3, 7);
}
