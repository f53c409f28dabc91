// float32 convolution as GEMM over im2col blocks that are packed straight into the GEMM's
// B-panel layout (never a whole-batch, nor even a whole-image, im2col buffer).
// Parameter slots: n cIn h w cOut kh kw sh sw ph pw dh dw groups oh ow.

import { KC, NC, macro, packB } from './gemm';
import { imin } from './common';

// Scratch layout (per thread): [0, KC*NC*4) packed panels; then a tile buffer; then index
// arrays; then the column-gradient block of the backward-input pass.
const TMP_OFF: usize = <usize>(KC * NC) << 2;
const IDX_OFF: usize = TMP_OFF + 1024;
const DCOL_OFF: usize = IDX_OFF + 8192;
const DCOL_FLOATS: i32 = 256 * 1024 - 2304;

// @ts-ignore: decorator
@inline function P(prm: usize, i: i32): i32 { return load<i32>(prm + (<usize>i << 2)); }

/**
 * Packs rows k in [k0, k0+kb) × columns p in [p0, p0+nb) of one image-group's im2col matrix
 * (k = (ci, ky, kx), p = (oy, ox)) as B panels of 8 columns. x points at channel 0 of the group.
 */
function packIm2col(x: usize, prm: usize, k0: i32, kb: i32, p0: i32, nb: i32, dst: usize, idx: usize): void {
  const h = P(prm, 2), w = P(prm, 3), kh = P(prm, 5), kw = P(prm, 6), sh = P(prm, 7), sw = P(prm, 8);
  const ph = P(prm, 9), pw = P(prm, 10), dh = P(prm, 11), dw = P(prm, 12), ow = P(prm, 15);
  const nbp = (nb + 7) & ~7;
  for (let j = 0; j < nbp; j++) {
    const p = p0 + j, oy = p / ow, ox = p - oy * ow;
    // columns past nb pad the last panel: an impossible row makes them zero
    store<i32>(idx + (<usize>j << 3), j < nb ? oy * sh - ph : -1 << 30);
    store<i32>(idx + (<usize>j << 3) + 4, ox * sw - pw);
  }
  const kk2 = kh * kw;
  for (let kk = 0; kk < kb; kk++) {
    const k = k0 + kk, ci = k / kk2, r = k - ci * kk2, ky = r / kw, kx = r - ky * kw;
    const xc = x + (<usize>(ci * h * w) << 2);
    const oyOff = ky * dh, oxOff = kx * dw;
    let d = dst + (<usize>kk << 5);
    for (let j = 0; j < nbp; j += 8) {
      for (let jj = 0; jj < 8; jj++) {
        const e = idx + (<usize>(j + jj) << 3);
        const iy = load<i32>(e) + oyOff, ix = load<i32>(e, 4) + oxOff;
        const v: f32 = (<u32>iy < <u32>h && <u32>ix < <u32>w) ? load<f32>(xc + (<usize>(iy * w + ix) << 2)) : 0;
        store<f32>(d + (<usize>jj << 2), v);
      }
      d += <usize>kb << 5;
    }
  }
}

/** Forward: y[n, g*cog:(g+1)*cog, p0:p1] for images [n0, n1). */
export function conv2d_f32(x: usize, wt: usize, y: usize, prm: usize, n0: i32, n1: i32, p0: i32, p1: i32, scratch: usize): void {
  const cIn = P(prm, 1), h = P(prm, 2), w = P(prm, 3), cOut = P(prm, 4), kh = P(prm, 5), kw = P(prm, 6);
  const groups = P(prm, 13), oh = P(prm, 14), ow = P(prm, 15);
  const cig = cIn / groups, cog = cOut / groups, kg = cig * kh * kw, np = oh * ow;
  const tmp = scratch + TMP_OFF, idx = scratch + IDX_OFF;
  for (let n = n0; n < n1; n++) {
    for (let g = 0; g < groups; g++) {
      const xg = x + (<usize>((n * cIn + g * cig) * h * w) << 2);
      const yg = y + (<usize>((n * cOut + g * cog) * np) << 2);
      const wg = wt + (<usize>(g * cog * kg) << 2);
      for (let pc = p0; pc < p1; pc += NC) {
        const nb = imin(NC, p1 - pc);
        for (let kc = 0; kc < kg; kc += KC) {
          const kb = imin(KC, kg - kc);
          packIm2col(xg, prm, kc, kb, pc, nb, scratch, idx);
          macro(wg + (<usize>kc << 2), kg, 1, 0, cog, scratch, kb, nb, yg + (<usize>pc << 2), np, kc > 0, tmp);
        }
      }
    }
  }
}

