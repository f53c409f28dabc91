// float32 3×3 stride-1 convolution's weight gradient by Winograd F(2×2, 3×3): the 16 products
// dU[ξ] = Σ over tiles of (A·gy·Aᵀ)[ξ] ⊗ (Bᵀ·d·B)[ξ], then gw = Gᵀ·dU·G. The sum over tiles is
// split at places fixed by the shape alone, so results do not depend on the thread count.
import { Conv } from '../src/backend/wasm/slots';
import { P } from './common';

import { macro } from './gemm';
import { ROWS_OFF, ZERO_OFF, R_OFF, V_OFF } from './winograd';

// Scratch: [0, 256) the micro-kernel's tile buffer, [256, 512) the x transform's 16 vectors, then
// winograd.ts's areas (x rows at ROWS_OFF, gy rows at R_OFF, the transforms at V_OFF).
const TQ_OFF: usize = 256;
/**
 * Tiles each output sums in one lane before adding to dU: longer sums lose accuracy (one sum over
 * 864 tiles: 1.7× the error of the 4-lane dot products this replaced; over 64, about the same).
 */
const KT: i32 = 64;

/**
 * Weight gradient, part 1: dU[ξ][co][ci] = Σ over the tiles of the tile rows [r0, r1) (of the
 * (image, tile row) sequence) of (A·gy·Aᵀ)[ξ][co] · (Bᵀ·d·B)[ξ][ci], for all 16 products ξ.
 * Per block of `rb` tile rows: the gy transform row-major over the tiles (the GEMM's A, read in
 * place), the x transform straight into the micro-kernel's B panels (8 channels per panel row, one
 * row per tile), then dU[ξ] (+)= G[ξ] · V[ξ]ᵀ by gemm.ts's macro: every output sums its tiles in
 * order, block after block, so results depend on rb and [r0, r1) alone (the host fixes both
 * whatever the thread count, and adds the parts' dU in order: winograd_weight_sum_f32). cIn a
 * multiple of 4 (the x transform takes 4 channels at a time).
 */
