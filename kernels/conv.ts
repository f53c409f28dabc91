// float32 convolution as GEMM over im2col blocks that are packed straight into the GEMM's
// B-panel layout (never a whole-batch, nor even a whole-image, im2col buffer).
import { Conv } from '../src/backend/wasm/slots';
import { KC, NC, macro, packB } from './gemm';
import { P, imin, imax } from './common';
import { biasOf, epilogueRow } from './epilogue';

// Scratch layout (per thread): [0, KC*NC*4) packed panels; then a tile buffer; then index
// arrays; then the column-gradient block of the backward-input pass.
const TMP_OFF: usize = <usize>(KC * NC) << 2;
const IDX_OFF: usize = TMP_OFF + 1024;
const DCOL_OFF: usize = IDX_OFF + 8192;
const DCOL_FLOATS: i32 = 256 * 1024 - 2304;

/**
 * Packs rows k in [k0, k0+kb) × columns p in [p0, p0+nb) of one image-group's im2col matrix
 * (k = (ci, ky, kx), p = (oy, ox)) as B panels of 8 columns. x points at channel 0 of the group.
 * Walks each output row's run of columns: no per-element division, and the bounds checks only
 * at the clipped ends of a run.
 */
export function packIm2col(x: usize, prm: usize, k0: i32, kb: i32, p0: i32, nb: i32, dst: usize): void {
  const h = P(prm, Conv.h), w = P(prm, Conv.w), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw), sh = P(prm, Conv.sh), sw = P(prm, Conv.sw);
  const ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw), ow = P(prm, Conv.ow);
  const kk2 = kh * kw;
  const panelStep = <usize>kb << 5;
  for (let kk = 0; kk < kb; kk++) {
    const k = k0 + kk, ci = k / kk2, r = k - ci * kk2, ky = r / kw, kx = r - ky * kw;
    const xc = x + (<usize>(ci * h * w) << 2);
    const iyOff = ky * dh - ph, ixOff = kx * dw - pw;
    // output columns whose input column is inside the plane: ox in [lo, hi)
    let lo = ixOff >= 0 ? 0 : (-ixOff + sw - 1) / sw;
    let hi = w - 1 - ixOff < 0 ? 0 : (w - 1 - ixOff) / sw + 1;
    if (hi > ow) hi = ow;
    if (lo > hi) lo = hi;
    let d = dst + (<usize>kk << 5); // panel 0, lane 0 of this row
    let lane = 0;
    let p = p0;
    const pEnd = p0 + nb;
    while (p < pEnd) {
      const oy = p / ow, ox0 = p - oy * ow;
      const run = imin(ow - ox0, pEnd - p);
      const iy = oy * sh + iyOff;
      const inRow = <u32>iy < <u32>h;
      const src = xc + (<usize>(iy * w) << 2);
      const oxEnd = ox0 + run;
      let ox = ox0;
      if (inRow && sw == 1) {
        // stride 1: four neighbours at once while they stay inside the plane and the panel
        const vEnd = imin(oxEnd, hi);
        while (ox < vEnd) {
          if (ox >= lo && lane <= 4 && ox + 4 <= vEnd) {
            v128.store(d + (<usize>lane << 2), v128.load(src + (<usize>(ox + ixOff) << 2)));
            ox += 4; lane += 4;
          } else {
            store<f32>(d + (<usize>lane << 2), ox >= lo ? load<f32>(src + (<usize>(ox + ixOff) << 2)) : 0);
            ox++; lane++;
          }
          if (lane == 8) { lane = 0; d += panelStep; }
        }
      } else if (inRow && sw == 2) {
        // stride 2 (DCGAN's 4×4/2 convs): four outputs from the even lanes of eight neighbours, while
        // all eight lie inside the row
        const vEnd = imin(oxEnd, hi);
        while (ox < vEnd) {
          if (ox >= lo && lane <= 4 && ox + 4 <= vEnd && 2 * ox + ixOff + 8 <= w) {
            const q = src + (<usize>(2 * ox + ixOff) << 2);
            v128.store(d + (<usize>lane << 2), i32x4.shuffle(v128.load(q), v128.load(q, 16), 0, 2, 4, 6));
            ox += 4; lane += 4;
          } else {
            store<f32>(d + (<usize>lane << 2), ox >= lo ? load<f32>(src + (<usize>(2 * ox + ixOff) << 2)) : 0);
            ox++; lane++;
          }
          if (lane == 8) { lane = 0; d += panelStep; }
        }
      }
      for (; ox < oxEnd; ox++) {
        const v: f32 = inRow && ox >= lo && ox < hi ? load<f32>(src + (<usize>(ox * sw + ixOff) << 2)) : 0;
        store<f32>(d + (<usize>lane << 2), v);
        if (++lane == 8) { lane = 0; d += panelStep; }
      }
      p += run;
    }
    while (lane != 0) { store<f32>(d + (<usize>lane << 2), 0); if (++lane == 8) lane = 0; }
  }
}