/** Backward to the input, images [n0, n1): dcol = Wᵀ·gy block by block, then col2im adds. */
export function conv2d_bwd_input_f32(gy: usize, wt: usize, gx: usize, prm: usize, n0: i32, n1: i32, scratch: usize): void {
  const cIn = P(prm, 1), h = P(prm, 2), w = P(prm, 3), cOut = P(prm, 4), kh = P(prm, 5), kw = P(prm, 6);
  const sh = P(prm, 7), sw = P(prm, 8), ph = P(prm, 9), pw = P(prm, 10), dh = P(prm, 11), dw = P(prm, 12);
  const groups = P(prm, 13), oh = P(prm, 14), ow = P(prm, 15);
  const cig = cIn / groups, cog = cOut / groups, kg = cig * kh * kw, np = oh * ow, kk2 = kh * kw;
  const tmp = scratch + TMP_OFF, dcol = scratch + DCOL_OFF, idx = scratch + IDX_OFF;
  // columns per block: the dcol block (kg × pb floats) must fit its scratch area
  let pb = imin(NC, (DCOL_FLOATS / kg) & ~7);
  if (pb < 8) pb = 8;
  memory.fill(gx + (<usize>(n0 * cIn * h * w) << 2), 0, <usize>((n1 - n0) * cIn * h * w) << 2);
  for (let n = n0; n < n1; n++) {
    for (let g = 0; g < groups; g++) {
      const gxg = gx + (<usize>((n * cIn + g * cig) * h * w) << 2);
      const gyg = gy + (<usize>((n * cOut + g * cog) * np) << 2);
      const wg = wt + (<usize>(g * cog * kg) << 2);
      for (let pc = 0; pc < np; pc += pb) {
        const nb = imin(pb, np - pc);
        for (let kc = 0; kc < cog; kc += KC) {
          const kb = imin(KC, cog - kc);
          packB(gyg, np, 1, kc, kb, pc, nb, scratch);
          // A(i = kidx, c) = w[c*kg + kidx]
          macro(wg + (<usize>(kc * kg) << 2), 1, kg, 0, kg, scratch, kb, nb, dcol, nb, kc > 0, tmp);
        }
        for (let j = 0; j < nb; j++) {
          const p = pc + j, oy = p / ow, ox = p - oy * ow;
          store<i32>(idx + (<usize>j << 3), oy * sh - ph);
          store<i32>(idx + (<usize>j << 3) + 4, ox * sw - pw);
        }
        for (let k = 0; k < kg; k++) {
          const ci = k / kk2, r = k - ci * kk2, ky = r / kw, kx = r - ky * kw;
          const xc = gxg + (<usize>(ci * h * w) << 2);
          const drow = dcol + (<usize>(k * nb) << 2);
          const oyOff = ky * dh, oxOff = kx * dw;
          for (let j = 0; j < nb; j++) {
            const e = idx + (<usize>j << 3);
            const iy = load<i32>(e) + oyOff, ix = load<i32>(e, 4) + oxOff;
            if (<u32>iy < <u32>h && <u32>ix < <u32>w) {
              const q = xc + (<usize>(iy * w + ix) << 2);
              store<f32>(q, load<f32>(q) + load<f32>(drow + (<usize>j << 2)));
            }
          }
        }
      }
    }
  }
}