export function winograd_bwd_weight_f32(x: usize, gy: usize, du: usize, prm: usize, rb: i32, r0: i32, r1: i32, scratch: usize): void {
  const i0 = 0, i1 = 4;
  const nImg = P(prm, Conv.n), K = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), M = P(prm, Conv.cOut), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw);
  const oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const tH = (oh + 1) >> 1, tW = (ow + 1) >> 1;
  const wp = (((tW + 3) & ~3) << 1) + 4;
  // x rows: 4 channels × 4 rows of Bᵀd (16·wp ≤ 8192 floats); gy rows: 4 rows of A·g
  const xr = scratch + ROWS_OFF, zero = scratch + ZERO_OFF, gr = scratch + R_OFF, tq = scratch + TQ_OFF;
  const wb = <usize>wp << 2;
  memory.fill(xr, 0, 16 * wb);
  memory.fill(gr, 0, 4 * wb);
  memory.fill(zero, 0, <usize>(w > ow ? w : ow) << 2);
  const lo = pw < wp ? pw : wp, hi = pw + w < wp ? pw + w : wp;
  const ts = ((rb * tW + 3) & ~3) + 4; // row stride of the gy transform (room for a group's spare lanes)
  const nx = (i1 - i0) * 4;
  const vb = scratch + V_OFF;
  const rowG = <usize>ts << 2, planeG = <usize>(M * ts) << 2;
  for (let b0 = r0; b0 < r1; b0 += rb) {
    const b1 = b0 + rb < r1 ? b0 + rb : r1;
    const T = (b1 - b0) * tW;
    // V[ξ]: panels of 8 channels, T rows each (a panel row = one tile's 8 channels), then 64 floats
    // of slack: a row's spare lanes land on the next tile rows (written later) or past the panel
    const panelV = <usize>T << 5, planeV = <usize>(((K + 7) >> 3) * T + 8) << 5;
    const gb = vb + <usize>nx * planeV;
    // x: rows of Bᵀd as in winograd_f32 for 4 channels, then columns for the rows i this thread
    // owns, transposed to (tile, 4 channels) vectors
    for (let cq = 0; cq < K; cq += 4) {
      for (let rr = b0; rr < b1; rr++) {
        const n = rr / tH, ty = rr - n * tH, tb = (rr - b0) * tW;
        const iy = 2 * ty - ph;
        for (let c = 0; c < 4; c++) {
          const xc = x + (<usize>((n * K + cq + c) * h) * <usize>w << 2);
          const q = xr + <usize>(c * 4) * wb;
          const p0 = <u32>iy < <u32>h ? xc + (<usize>(iy * w) << 2) : zero;
          const p1 = <u32>(iy + 1) < <u32>h ? xc + (<usize>((iy + 1) * w) << 2) : zero;
          const p2 = <u32>(iy + 2) < <u32>h ? xc + (<usize>((iy + 2) * w) << 2) : zero;
          const p3 = <u32>(iy + 3) < <u32>h ? xc + (<usize>((iy + 3) * w) << 2) : zero;
          let X = lo;
          for (; X + 4 <= hi; X += 4) {
            const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
            const a0 = v128.load(p0 + ix), a1 = v128.load(p1 + ix), a2 = v128.load(p2 + ix), a3 = v128.load(p3 + ix);
            v128.store(q + o, f32x4.sub(a0, a2)); v128.store(q + wb + o, f32x4.add(a1, a2));
            v128.store(q + 2 * wb + o, f32x4.sub(a2, a1)); v128.store(q + 3 * wb + o, f32x4.sub(a1, a3));
          }
          for (; X < hi; X++) {
            const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
            const a0 = load<f32>(p0 + ix), a1 = load<f32>(p1 + ix), a2 = load<f32>(p2 + ix), a3 = load<f32>(p3 + ix);
            store<f32>(q + o, a0 - a2); store<f32>(q + wb + o, a1 + a2); store<f32>(q + 2 * wb + o, a2 - a1); store<f32>(q + 3 * wb + o, a1 - a3);
          }
        }
        const dst = vb + <usize>(cq >> 3) * panelV + (<usize>(cq & 4) << 2) + (<usize>tb << 5);
        for (let i = i0; i < i1; i++) {
          const d = dst + <usize>((i - i0) * 4) * planeV;
          for (let tx = 0; tx < tW; tx += 4) {
            // the four columns of 4 tiles for each channel c into tq[j][c]
            for (let c = 0; c < 4; c++) {
              const s = xr + <usize>(c * 4 + i) * wb + (<usize>(2 * tx) << 2);
              const v0 = v128.load(s), v1 = v128.load(s, 16), w0 = v128.load(s, 8), w1 = v128.load(s, 24);
              const c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
              const c2 = v128.shuffle<f32>(w0, w1, 0, 2, 4, 6), c3 = v128.shuffle<f32>(w0, w1, 1, 3, 5, 7);
              const o = tq + (<usize>c << 4);
              v128.store(o, f32x4.sub(c0, c2)); v128.store(o, f32x4.add(c1, c2), 64);
              v128.store(o, f32x4.sub(c2, c1), 128); v128.store(o, f32x4.sub(c1, c3), 192);
            }
            // transposed: tile l's 4 channels, at panel row tb + tx + l
            const o = d + (<usize>tx << 5);
            for (let j = 0; j < 4; j++) {
              const e = tq + (<usize>j << 6);
              const a = v128.load(e), b = v128.load(e, 16), c = v128.load(e, 32), f = v128.load(e, 48);
              const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
              const t2 = v128.shuffle<f32>(c, f, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, f, 2, 6, 3, 7);
              const oj = o + <usize>j * planeV;
              v128.store(oj, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)); v128.store(oj, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
              v128.store(oj, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64); v128.store(oj, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
            }
          }
        }
      }
    }
    // gy: rows of A·g as in winograd_bwd_input_f32, then columns for the rows i owned
    for (let co = 0; co < M; co++) {
      for (let rr = b0; rr < b1; rr++) {
        const n = rr / tH, ty = rr - n * tH, tb = (rr - b0) * tW;
        const p0 = gy + (<usize>(((n * M + co) * oh + 2 * ty) * ow) << 2);
        const p1 = 2 * ty + 1 < oh ? p0 + (<usize>ow << 2) : zero;
        let X = 0;
        for (; X + 4 <= ow; X += 4) {
          const o = <usize>X << 2;
          const a0 = v128.load(p0 + o), a1 = v128.load(p1 + o);
          v128.store(gr + o, a0); v128.store(gr + wb + o, f32x4.add(a0, a1));
          v128.store(gr + 2 * wb + o, f32x4.sub(a0, a1)); v128.store(gr + 3 * wb + o, f32x4.neg(a1));
        }
        for (; X < ow; X++) {
          const o = <usize>X << 2;
          const a0 = load<f32>(p0 + o), a1 = load<f32>(p1 + o);
          store<f32>(gr + o, a0); store<f32>(gr + wb + o, a0 + a1); store<f32>(gr + 2 * wb + o, a0 - a1); store<f32>(gr + 3 * wb + o, -a1);
        }
        const dst = gb + <usize>co * rowG + (<usize>tb << 2);
        for (let i = i0; i < i1; i++) {
          const d = dst + <usize>((i - i0) * 4) * planeG;
          for (let tx = 0; tx < tW; tx += 4) {
            const s = gr + <usize>i * wb + (<usize>(2 * tx) << 2);
            const v0 = v128.load(s), v1 = v128.load(s, 16);
            const c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
            const o = d + (<usize>tx << 2);
            v128.store(o, c0); v128.store(o + planeG, f32x4.add(c0, c1));
            v128.store(o + 2 * planeG, f32x4.sub(c0, c1)); v128.store(o + 3 * planeG, f32x4.neg(c1));
          }
        }
      }
    }
    // dU[ξ] (M × K) (+)= G[ξ] (M × T, rows ts apart) · V[ξ]ᵀ (T × K, panels): tiles past T are not read
    // in chunks of KT tiles: each output sums ≤ KT tiles in one lane before adding to dU (accuracy)
    for (let l = 0; l < nx; l++) {
      for (let k0 = 0; k0 < T; k0 += KT) {
        const kb = T - k0 < KT ? T - k0 : KT;
        // the chunk's rows of every B panel start k0 rows in; panels stay T rows apart
        macroPanels(gb + <usize>l * planeG + (<usize>k0 << 2), ts, M, vb + <usize>l * planeV + (<usize>k0 << 5), panelV, kb, K,
          du + (<usize>((i0 * 4 + l) * M * K) << 2), b0 > r0 || k0 > 0, scratch);
      }
    }
  }
}

