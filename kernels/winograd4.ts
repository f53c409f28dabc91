// float32 3×3 stride-1 convolution by Winograd F(4×4, 3×3): 36 products per 4×4 output tile (2.25
// per output against F(2×2)'s 4). The plan of winograd.ts: per block of tile rows, input transform
// into B panels, 36 GEMMs with gemm.ts's micro-kernel, output transform with the conv epilogue fused.
import { Conv } from '../src/backend/wasm/slots';
import { P } from './common';

import { macro } from './gemm';
import { biasOf } from './epilogue';
import { putLanes } from './panels';
import { ROWS_OFF, ZERO_OFF, V_OFF } from './winograd';

// Scratch: [0, 512) the micro-kernel's tile buffer, [512, 896) the output transform's 24 vectors,
// then winograd.ts's areas: six padded rows at ROWS_OFF (6·wp ≤ 8192 floats), the zero row, V, M.
const TB_OFF: usize = 512;

// Row r of G (6×3) applied to (a, b, c): 1/4 a; -(a+b+c)/6; -(a-b+c)/6; a/24 + b/12 + c/6; a/24 - b/12 + c/6; c
// @ts-ignore: decorator
@inline function gRow(r: i32, a: f32, b: f32, c: f32): f32 {
  if (r == 0) return a * 0.25;
  if (r == 1) return (a + b + c) * (-1.0 / 6.0);
  if (r == 2) return (a - b + c) * (-1.0 / 6.0);
  if (r == 3) return a * (1.0 / 24.0) + b * (1.0 / 12.0) + c * (1.0 / 6.0);
  if (r == 4) return a * (1.0 / 24.0) - b * (1.0 / 12.0) + c * (1.0 / 6.0);
  return c;
}

/** U[ξ][m][k] (ξ < 36) = (G g Gᵀ)[ξ] for the forward filter g = w[m][k]. tmp: 72 bytes. */
export function winograd4_weights_f32(w: usize, u: usize, mDim: i32, kDim: i32, tmp: usize): void {
  const plane = <usize>(mDim * kDim) << 2;
  for (let m = 0; m < mDim; m++) {
    for (let k = 0; k < kDim; k++) {
      const g = w + (<usize>((m * kDim + k) * 9) << 2);
      // t = G·g (6×3), column by column
      for (let c = 0; c < 3; c++) {
        const a0 = load<f32>(g + (<usize>c << 2)), a1 = load<f32>(g + (<usize>(3 + c) << 2)), a2 = load<f32>(g + (<usize>(6 + c) << 2));
        for (let r = 0; r < 6; r++) store<f32>(tmp + (<usize>(r * 3 + c) << 2), gRow(r, a0, a1, a2));
      }
      const o = u + (<usize>(m * kDim + k) << 2);
      // then (G·g)·Gᵀ, row by row
      for (let r = 0; r < 6; r++) {
        const a = load<f32>(tmp + (<usize>(r * 3) << 2)), b = load<f32>(tmp + (<usize>(r * 3 + 1) << 2)), c = load<f32>(tmp + (<usize>(r * 3 + 2) << 2));
        for (let s = 0; s < 6; s++) store<f32>(o + <usize>(r * 6 + s) * plane, gRow(s, a, b, c));
      }
    }
  }
}

// 4v
// @ts-ignore: decorator
@inline function x4(v: v128): v128 { return f32x4.mul(v, f32x4.splat(4)); }
// @ts-ignore: decorator
@inline function x2(v: v128): v128 { return f32x4.add(v, v); }

/**
 * y = conv3×3(x) for the tile rows [r0, r1) of the (image, tile row) sequence (tiles of 4×4
 * outputs), `rb` tile rows per block. u: winograd4_weights_f32's, M = P4 (out channels) × K = P1.
 * Slots as conv.ts; stride 1, no dilation. The epilogue y = relu?(y + bias[co]) (bias 0: none) is
 * fused into the output transform's writes. Each output depends on its tile alone, so results do
 * not depend on the block or the thread split.
 */