/**
 * Packs rows p in [p0, p0+kb) × columns k in [k0, k0+nb) of im2colᵀ (p = (oy, ox), k = (ci, ky, kx))
 * as B panels of 8 columns.
 */
function packIm2colT(x: usize, prm: usize, p0: i32, kb: i32, k0: i32, nb: i32, dst: usize, idx: usize): void {
  const h = P(prm, 2), w = P(prm, 3), kh = P(prm, 5), kw = P(prm, 6), sh = P(prm, 7), sw = P(prm, 8);
  const ph = P(prm, 9), pw = P(prm, 10), dh = P(prm, 11), dw = P(prm, 12), ow = P(prm, 15);
  for (let pp = 0; pp < kb; pp++) {
    const p = p0 + pp, oy = p / ow, ox = p - oy * ow;
    store<i32>(idx + (<usize>pp << 3), oy * sh - ph);
    store<i32>(idx + (<usize>pp << 3) + 4, ox * sw - pw);
  }
  const kk2 = kh * kw;
  const panels = (nb + 7) >> 3;
  for (let q = 0; q < panels; q++) {
    const d = dst + (<usize>(q * kb) << 5);
    for (let jj = 0; jj < 8; jj++) {
      const k = k0 + (q << 3) + jj;
      let o = d + (<usize>jj << 2);
      if ((q << 3) + jj >= nb) {
        for (let pp = 0; pp < kb; pp++) { store<f32>(o, 0); o += 32; }
        continue;
      }
      const ci = k / kk2, r = k - ci * kk2, ky = r / kw, kx = r - ky * kw;
      const xc = x + (<usize>(ci * h * w) << 2);
      const oyOff = ky * dh, oxOff = kx * dw;
      for (let pp = 0; pp < kb; pp++) {
        const e = idx + (<usize>pp << 3);
        const iy = load<i32>(e) + oyOff, ix = load<i32>(e, 4) + oxOff;
        store<f32>(o, (<u32>iy < <u32>h && <u32>ix < <u32>w) ? load<f32>(xc + (<usize>(iy * w + ix) << 2)) : 0);
        o += 32;
      }
    }
  }
}

/** Backward to the weight, columns k in [j0, j1) of every group's gW (cog × kg). */
export function conv2d_bwd_weight_f32(x: usize, gy: usize, gw: usize, prm: usize, j0: i32, j1: i32, scratch: usize): void {
  const nImg = P(prm, 0), cIn = P(prm, 1), h = P(prm, 2), w = P(prm, 3), cOut = P(prm, 4), kh = P(prm, 5), kw = P(prm, 6);
  const groups = P(prm, 13), oh = P(prm, 14), ow = P(prm, 15);
  const cig = cIn / groups, cog = cOut / groups, kg = cig * kh * kw, np = oh * ow;
  const tmp = scratch + TMP_OFF, idx = scratch + IDX_OFF;
  for (let g = 0; g < groups; g++) {
    const gwg = gw + (<usize>(g * cog * kg) << 2);
    if (np == 0 || nImg == 0) {
      for (let r = 0; r < cog; r++) memory.fill(gwg + (<usize>(r * kg + j0) << 2), 0, <usize>(j1 - j0) << 2);
      continue;
    }
    for (let jc = j0; jc < j1; jc += NC) {
      const nb = imin(NC, j1 - jc);
      for (let n = 0; n < nImg; n++) {
        const xg = x + (<usize>((n * cIn + g * cig) * h * w) << 2);
        const gyg = gy + (<usize>((n * cOut + g * cog) * np) << 2);
        for (let pc = 0; pc < np; pc += KC) {
          const kb = imin(KC, np - pc);
          packIm2colT(xg, prm, pc, kb, jc, nb, scratch, idx);
          macro(gyg + (<usize>pc << 2), np, 1, 0, cog, scratch, kb, nb, gwg + (<usize>jc << 2), kg, n > 0 || pc > 0, tmp);
        }
      }
    }
  }
}
