// float32 GEMM: a 4×8 register-blocked f32x4 micro-kernel over B packed in panels of 8 columns,
// A read in place (broadcast loads). Every output element is accumulated in the same order
// whatever the tiling or the thread split, so results do not depend on the thread count.

import { madd, imin } from './common';

export const MR: i32 = 4; // rows of the micro-kernel (see tile4)
export const NR: i32 = 8;
export const KC: i32 = 512;
export const NC: i32 = 256;
/** Rows of A per block of the macro-kernel (A read in place: MC rows × KC floats stay in L2). */
export const MC: i32 = 64;

/**
 * Packs B(k, j) = B[k*rs + j*cs] for k in [k0, k0+kb), j in [j0, j0+nb) into panels of 8
 * columns: dst[q*kb*8 + kk*8 + jj], zero-padded past nb.
 */
export function packB(b: usize, rs: i32, cs: i32, k0: i32, kb: i32, j0: i32, nb: i32, dst: usize): void {
  const panels = (nb + 7) >> 3;
  for (let q = 0; q < panels; q++) {
    const jq = j0 + (q << 3);
    const w = imin(8, j0 + nb - jq);
    const d = dst + (<usize>(q * kb) << 5);
    if (cs == 1 && w == 8) {
      for (let kk = 0; kk < kb; kk++) {
        const s = b + (<usize>((k0 + kk) * rs + jq) << 2);
        const o = d + (<usize>kk << 5);
        v128.store(o, v128.load(s));
        v128.store(o, v128.load(s, 16), 16);
      }
    } else if (rs == 1 && w == 8) {
      // B stored transposed (column j contiguous over k): 4 k of each of 8 columns as vectors,
      // transposed in two 4×4 blocks into 4 rows of 8; the last kb % 4 rows lane by lane
      const step = <usize>cs << 2;
      const s0 = b + (<usize>(k0 + jq * cs) << 2);
      let kk = 0;
      for (; kk + 4 <= kb; kk += 4) {
        const o = d + (<usize>kk << 5);
        for (let h = 0; h < 2; h++) {
          const s = s0 + (<usize>kk << 2) + <usize>(4 * h) * step;
          const r0 = v128.load(s), r1 = v128.load(s + step), r2 = v128.load(s + 2 * step), r3 = v128.load(s + 3 * step);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const q = o + (<usize>h << 4);
          v128.store(q, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
          v128.store(q, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
          v128.store(q, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
          v128.store(q, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
        }
      }
      for (; kk < kb; kk++) {
        const s = s0 + (<usize>kk << 2);
        const o = d + (<usize>kk << 5);
        v128.store(o, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(s)),
          1, load<f32>(s + step)), 2, load<f32>(s + 2 * step)), 3, load<f32>(s + 3 * step)));
        v128.store(o, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(s + 4 * step)),
          1, load<f32>(s + 5 * step)), 2, load<f32>(s + 6 * step)), 3, load<f32>(s + 7 * step)), 16);
      }
    } else {
      for (let kk = 0; kk < kb; kk++) {
        const o = d + (<usize>kk << 5);
        v128.store(o, f32x4.splat(0));
        v128.store(o, f32x4.splat(0), 16);
      }
      for (let jj = 0; jj < w; jj++) {
        let s = b + (<usize>(k0 * rs + (jq + jj) * cs) << 2);
        const step = <usize>rs << 2;
        let o = d + (<usize>jj << 2);
        for (let kk = 0; kk < kb; kk++) {
          store<f32>(o, load<f32>(s));
          s += step; o += 32;
        }
      }
    }
  }
}