/** Forward: y[n, g*cog:(g+1)*cog, p0:p1] for images [n0, n1). */
export function conv2d_f32(x: usize, wt: usize, y: usize, prm: usize, n0: i32, n1: i32, p0: i32, p1: i32, scratch: usize,
  bias: usize, relu: i32): void {
  const cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const groups = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const cig = cIn / groups, cog = cOut / groups, kg = cig * kh * kw, np = oh * ow;
  const tmp = scratch + TMP_OFF;
  for (let n = n0; n < n1; n++) {
    for (let g = 0; g < groups; g++) {
      const xg = x + (<usize>((n * cIn + g * cig) * h * w) << 2);
      const yg = y + (<usize>((n * cOut + g * cog) * np) << 2);
      const wg = wt + (<usize>(g * cog * kg) << 2);
      for (let pc = p0; pc < p1; pc += NC) {
        const nb = imin(NC, p1 - pc);
        for (let kc = 0; kc < kg; kc += KC) {
          const kb = imin(KC, kg - kc);
          packIm2col(xg, prm, kc, kb, pc, nb, scratch);
          macro(wg + (<usize>kc << 2), kg, 1, 0, cog, scratch, kb, nb, yg + (<usize>pc << 2), np, kc > 0, tmp);
        }
        // the epilogue on the block while it is in cache
        if (bias != 0 || relu != 0) {
          for (let co = 0; co < cog; co++) {
            epilogueRow(yg + (<usize>(co * np + pc) << 2), nb, biasOf(bias, g * cog + co), bias != 0, relu != 0);
          }
        }
      }
    }
  }
}

/**
 * gx (one image-group) += col2im(dcol), dcol being rows k < kg × columns p in [p0, p0+nb)
 * (row stride nb). Walks output-row runs like packIm2col; stride 1 adds four at a time.
 */
function col2imAdd(gx: usize, prm: usize, dcol: usize, kg: i32, p0: i32, nb: i32): void {
  const h = P(prm, Conv.h), w = P(prm, Conv.w), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw), sh = P(prm, Conv.sh), sw = P(prm, Conv.sw);
  const ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw), ow = P(prm, Conv.ow);
  const kk2 = kh * kw;
  for (let k = 0; k < kg; k++) {
    const ci = k / kk2, r = k - ci * kk2, ky = r / kw, kx = r - ky * kw;
    const xc = gx + (<usize>(ci * h * w) << 2);
    const iyOff = ky * dh - ph, ixOff = kx * dw - pw;
    let lo = ixOff >= 0 ? 0 : (-ixOff + sw - 1) / sw;
    let hi = w - 1 - ixOff < 0 ? 0 : (w - 1 - ixOff) / sw + 1;
    if (hi > ow) hi = ow;
    if (lo > hi) lo = hi;
    let srcp = dcol + (<usize>(k * nb) << 2);
    let p = p0;
    const pEnd = p0 + nb;
    while (p < pEnd) {
      const oy = p / ow, ox0 = p - oy * ow;
      const run = imin(ow - ox0, pEnd - p);
      const iy = oy * sh + iyOff;
      if (<u32>iy < <u32>h) {
        const row = xc + (<usize>(iy * w) << 2);
        const a = ox0 > lo ? ox0 : lo, b = ox0 + run < hi ? ox0 + run : hi;
        let ox = a;
        if (sw == 1) {
          for (; ox + 4 <= b; ox += 4) {
            const q = row + (<usize>(ox + ixOff) << 2);
            v128.store(q, f32x4.add(v128.load(q), v128.load(srcp + (<usize>(ox - ox0) << 2))));
          }
        }
        for (; ox < b; ox++) {
          const q = row + (<usize>(ox * sw + ixOff) << 2);
          store<f32>(q, load<f32>(q) + load<f32>(srcp + (<usize>(ox - ox0) << 2)));
        }
      }
      srcp += <usize>run << 2;
      p += run;
    }
  }
}

/**
 * Backward to the input, images [n0, n1): dcol = Wᵀ·gy block by block, then col2im adds. wt is the
 * weight transposed per group ([groups, kg, cog]), so that the GEMM reads A's rows contiguously
 * (read in place from [cog, kg], each step of k jumped kg floats: an L1 and TLB miss per load).
 */
export function conv2d_bwd_input_f32(gy: usize, wt: usize, gx: usize, prm: usize, n0: i32, n1: i32, scratch: usize): void {
  const cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const groups = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const cig = cIn / groups, cog = cOut / groups, kg = cig * kh * kw, np = oh * ow, kk2 = kh * kw;
  const tmp = scratch + TMP_OFF, dcol = scratch + DCOL_OFF;
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
          // A(i = kidx, c) = w[c*kg + kidx] = wt[kidx*cog + c]
          macro(wg + (<usize>kc << 2), cog, 1, 0, kg, scratch, kb, nb, dcol, nb, kc > 0, tmp);
        }
        col2imAdd(gxg, prm, dcol, kg, pc, nb);
      }
    }
  }
}

/**
 * Writes rows k in [k0, k0+kr) × columns p in [p0, p0+np_) of one image-group's im2col matrix,
 * row-major with row stride ld (the A operand of the weight-gradient GEMM).
 */
