// float32 convolution over many images at once, for convs with few output positions per image
// (DCGAN's 4×4 stride-2 convs to 7×7): the per-image kernels of conv.ts then run GEMMs of only
// oh·ow columns, re-reading the whole weight (and, for the weight gradient, re-writing the whole
// gradient) once per image. Here the images' patches are rows of one matrix — row r = (image, oy,
// ox), kg = cIn·kh·kw values (ci, ky, kx) each — so that one GEMM covers the batch:
//   forward  Y[r, co] = patches · Wᵀ       input gradient  dpatches = G · W, added back (row2im)
//   weight   gW = Gᵀ · patches             (G = gy with positions as rows, [n·np, cOut])
// Groups of 1 only; the caller (src/backend/wasm/conv.ts) transposes between [n, c, np] and [n·np, c].
import { Conv } from '../src/backend/wasm/slots';
import { P } from './common';

/**
 * Rows [r0, r1) of the patch matrix of the images at x (row r at dst + r·kg floats): image r / np,
 * output position r % np; 0 where the window leaves the padded plane. A 4-wide, unit-dilation row of
 * the window that lies inside the plane is one vector copy.
 */
export function im2row_f32(x: usize, prm: usize, dst: usize, r0: i32, r1: i32): void {
  const cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const np = oh * ow, kg = cIn * kh * kw, plane = h * w;
  const vec = kw == 4 && dw == 1;
  for (let r = r0; r < r1; r++) {
    const img = r / np, p = r - img * np, oy = p / ow, ox = p - oy * ow;
    const iy0 = oy * sh - ph, ix0 = ox * sw - pw;
    const inside = ix0 >= 0 && ix0 + (kw - 1) * dw < w;
    let d = dst + (<usize>r * <usize>kg << 2);
    for (let ci = 0; ci < cIn; ci++) {
      const xc = x + (<usize>((img * cIn + ci) * plane) << 2);
      for (let ky = 0; ky < kh; ky++) {
        const iy = iy0 + ky * dh;
        if (<u32>iy >= <u32>h) {
          for (let kx = 0; kx < kw; kx++) store<f32>(d + (<usize>kx << 2), 0);
        } else {
          const row = xc + (<usize>(iy * w) << 2);
          if (vec && inside) v128.store(d, v128.load(row + (<usize>ix0 << 2)));
          else {
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * dw;
              store<f32>(d + (<usize>kx << 2), <u32>ix < <u32>w ? load<f32>(row + (<usize>ix << 2)) : 0);
            }
          }
        }
        d += <usize>kw << 2;
      }
    }
  }
}

/**
 * The input gradient of images [n0, n1) at gx (each zeroed first): the sum, over every patch row of
 * those images in dp ([n·np, kg], row r at dp + r·kg floats), of its values added back where the
 * patch was read. Images are independent, so threads split them.
 */
export function row2im_f32(dp: usize, prm: usize, gx: usize, n0: i32, n1: i32): void {
  const cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), w = P(prm, Conv.w), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const np = oh * ow, kg = cIn * kh * kw, plane = h * w;
  const vec = kw == 4 && dw == 1;
  memory.fill(gx + (<usize>(n0 * cIn * plane) << 2), 0, <usize>((n1 - n0) * cIn * plane) << 2);
  for (let img = n0; img < n1; img++) {
    for (let p = 0; p < np; p++) {
      const oy = p / ow, ox = p - oy * ow;
      const iy0 = oy * sh - ph, ix0 = ox * sw - pw;
      const inside = ix0 >= 0 && ix0 + (kw - 1) * dw < w;
      let s = dp + (<usize>(img * np + p) * <usize>kg << 2);
      for (let ci = 0; ci < cIn; ci++) {
        const xc = gx + (<usize>((img * cIn + ci) * plane) << 2);
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (<u32>iy < <u32>h) {
            const row = xc + (<usize>(iy * w) << 2);
            if (vec && inside) {
              const q = row + (<usize>ix0 << 2);
              v128.store(q, f32x4.add(v128.load(q), v128.load(s)));
            } else {
              for (let kx = 0; kx < kw; kx++) {
                const ix = ix0 + kx * dw;
                if (<u32>ix < <u32>w) {
                  const q = row + (<usize>ix << 2);
                  store<f32>(q, load<f32>(q) + load<f32>(s + (<usize>kx << 2)));
                }
              }
            }
          }
          s += <usize>kw << 2;
        }
      }
    }
  }
}

/** dst[i] += src[i] for i in [start, end) (a weight gradient summed over chunks of images). */
export function add_into_f32(dst: usize, src: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}
