// float32 3×3 stride-1 convolution's weight gradient by Winograd F(2×2, 3×3): the 16 products
// dU[ξ] = Σ over tiles of (A·gy·Aᵀ)[ξ] ⊗ (Bᵀ·d·B)[ξ], then gw = Gᵀ·dU·G. Threads split the 16
// products, never the sum over tiles, so results do not depend on the thread count.

import { madd } from './common';
import { ROWS_OFF, ZERO_OFF, R_OFF, V_OFF } from './winograd';

// @ts-ignore: decorator
@inline function P(prm: usize, i: i32): i32 { return load<i32>(prm + (<usize>i << 2)); }

/**
 * Weight gradient, part 1: dU[ξ][co][ci] = Σ over every tile of (A·gy·Aᵀ)[ξ][co] · (Bᵀ·d·B)[ξ][ci]
 * for ξ = 4i + j with i in [i0, i1) (threads split the 16 products, never the sum over tiles).
 * Per block of `rb` tile rows both transforms are written row-major over the tiles, then summed by
 * a 2 × 4 dot-product tile over 4 tiles at a time. du is zeroed here; cOut even, cIn a multiple of 4.
 */
export function winograd_bwd_weight_f32(x: usize, gy: usize, du: usize, prm: usize, rb: i32, i0: i32, i1: i32, scratch: usize): void {
  const nImg = P(prm, 0), K = P(prm, 1), h = P(prm, 2), w = P(prm, 3), M = P(prm, 4), ph = P(prm, 9), pw = P(prm, 10);
  const oh = P(prm, 14), ow = P(prm, 15);
  const tH = (oh + 1) >> 1, tW = (ow + 1) >> 1;
  const wp = (((tW + 3) & ~3) << 1) + 4;
  const xr = scratch + ROWS_OFF, zero = scratch + ZERO_OFF, gr = scratch + R_OFF;
  const wb = <usize>wp << 2;
  memory.fill(xr, 0, 4 * wb);
  memory.fill(gr, 0, 4 * wb);
  memory.fill(zero, 0, <usize>(w > ow ? w : ow) << 2);
  const lo = pw < wp ? pw : wp, hi = pw + w < wp ? pw + w : wp;
  const ts = ((rb * tW + 3) & ~3) + 4; // row stride of the transforms (room for a group's spare lanes)
  const nx = (i1 - i0) * 4;
  const vb = scratch + V_OFF;
  const gb = vb + (<usize>(nx * K * ts) << 2);
  const rowV = <usize>ts << 2, planeV = <usize>(K * ts) << 2, planeG = <usize>(M * ts) << 2;
  for (let xi = i0 * 4; xi < i1 * 4; xi++) memory.fill(du + (<usize>(xi * M * K) << 2), 0, <usize>(M * K) << 2);
  const rows = nImg * tH;
  for (let b0 = 0; b0 < rows; b0 += rb) {
    const b1 = b0 + rb < rows ? b0 + rb : rows;
    const T = (b1 - b0) * tW, T4 = (T + 3) & ~3;
    // x: rows of Bᵀd as in winograd_f32, then columns for the rows i this thread owns (channels
    // outer, tile rows inner: each row of V is written front to back)
    for (let ci = 0; ci < K; ci++) {
      for (let rr = b0; rr < b1; rr++) {
        const n = rr / tH, ty = rr - n * tH, tb = (rr - b0) * tW;
        const xc = x + (<usize>((n * K + ci) * h) * <usize>w << 2);
        const iy = 2 * ty - ph;
        const p0 = <u32>iy < <u32>h ? xc + (<usize>(iy * w) << 2) : zero;
        const p1 = <u32>(iy + 1) < <u32>h ? xc + (<usize>((iy + 1) * w) << 2) : zero;
        const p2 = <u32>(iy + 2) < <u32>h ? xc + (<usize>((iy + 2) * w) << 2) : zero;
        const p3 = <u32>(iy + 3) < <u32>h ? xc + (<usize>((iy + 3) * w) << 2) : zero;
        let X = lo;
        for (; X + 4 <= hi; X += 4) {
          const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
          const a0 = v128.load(p0 + ix), a1 = v128.load(p1 + ix), a2 = v128.load(p2 + ix), a3 = v128.load(p3 + ix);
          v128.store(xr + o, f32x4.sub(a0, a2)); v128.store(xr + wb + o, f32x4.add(a1, a2));
          v128.store(xr + 2 * wb + o, f32x4.sub(a2, a1)); v128.store(xr + 3 * wb + o, f32x4.sub(a1, a3));
        }
        for (; X < hi; X++) {
          const o = <usize>X << 2, ix = <usize>(X - pw) << 2;
          const a0 = load<f32>(p0 + ix), a1 = load<f32>(p1 + ix), a2 = load<f32>(p2 + ix), a3 = load<f32>(p3 + ix);
          store<f32>(xr + o, a0 - a2); store<f32>(xr + wb + o, a1 + a2); store<f32>(xr + 2 * wb + o, a2 - a1); store<f32>(xr + 3 * wb + o, a1 - a3);
        }
        const dst = vb + <usize>ci * rowV + (<usize>tb << 2);
        for (let i = i0; i < i1; i++) {
          const d = dst + <usize>((i - i0) * 4) * planeV;
          for (let tx = 0; tx < tW; tx += 4) {
            const s = xr + <usize>i * wb + (<usize>(2 * tx) << 2);
            const v0 = v128.load(s), v1 = v128.load(s, 16), w0 = v128.load(s, 8), w1 = v128.load(s, 24);
            const c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
            const c2 = v128.shuffle<f32>(w0, w1, 0, 2, 4, 6), c3 = v128.shuffle<f32>(w0, w1, 1, 3, 5, 7);
            const o = d + (<usize>tx << 2);
            v128.store(o, f32x4.sub(c0, c2)); v128.store(o + planeV, f32x4.add(c1, c2));
            v128.store(o + 2 * planeV, f32x4.sub(c2, c1)); v128.store(o + 3 * planeV, f32x4.sub(c1, c3));
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
        const dst = gb + <usize>co * rowV + (<usize>tb << 2);
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
    // the spare lanes past the last tile (a group's extra lanes landed there) must add nothing
    if (T4 > T) {
      for (let r = 0; r < nx * K; r++) memory.fill(vb + <usize>r * rowV + (<usize>T << 2), 0, <usize>(T4 - T) << 2);
      for (let r = 0; r < nx * M; r++) memory.fill(gb + <usize>r * rowV + (<usize>T << 2), 0, <usize>(T4 - T) << 2);
    }
    for (let l = 0; l < nx; l++) {
      const vx = vb + <usize>l * planeV, gx = gb + <usize>l * planeG;
      const dx = du + (<usize>((i0 * 4 + l) * M * K) << 2);
      for (let co = 0; co < M; co += 2) {
        for (let ci = 0; ci < K; ci += 4) {
          dot2x4(gx + <usize>co * rowV, rowV, vx + <usize>ci * rowV, T4, dx + (<usize>(co * K + ci) << 2), <usize>K << 2);
        }
      }
    }
  }
}

/** d[a][b] += Σ_t g[a][t] · v[b][t] for a < 2, b < 4 (rows `rs` bytes apart), t < T4 in fours. */
function dot2x4(g: usize, rs: usize, v: usize, T4: i32, d: usize, ld: usize): void {
  let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  const end = <usize>T4 << 2;
  for (let o: usize = 0; o < end; o += 16) {
    const a = v128.load(g + o), b = v128.load(g + rs + o);
    let c = v128.load(v + o); s00 = madd(a, c, s00); s10 = madd(b, c, s10);
    c = v128.load(v + rs + o); s01 = madd(a, c, s01); s11 = madd(b, c, s11);
    c = v128.load(v + 2 * rs + o); s02 = madd(a, c, s02); s12 = madd(b, c, s12);
    c = v128.load(v + 3 * rs + o); s03 = madd(a, c, s03); s13 = madd(b, c, s13);
  }
  store<f32>(d, load<f32>(d) + hsum(s00)); store<f32>(d, load<f32>(d, 4) + hsum(s01), 4);
  store<f32>(d, load<f32>(d, 8) + hsum(s02), 8); store<f32>(d, load<f32>(d, 12) + hsum(s03), 12);
  store<f32>(d + ld, load<f32>(d + ld) + hsum(s10)); store<f32>(d + ld, load<f32>(d + ld, 4) + hsum(s11), 4);
  store<f32>(d + ld, load<f32>(d + ld, 8) + hsum(s12), 8); store<f32>(d + ld, load<f32>(d + ld, 12) + hsum(s13), 12);
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
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