function im2colRows(x: usize, prm: usize, k0: i32, kr: i32, p0: i32, np_: i32, dst: usize, ld: i32): void {
  const h = P(prm, Conv.h), w = P(prm, Conv.w), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw), sh = P(prm, Conv.sh), sw = P(prm, Conv.sw);
  const ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw), ow = P(prm, Conv.ow);
  const kk2 = kh * kw;
  for (let kk = 0; kk < kr; kk++) {
    const k = k0 + kk, ci = k / kk2, r = k - ci * kk2, ky = r / kw, kx = r - ky * kw;
    const xc = x + (<usize>(ci * h * w) << 2);
    const iyOff = ky * dh - ph, ixOff = kx * dw - pw;
    let lo = ixOff >= 0 ? 0 : (-ixOff + sw - 1) / sw;
    let hi = w - 1 - ixOff < 0 ? 0 : (w - 1 - ixOff) / sw + 1;
    if (hi > ow) hi = ow;
    if (lo > hi) lo = hi;
    let d = dst + (<usize>(kk * ld) << 2);
    let p = p0;
    const pEnd = p0 + np_;
    while (p < pEnd) {
      const oy = p / ow, ox0 = p - oy * ow;
      const run = imin(ow - ox0, pEnd - p);
      const iy = oy * sh + iyOff;
      if (<u32>iy < <u32>h) {
        const row = xc + (<usize>(iy * w) << 2);
        const a = imin(ox0 > lo ? ox0 : lo, ox0 + run), b = ox0 + run < hi ? ox0 + run : hi;
        for (let ox = ox0; ox < a; ox++) store<f32>(d + (<usize>(ox - ox0) << 2), 0);
        let ox = a;
        if (sw == 1) for (; ox + 4 <= b; ox += 4) v128.store(d + (<usize>(ox - ox0) << 2), v128.load(row + (<usize>(ox + ixOff) << 2)));
        else if (sw == 2) {
          for (; ox + 4 <= b && 2 * ox + ixOff + 8 <= w; ox += 4) {
            const q = row + (<usize>(2 * ox + ixOff) << 2);
            v128.store(d + (<usize>(ox - ox0) << 2), i32x4.shuffle(v128.load(q), v128.load(q, 16), 0, 2, 4, 6));
          }
        }
        for (; ox < b; ox++) store<f32>(d + (<usize>(ox - ox0) << 2), load<f32>(row + (<usize>(ox * sw + ixOff) << 2)));
        for (ox = b > a ? b : a; ox < ox0 + run; ox++) store<f32>(d + (<usize>(ox - ox0) << 2), 0);
      } else {
        memory.fill(d, 0, <usize>run << 2);
      }
      d += <usize>run << 2;
      p += run;
    }
  }
}

/**
 * Backward to the weight, as gWᵀ: rows k in [r0, r1) × columns [j0, j1) of every group's gWᵀ
 * (kg × cog) = Σ over images and position blocks of im2col (kg × P) · gyᵀ (P × cog). The caller
 * transposes. (Threads split rows, or columns when kg is small, e.g. 9 for a first layer.)
 */
export function conv2d_bwd_weight_f32(x: usize, gy: usize, gwt: usize, prm: usize, r0: i32, r1: i32, j0: i32, j1: i32, scratch: usize): void {
  const nImg = P(prm, Conv.n), cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const groups = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const cig = cIn / groups, cog = cOut / groups, kg = cig * kh * kw, np = oh * ow;
  const tmp = scratch + TMP_OFF, acol = scratch + DCOL_OFF;
  for (let g = 0; g < groups; g++) {
    const gwg = gwt + (<usize>(g * kg * cog) << 2);
    if (np == 0 || nImg == 0) {
      for (let r = r0; r < r1; r++) memory.fill(gwg + (<usize>(r * cog + j0) << 2), 0, <usize>(j1 - j0) << 2);
      continue;
    }
    for (let jc = j0; jc < j1; jc += NC) {
      const nb = imin(NC, j1 - jc);
      for (let n = 0; n < nImg; n++) {
        const xg = x + (<usize>((n * cIn + g * cig) * h * w) << 2);
        const gyg = gy + (<usize>((n * cOut + g * cog) * np) << 2);
        for (let pc = 0; pc < np; pc += KC) {
          const kb = imin(KC, np - pc);
          // B(p, co) = gy[co*np + p]: gyᵀ, packed once per block for all row blocks
          packB(gyg, 1, np, pc, kb, jc, nb, scratch);
          const rb = imax(4, (DCOL_FLOATS / kb) & ~3);
          for (let rr = r0; rr < r1; rr += rb) {
            const rn = imin(rb, r1 - rr);
            im2colRows(xg, prm, rr, rn, pc, kb, acol, kb);
            macro(acol, kb, 1, 0, rn, scratch, kb, nb, gwg + (<usize>(rr * cog + jc) << 2), cog, n > 0 || pc > 0, tmp);
          }
        }
      }
    }
  }
}