/** C (M × K, row stride K) (+)= A (M × kb, rows rsA apart) · B (kb × K in panels of 8 columns, `panel` bytes apart). */
function macroPanels(a: usize, rsA: i32, M: i32, bp: usize, panel: usize, kb: i32, K: i32, c: usize, acc: bool, tmp: usize): void {
  for (let q = 0; q < K; q += 8) {
    macro(a, rsA, 1, 0, M, bp + <usize>(q >> 3) * panel, kb, K - q < 8 ? K - q : 8, c + (<usize>q << 2), K, acc, tmp);
  }
}

/** du[0, n) += du[q·n, (q + 1)·n) for q = 1 .. parts - 1, in that order: the parts' sums over tiles. */
export function winograd_weight_sum_f32(du: usize, n: i32, parts: i32): void {
  const bytes = <usize>n << 2;
  for (let q = 1; q < parts; q++) {
    const src = du + <usize>q * bytes;
    let o: usize = 0;
    for (; o + 16 <= bytes; o += 16) v128.store(du + o, f32x4.add(v128.load(du + o), v128.load(src + o)));
    for (; o < bytes; o += 4) store<f32>(du + o, load<f32>(du + o) + load<f32>(src + o));
  }
}

/** Weight gradient, part 2: gw[co][ci] (3×3) = Gᵀ · dU[·][co][ci] · G, for co in [c0, c1). */
export function winograd_weight_grad_out_f32(du: usize, gw: usize, M: i32, K: i32, c0: i32, c1: i32): void {
  const pl = <usize>(M * K) << 2;
  for (let co = c0; co < c1; co++) {
    for (let ci = 0; ci < K; ci++) {
      const s = du + (<usize>(co * K + ci) << 2);
      const o = gw + (<usize>((co * K + ci) * 9) << 2);
      // Z = Gᵀ·D (3 × 4), column by column: D0 + (D1 + D2)/2, (D1 - D2)/2, (D1 + D2)/2 + D3
      const z00 = gcol0(s, pl, 0), z01 = gcol0(s, pl, 1), z02 = gcol0(s, pl, 2), z03 = gcol0(s, pl, 3);
      const z10 = gcol1(s, pl, 0), z11 = gcol1(s, pl, 1), z12 = gcol1(s, pl, 2), z13 = gcol1(s, pl, 3);
      const z20 = gcol2(s, pl, 0), z21 = gcol2(s, pl, 1), z22 = gcol2(s, pl, 2), z23 = gcol2(s, pl, 3);
      // then Z·G along each row
      growOut(o, z00, z01, z02, z03); growOut(o + 12, z10, z11, z12, z13); growOut(o + 24, z20, z21, z22, z23);
    }
  }
}

// @ts-ignore: decorator
@inline function gcol0(s: usize, pl: usize, c: i32): f32 {
  return load<f32>(s + <usize>c * pl) + (load<f32>(s + <usize>(4 + c) * pl) + load<f32>(s + <usize>(8 + c) * pl)) * 0.5;
}
// @ts-ignore: decorator
@inline function gcol1(s: usize, pl: usize, c: i32): f32 {
  return (load<f32>(s + <usize>(4 + c) * pl) - load<f32>(s + <usize>(8 + c) * pl)) * 0.5;
}
// @ts-ignore: decorator
@inline function gcol2(s: usize, pl: usize, c: i32): f32 {
  return (load<f32>(s + <usize>(4 + c) * pl) + load<f32>(s + <usize>(8 + c) * pl)) * 0.5 + load<f32>(s + <usize>(12 + c) * pl);
}
// @ts-ignore: decorator
@inline function growOut(o: usize, a: f32, b: f32, c: f32, d: f32): void {
  const e = (b + c) * 0.5;
  store<f32>(o, a + e); store<f32>(o, (b - c) * 0.5, 4); store<f32>(o, e + d, 8);
}