// 4 rows × 8 columns: 8 accumulators + 2 B vectors + 4 broadcasts fit V8's 15 usable xmm
// registers even when its scheduler hoists every load of an iteration (6×8 then spills).
// @ts-ignore: decorator
@inline function tile4(a: usize, ra: usize, ca: usize, bp: usize, kb: i32, c: usize, ldc: usize, acc: bool, w: i32, tmp: usize): void {
  let a0 = a, a1 = a + ra, a2 = a + 2 * ra, a3 = a + 3 * ra;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let kk = 0; kk < kb; kk++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    bp += 32;
    let x = v128.load32_splat(a0); c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a1); c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a2); c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a3); c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    a0 += ca; a1 += ca; a2 += ca; a3 += ca;
  }
  if (w == 8) {
    storeRow(c, c00, c01, acc); storeRow(c + ldc, c10, c11, acc);
    storeRow(c + 2 * ldc, c20, c21, acc); storeRow(c + 3 * ldc, c30, c31, acc);
  } else {
    v128.store(tmp, c00); v128.store(tmp, c01, 16);
    v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
    v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
    v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
    for (let r = 0; r < 4; r++) storePartial(c + <usize>r * ldc, tmp + (<usize>r << 5), w, acc);
  }
}

// One row × 8 columns, the same arithmetic per element as tile4.
// @ts-ignore: decorator
@inline function tile1(a: usize, ca: usize, bp: usize, kb: i32, c: usize, acc: bool, w: i32, tmp: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  for (let kk = 0; kk < kb; kk++) {
    const x = v128.load32_splat(a);
    c0 = madd(x, v128.load(bp), c0);
    c1 = madd(x, v128.load(bp, 16), c1);
    bp += 32; a += ca;
  }
  if (w == 8) storeRow(c, c0, c1, acc);
  else { v128.store(tmp, c0); v128.store(tmp, c1, 16); storePartial(c, tmp, w, acc); }
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, v0: v128, v1: v128, acc: bool): void {
  if (acc) { v0 = f32x4.add(v128.load(c), v0); v1 = f32x4.add(v128.load(c, 16), v1); }
  v128.store(c, v0); v128.store(c, v1, 16);
}

function storePartial(c: usize, t: usize, w: i32, acc: bool): void {
  for (let j = 0; j < w; j++) {
    const p = c + (<usize>j << 2);
    const v = load<f32>(t + (<usize>j << 2));
    store<f32>(p, acc ? load<f32>(p) + v : v);
  }
}

/**
 * C[m0:m1, 0:nb] (+)= A[m0:m1, kblock] · Bpacked. a points at A(0, k0) (row 0 of the matrix,
 * not of the range); rsA/csA are element strides; c points at C(0, j0); ldc in elements.
 */
export function macro(a: usize, rsA: i32, csA: i32, m0: i32, m1: i32, bp: usize, kb: i32, nb: i32,
  c: usize, ldc: i32, acc: bool, tmp: usize): void {
  const ra = <usize>rsA << 2, ca = <usize>csA << 2, lc = <usize>ldc << 2;
  const panels = (nb + 7) >> 3;
  const full = m0 + (m1 - m0) / MR * MR;
  // Row blocks of MC outer (their rows of A, ≤ MC×kb floats, stay in L2), then panels (the packed
  // panel, kb×8 floats ≤ 16 KiB, stays in L1), then the rows of the block.
  for (let i0 = m0; i0 < full; i0 += MC) {
    const i1 = imin(full, i0 + MC);
    for (let q = 0; q < panels; q++) {
      const bq = bp + (<usize>(q * kb) << 5), cq = c + (<usize>q << 5), w = imin(8, nb - (q << 3));
      for (let i = i0; i < i1; i += MR) {
        tile4(a + <usize>i * ra, ra, ca, bq, kb, cq + <usize>i * lc, lc, acc, w, tmp);
      }
    }
  }
  for (let q = 0; q < panels; q++) {
    const bq = bp + (<usize>(q * kb) << 5), cq = c + (<usize>q << 5), w = imin(8, nb - (q << 3));
    for (let i = full; i < m1; i++) {
      tile1(a + <usize>i * ra, ca, bq, kb, cq + <usize>i * lc, acc, w, tmp);
    }
  }
}

/** Where gemm_f32 packs A's row blocks in its scratch (after packed B and the tile buffer). */
const PA_OFF: usize = (<usize>(KC * NC) << 2) + 1024;

