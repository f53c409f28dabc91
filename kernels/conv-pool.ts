// Inference's conv → ReLU → 2×2 max pooling for the direct (first-layer) convolution: each image's
// conv output is written to the thread's scratch, where it stays in cache, and pooled from there —
// the full-size activation never goes to memory.

import { conv_direct_f32 } from './conv-direct';
import { maxpool2x2_values_f32 } from './pool';

/**
 * For images [n0, n1): y_n = maxpool2×2(relu?(conv(x_n) + bias)). prm: conv2d's slots with n = 1
 * (as conv_direct_f32 reads them); units: its units per image; xImg: bytes per input image; the
 * conv plane (cOut × oh × ow floats) goes to scratch + tmpOff, pooled to poh × pow.
 */
export function conv_direct_pool_f32(x: usize, wt: usize, y: usize, prm: usize, units: i32, bias: usize, relu: i32, xImg: usize,
  cOut: i32, oh: i32, ow: i32, poh: i32, pow: i32, tmpOff: usize, n0: i32, n1: i32, scratch: usize): void {
  const tmp = scratch + tmpOff, yImg = <usize>(cOut * poh * pow) << 2;
  for (let n = n0; n < n1; n++) {
    conv_direct_f32(x + <usize>n * xImg, wt, tmp, prm, 0, units, scratch, bias, relu);
    maxpool2x2_values_f32(tmp, y + <usize>n * yImg, oh, ow, poh, pow, 0, cOut);
  }
}
