// The recurrent layers' step product h·W_hhᵀ (or dz·W_hh) for a thread's range of hidden units:
// W_hh packed once per sequence into gemm's panels, one group per gate, then gemm's micro-kernel.

import { KC, macro, packB } from './gemm';

/**
 * Packs B(k, j) = w[k·rs + j·cs] (k < K) for `groups` groups of H columns (group g: columns g·H…)
 * into gemm's panels of 8 columns, per group and K block of KC: group g, block k0 at
 * dst + 4·(g·P·8·K + P·8·k0) with P = ⌈H/8⌉ panels, each kb × 8 floats, zero-padded past H.
 */
export function rnn_pack_f32(w: usize, rs: i32, cs: i32, K: i32, H: i32, groups: i32, dst: usize): void {
  const P = (H + 7) >> 3;
  for (let g = 0; g < groups; g++) {
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kb = min(KC, K - k0);
      packB(w, rs, cs, k0, kb, g * H, H, dst + (<usize>(g * P * 8 * K + P * 8 * k0) << 2));
    }
  }
}

/** C[0:M, j0:j1] = A[M, K] (rows rsA apart) · group g of the packed B (rnn_pack_f32); C rows ldc apart. */
// @ts-ignore: decorator
@inline export function product(a: usize, rsA: i32, M: i32, K: i32, pw: usize, g: i32, H: i32, j0: i32, j1: i32,
  c: usize, ldc: i32, tmp: usize): void {
  const P = (H + 7) >> 3;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kb = min(KC, K - k0);
    const bp = pw + (<usize>(g * P * 8 * K + P * 8 * k0 + (j0 >> 3) * kb * 8) << 2);
    macro(a + (<usize>k0 << 2), rsA, 1, 0, M, bp, kb, j1 - j0, c + (<usize>j0 << 2), ldc, k0 > 0, tmp);
  }
}