/**
 * macro for A stored transposed (A(i, k) at a[i + k*csA]): each block of MC rows is first packed in
 * panels of 4 rows (pa[(r/4)*kb*4 + kk*4 + r%4], one vector load per k and panel), so the
 * micro-kernel's broadcast loads run along contiguous memory instead of jumping csA floats per k
 * (half speed). Same tiles, same order of accumulation as macro: identical results.
 */
function macroT(a: usize, csA: i32, m0: i32, m1: i32, bp: usize, kb: i32, nb: i32,
  c: usize, ldc: i32, acc: bool, tmp: usize, pa: usize): void {
  const ca = <usize>csA << 2, lc = <usize>ldc << 2;
  const panels = (nb + 7) >> 3;
  const full = m0 + (m1 - m0) / MR * MR;
  const pstride = <usize>kb << 4;
  for (let i0 = m0; i0 < full; i0 += MC) {
    const i1 = imin(full, i0 + MC);
    for (let i = i0; i < i1; i += MR) {
      let s = a + (<usize>i << 2), d = pa + <usize>((i - i0) >> 2) * pstride;
      for (let kk = 0; kk < kb; kk++) { v128.store(d, v128.load(s)); s += ca; d += 16; }
    }
    for (let q = 0; q < panels; q++) {
      const bq = bp + (<usize>(q * kb) << 5), cq = c + (<usize>q << 5), w = imin(8, nb - (q << 3));
      for (let i = i0; i < i1; i += MR) {
        tile4(pa + <usize>((i - i0) >> 2) * pstride, 4, 16, bq, kb, cq + <usize>i * lc, lc, acc, w, tmp);
      }
    }
  }
  for (let q = 0; q < panels; q++) {
    const bq = bp + (<usize>(q * kb) << 5), cq = c + (<usize>q << 5), w = imin(8, nb - (q << 3));
    for (let i = full; i < m1; i++) {
      tile1(a + (<usize>i << 2), ca, bq, kb, cq + <usize>i * lc, acc, w, tmp);
    }
  }
}

/** Zeroes C rows [m0, m1), columns [j0, j1) (ldc n): the k = 0 product. */
function zeroBlock(c: usize, n: i32, m0: i32, m1: i32, j0: i32, j1: i32): void {
  for (let i = m0; i < m1; i++) memory.fill(c + (<usize>(i * n + j0) << 2), 0, <usize>(j1 - j0) << 2);
}

/**
 * Batched C[b] (m×n, contiguous) = A[b] · B[b] for b in [b0, b1), rows [m0, m1), cols [j0, j1).
 * A(i,k) = A[b*aBS + i*rsA + k*csA]; B(k,j) = B[b*bBS + k*rsB + j*csB]. scratch ≥ KC*NC*4 + 256 bytes.
 */
export function gemm_f32(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32,
  rsA: i32, csA: i32, rsB: i32, csB: i32, aBS: i32, bBS: i32,
  b0: i32, b1: i32, m0: i32, m1: i32, j0: i32, j1: i32, scratch: usize): void {
  const tmp = scratch + (<usize>(KC * NC) << 2);
  for (let bi = b0; bi < b1; bi++) {
    const ab = a + (<usize>bi * <usize>aBS << 2);
    const bb = b + (<usize>bi * <usize>bBS << 2);
    const cb = c + (<usize>bi * <usize>m * <usize>n << 2);
    if (k == 0) { zeroBlock(cb, n, m0, m1, j0, j1); continue; }
    for (let jc = j0; jc < j1; jc += NC) {
      const nb = imin(NC, j1 - jc);
      for (let kc = 0; kc < k; kc += KC) {
        const kb = imin(KC, k - kc);
        packB(bb, rsB, csB, kc, kb, jc, nb, scratch);
        if (rsA == 1 && csA != 1) macroT(ab + (<usize>(kc * csA) << 2), csA, m0, m1, scratch, kb, nb, cb + (<usize>jc << 2), n, kc > 0, tmp, scratch + PA_OFF);
        else macro(ab + (<usize>(kc * csA) << 2), rsA, csA, m0, m1, scratch, kb, nb,
          cb + (<usize>jc << 2), n, kc > 0, tmp);
      }
    }
  }
}