export function winograd4_f32(x: usize, u: usize, y: usize, prm: usize, rb: i32, r0: i32, r1: i32, scratch: usize, bias: usize, relu: i32): void {
  const K = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), M = P(prm, Conv.cOut), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw);
  const oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const tH = (oh + 3) >> 2, tW = (ow + 3) >> 2;
  // tile order in a block as winograd.ts: every row's full groups of 4 tiles, then the leftovers
  const g4 = tW & ~3;
  const wp = (((tW + 3) & ~3) << 2) + 4; // padded row: room for the last group's 20 columns
  const wb = <usize>wp << 2;
  const rows = scratch + ROWS_OFF, zero = scratch + ZERO_OFF, tb = scratch + TB_OFF;
  memory.fill(rows, 0, 6 * wb);
  memory.fill(zero, 0, <usize>w << 2);
  const lo = pw < wp ? pw : wp, hi = pw + w < wp ? pw + w : wp;
  const Tmax = rb * tW, TpMax = (Tmax + 7) & ~7;
  const vb = scratch + V_OFF;
  const mb = vb + (<usize>(36 * K * TpMax) << 2);
  const zv = f32x4.splat(0);
  for (let b0 = r0; b0 < r1; b0 += rb) {
    const b1 = b0 + rb < r1 ? b0 + rb : r1;
    const T = (b1 - b0) * tW, Tp = (T + 7) & ~7;
    const vPlane = <usize>(K * Tp) << 2;
    const pstep = <usize>K << 5;
    // input transform: V[ξ][panel][ci][lane] = (Bᵀ d B)[ξ] of each tile's 6×6 patch d
    for (let rr = b0; rr < b1; rr++) {
      const n = rr / tH, ty = rr - n * tH;
      const rb4 = (rr - b0) * g4, lb = (b1 - b0) * g4 + (rr - b0) * (tW - g4);
      const iy = 4 * ty - ph;
      for (let ci = 0; ci < K; ci++) {
        const xc = x + (<usize>((n * K + ci) * h) * <usize>w << 2);
        const p0 = <u32>iy < <u32>h ? xc + (<usize>(iy * w) << 2) : zero;
        const p1 = <u32>(iy + 1) < <u32>h ? xc + (<usize>((iy + 1) * w) << 2) : zero;
        const p2 = <u32>(iy + 2) < <u32>h ? xc + (<usize>((iy + 2) * w) << 2) : zero;
        const p3 = <u32>(iy + 3) < <u32>h ? xc + (<usize>((iy + 3) * w) << 2) : zero;
        const p4 = <u32>(iy + 4) < <u32>h ? xc + (<usize>((iy + 4) * w) << 2) : zero;
        const p5 = <u32>(iy + 5) < <u32>h ? xc + (<usize>((iy + 5) * w) << 2) : zero;
        // rows of Bᵀd over the plane's columns X = ix + pw (columns outside it stay zero):
        // 4(d0-d2) + (d4-d2), (d3+d4) - 4(d1+d2), (d4-d3) + 4(d1-d2), (d4-d2) ± 2(d3-d1), 4(d1-d3) + (d5-d3)
        let X = lo;
        for (; X + 4 <= hi; X += 4) {
          const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
          const d0 = v128.load(p0 + ix), d1 = v128.load(p1 + ix), d2 = v128.load(p2 + ix);
          const d3 = v128.load(p3 + ix), d4 = v128.load(p4 + ix), d5 = v128.load(p5 + ix);
          const e42 = f32x4.sub(d4, d2), e31 = x2(f32x4.sub(d3, d1));
          v128.store(rows + o, f32x4.add(x4(f32x4.sub(d0, d2)), e42));
          v128.store(rows + wb + o, f32x4.sub(f32x4.add(d3, d4), x4(f32x4.add(d1, d2))));
          v128.store(rows + 2 * wb + o, f32x4.add(f32x4.sub(d4, d3), x4(f32x4.sub(d1, d2))));
          v128.store(rows + 3 * wb + o, f32x4.add(e42, e31));
          v128.store(rows + 4 * wb + o, f32x4.sub(e42, e31));
          v128.store(rows + 5 * wb + o, f32x4.add(x4(f32x4.sub(d1, d3)), f32x4.sub(d5, d3)));
        }
        for (; X < hi; X++) {
          const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
          const d0 = load<f32>(p0 + ix), d1 = load<f32>(p1 + ix), d2 = load<f32>(p2 + ix);
          const d3 = load<f32>(p3 + ix), d4 = load<f32>(p4 + ix), d5 = load<f32>(p5 + ix);
          const e42 = d4 - d2, e31 = (d3 - d1) + (d3 - d1);
          store<f32>(rows + o, (d0 - d2) * 4 + e42);
          store<f32>(rows + wb + o, (d3 + d4) - (d1 + d2) * 4);
          store<f32>(rows + 2 * wb + o, (d4 - d3) + (d1 - d2) * 4);
          store<f32>(rows + 3 * wb + o, e42 + e31);
          store<f32>(rows + 4 * wb + o, e42 - e31);
          store<f32>(rows + 5 * wb + o, (d1 - d3) * 4 + (d5 - d3));
        }
        // columns, four tiles at a time (lane l = tile tx + l, columns 4(tx + l) + j)
        for (let tx = 0; tx < tW; tx += 4) {
          const nt = tW - tx < 4 ? tW - tx : 4;
          const t = tx < g4 ? rb4 + tx : lb + (tx - g4);
          const slot = vb + (<usize>(((t >> 3) * K + ci) << 3) << 2) + (<usize>(t & 7) << 2);
          for (let i = 0; i < 6; i++) {
            const s = rows + <usize>i * wb + (<usize>(4 * tx) << 2);
            const a = v128.load(s), b = v128.load(s, 16), c = v128.load(s, 32), d = v128.load(s, 48), e = v128.load(s, 64);
            const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
            const c0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), c1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
            const c2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), c3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
            const u0 = v128.shuffle<f32>(b, c, 0, 4, 1, 5), u1 = v128.shuffle<f32>(d, e, 0, 4, 1, 5);
            const c4 = v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), c5 = v128.shuffle<f32>(u0, u1, 2, 3, 6, 7);
            const e42 = f32x4.sub(c4, c2), e31 = x2(f32x4.sub(c3, c1));
            const p = slot + <usize>(i * 6) * vPlane;
            putLanes(p, t, nt, f32x4.add(x4(f32x4.sub(c0, c2)), e42), pstep);
            putLanes(p + vPlane, t, nt, f32x4.sub(f32x4.add(c3, c4), x4(f32x4.add(c1, c2))), pstep);
            putLanes(p + 2 * vPlane, t, nt, f32x4.add(f32x4.sub(c4, c3), x4(f32x4.sub(c1, c2))), pstep);
            putLanes(p + 3 * vPlane, t, nt, f32x4.add(e42, e31), pstep);
            putLanes(p + 4 * vPlane, t, nt, f32x4.sub(e42, e31), pstep);
            putLanes(p + 5 * vPlane, t, nt, f32x4.add(x4(f32x4.sub(c1, c3)), f32x4.sub(c5, c3)), pstep);
          }
        }
      }
    }
    // the 36 products M[ξ] (M × T) = U[ξ] (M × K) · V[ξ] (K × T, panels)
    const mPlane = <usize>(M * T) << 2;
    for (let xi = 0; xi < 36; xi++) {
      macro(u + (<usize>(xi * M * K) << 2), K, 1, 0, M, vb + <usize>xi * vPlane, K, T, mb + <usize>xi * mPlane, T, false, scratch);
    }
    // output transform Y = Aᵀ m A, Aᵀ rows on (m0..m5) with a = m1+m2, b = m1-m2, c = m3+m4,
    // d = m3-m4: m0 + a + c, b + 2d, a + 4c, b + 8d + m5; then the epilogue
    for (let rr = b0; rr < b1; rr++) {
      const n = rr / tH, ty = rr - n * tH;
      const rb4 = (rr - b0) * g4, lb = (b1 - b0) * g4 + (rr - b0) * (tW - g4);
      const oy = 4 * ty;
      const nr = oh - oy < 4 ? oh - oy : 4;
      for (let co = 0; co < M; co++) {
        const yr = y + (<usize>((n * M + co) * oh + oy) * <usize>ow << 2);
        const mr = mb + (<usize>(co * T) << 2);
        const bv = f32x4.splat(biasOf(bias, co));
        for (let tx = 0; tx < tW; tx += 4) {
          const s = mr + (<usize>(tx < g4 ? rb4 + tx : lb + (tx - g4)) << 2);
          // columns j: the four row combinations into tb[r][j]
          for (let j = 0; j < 6; j++) {
            const q = s + <usize>j * mPlane, st = 6 * mPlane;
            const m0 = v128.load(q), m1 = v128.load(q + st), m2 = v128.load(q + 2 * st);
            const m3 = v128.load(q + 3 * st), m4 = v128.load(q + 4 * st), m5 = v128.load(q + 5 * st);
            const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), d = f32x4.sub(m3, m4);
            const o = tb + (<usize>j << 4);
            v128.store(o, f32x4.add(f32x4.add(m0, a), c));
            v128.store(o, f32x4.add(b, x2(d)), 96);
            v128.store(o, f32x4.add(a, x4(c)), 192);
            v128.store(o, f32x4.add(f32x4.add(b, f32x4.mul(d, f32x4.splat(8))), m5), 288);
          }
          const cnt = ow - 4 * tx; // output columns of this group (≥ 16: all four tiles whole)
          for (let r = 0; r < nr; r++) {
            const o = tb + <usize>(r * 96);
            const m0 = v128.load(o), m1 = v128.load(o, 16), m2 = v128.load(o, 32);
            const m3 = v128.load(o, 48), m4 = v128.load(o, 64), m5 = v128.load(o, 80);
            const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), d = f32x4.sub(m3, m4);
            const y0 = f32x4.add(f32x4.add(m0, a), c), y1 = f32x4.add(b, x2(d));
            const y2 = f32x4.add(a, x4(c)), y3 = f32x4.add(f32x4.add(b, f32x4.mul(d, f32x4.splat(8))), m5);
            // transpose: vector l = tile l's four columns
            const t0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
            let v0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), v1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
            let v2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), v3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
            if (bias != 0) { v0 = f32x4.add(v0, bv); v1 = f32x4.add(v1, bv); v2 = f32x4.add(v2, bv); v3 = f32x4.add(v3, bv); }
            if (relu != 0) { v0 = f32x4.pmax(v0, zv); v1 = f32x4.pmax(v1, zv); v2 = f32x4.pmax(v2, zv); v3 = f32x4.pmax(v3, zv); }
            const dst = yr + (<usize>(r * ow + 4 * tx) << 2);
            if (cnt >= 16) {
              v128.store(dst, v0); v128.store(dst, v1, 16); v128.store(dst, v2, 32); v128.store(dst, v3, 48);
            } else {
              storeN(dst, v0, cnt); storeN(dst + 16, v1, cnt - 4); storeN(dst + 32, v2, cnt - 8);
            }
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeN(d: usize, v: v128, cnt: i32): void {
  // the first cnt of v's 4 floats (cnt may be ≤ 0 or ≥ 4)
  if (cnt >= 4) { v128.store(d, v); return; }
  if (cnt > 0) store<f32>(d, f32x4.extract_lane(v, 0));
  if (cnt > 1) store<f32>(d, f32x4.extract_lane(v, 1), 4);
  if (cnt > 2) store<f32>(d, f32x4.extract_lane(v, 2), 8);
}
