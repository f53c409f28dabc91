// Straightforward scalar kernels, generic over the element type: the float64 (and int32) paths
// of GEMM and convolution, and pooling / adaptive pooling for every float type.
import { Adaptive, Conv, Pool } from '../src/backend/wasm/slots';
import { P } from './common';

// @ts-ignore: decorator
@inline function ld<T>(p: usize, i: i32): T { return load<T>(p + (<usize>i << alignof<T>())); }
// @ts-ignore: decorator
@inline function st<T>(p: usize, i: i32, v: T): void { store<T>(p + (<usize>i << alignof<T>()), v); }

function gemmRef<T>(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, rsA: i32, csA: i32, rsB: i32, csB: i32,
  aBS: i32, bBS: i32, b0: i32, b1: i32, m0: i32, m1: i32, j0: i32, j1: i32): void {
  for (let bi = b0; bi < b1; bi++) {
    const ab = bi * aBS, bb = bi * bBS, cb = bi * m * n;
    for (let i = m0; i < m1; i++) {
      for (let j = j0; j < j1; j++) st<T>(c, cb + i * n + j, <T>0);
      for (let kk = 0; kk < k; kk++) {
        const x = ld<T>(a, ab + i * rsA + kk * csA);
        const brow = bb + kk * rsB;
        for (let j = j0; j < j1; j++) st<T>(c, cb + i * n + j, ld<T>(c, cb + i * n + j) + x * ld<T>(b, brow + j * csB));
      }
    }
  }
}
export function gemm_f64(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, rsA: i32, csA: i32, rsB: i32, csB: i32,
  aBS: i32, bBS: i32, b0: i32, b1: i32, m0: i32, m1: i32, j0: i32, j1: i32, scratch: usize): void {
  gemmRef<f64>(a, b, c, m, n, k, rsA, csA, rsB, csB, aBS, bBS, b0, b1, m0, m1, j0, j1);
}
export function gemm_i32(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, rsA: i32, csA: i32, rsB: i32, csB: i32,
  aBS: i32, bBS: i32, b0: i32, b1: i32, m0: i32, m1: i32, j0: i32, j1: i32, scratch: usize): void {
  gemmRef<i32>(a, b, c, m, n, k, rsA, csA, rsB, csB, aBS, bBS, b0, b1, m0, m1, j0, j1);
}

// Direct convolution, output planes (image, cOut) in [p0, p1).
function convDirect<T>(x: usize, w: usize, y: usize, prm: usize, p0: i32, p1: i32): void {
  const cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), wd = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const g = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const cig = cIn / g, cog = cOut / g;
  for (let p = p0; p < p1; p++) {
    const ni = p / cOut, co = p - ni * cOut, gi = co / cog;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      let acc: T = <T>0;
      for (let ci = 0; ci < cig; ci++) {
        const xb = ((ni * cIn + gi * cig + ci) * h) * wd, wb = ((co * cig + ci) * kh) * kw;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pw + kx * dw;
            if (ix < 0 || ix >= wd) continue;
            acc += ld<T>(x, xb + iy * wd + ix) * ld<T>(w, wb + ky * kw + kx);
          }
        }
      }
      st<T>(y, (p * oh + oy) * ow + ox, acc);
    }
  }
}
export function conv2d_direct_f64(x: usize, w: usize, y: usize, prm: usize, p0: i32, p1: i32): void { convDirect<f64>(x, w, y, prm, p0, p1); }

// Gradient w.r.t. the input, images [n0, n1): gx (zeroed here) += gy ⊛ w.
function convBwdInput<T>(gy: usize, w: usize, gx: usize, prm: usize, n0: i32, n1: i32): void {
  const cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), wd = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const g = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const cig = cIn / g, cog = cOut / g;
  memory.fill(gx + (<usize>(n0 * cIn * h * wd) << alignof<T>()), 0, <usize>((n1 - n0) * cIn * h * wd) << alignof<T>());
  for (let ni = n0; ni < n1; ni++) for (let co = 0; co < cOut; co++) {
    const gi = co / cog;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const gv = ld<T>(gy, ((ni * cOut + co) * oh + oy) * ow + ox);
      for (let ci = 0; ci < cig; ci++) {
        const xb = ((ni * cIn + gi * cig + ci) * h) * wd, wb = ((co * cig + ci) * kh) * kw;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pw + kx * dw;
            if (ix < 0 || ix >= wd) continue;
            st<T>(gx, xb + iy * wd + ix, ld<T>(gx, xb + iy * wd + ix) + gv * ld<T>(w, wb + ky * kw + kx));
          }
        }
      }
    }
  }
}
export function conv2d_bwd_input_direct_f64(gy: usize, w: usize, gx: usize, prm: usize, n0: i32, n1: i32): void { convBwdInput<f64>(gy, w, gx, prm, n0, n1); }

// Gradient w.r.t. the weight, output channels [c0, c1).
function convBwdWeight<T>(x: usize, gy: usize, gw: usize, prm: usize, c0: i32, c1: i32): void {
  const n = P(prm, Conv.n), cIn = P(prm, Conv.cIn), h = P(prm, Conv.h), wd = P(prm, Conv.w), cOut = P(prm, Conv.cOut), kh = P(prm, Conv.kh), kw = P(prm, Conv.kw);
  const sh = P(prm, Conv.sh), sw = P(prm, Conv.sw), ph = P(prm, Conv.ph), pw = P(prm, Conv.pw), dh = P(prm, Conv.dh), dw = P(prm, Conv.dw);
  const g = P(prm, Conv.groups), oh = P(prm, Conv.oh), ow = P(prm, Conv.ow);
  const cig = cIn / g, cog = cOut / g;
  for (let co = c0; co < c1; co++) {
    const gi = co / cog;
    for (let ci = 0; ci < cig; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      let acc: T = <T>0;
      for (let ni = 0; ni < n; ni++) {
        const xb = ((ni * cIn + gi * cig + ci) * h) * wd, gb = ((ni * cOut + co) * oh) * ow;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * sw - pw + kx * dw;
            if (ix < 0 || ix >= wd) continue;
            acc += ld<T>(x, xb + iy * wd + ix) * ld<T>(gy, gb + oy * ow + ox);
          }
        }
      }
      st<T>(gw, ((co * cig + ci) * kh + ky) * kw + kx, acc);
    }
  }
}
export function conv2d_bwd_weight_direct_f64(x: usize, gy: usize, gw: usize, prm: usize, c0: i32, c1: i32): void { convBwdWeight<f64>(x, gy, gw, prm, c0, c1); }

function maxPool<T>(x: usize, y: usize, idx: usize, prm: usize, p0: i32, p1: i32): void {
  const h = P(prm, Pool.h), w = P(prm, Pool.w), kh = P(prm, Pool.kh), kw = P(prm, Pool.kw), sh = P(prm, Pool.sh), sw = P(prm, Pool.sw);
  const ph = P(prm, Pool.ph), pw = P(prm, Pool.pw), dh = P(prm, Pool.dh), dw = P(prm, Pool.dw), oh = P(prm, Pool.oh), ow = P(prm, Pool.ow);
  // Fast path: no padding, so every window lies inside the plane (the common 2×2/2 pooling).
  if (ph == 0 && pw == 0 && (oh - 1) * sh + (kh - 1) * dh < h && (ow - 1) * sw + (kw - 1) * dw < w) {
    for (let p = p0; p < p1; p++) {
      const xb = p * h * w;
      let o = p * oh * ow;
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        const i0 = oy * sh * w + ox * sw;
        let best = ld<T>(x, xb + i0); let bi = i0;
        for (let ky = 0; ky < kh; ky++) {
          const rowi = i0 + ky * dh * w;
          for (let kx = 0; kx < kw; kx++) {
            const i = rowi + kx * dw;
            const v = ld<T>(x, xb + i);
            if ((v > best || v != v) && best == best) { best = v; bi = i; }
          }
        }
        st<T>(y, o, best); store<i32>(idx + (<usize>o << 2), bi);
        o++;
      }
    }
    return;
  }
  for (let p = p0; p < p1; p++) {
    const xb = p * h * w;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      let best: T = <T>-Infinity; let bi = -1; let found = false;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - ph + ky * dh;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pw + kx * dw;
          if (ix < 0 || ix >= w) continue;
          const v = ld<T>(x, xb + iy * w + ix);
          if (!found || ((v > best || v != v) && best == best)) { best = v; bi = iy * w + ix; found = true; }
        }
      }
      const o = (p * oh + oy) * ow + ox;
      st<T>(y, o, best); store<i32>(idx + (<usize>o << 2), bi);
    }
  }
}
export function maxpool_f32(x: usize, y: usize, idx: usize, prm: usize, p0: i32, p1: i32): void { maxPool<f32>(x, y, idx, prm, p0, p1); }
export function maxpool_f64(x: usize, y: usize, idx: usize, prm: usize, p0: i32, p1: i32): void { maxPool<f64>(x, y, idx, prm, p0, p1); }

function maxPoolBwd<T>(gy: usize, idx: usize, gx: usize, prm: usize, p0: i32, p1: i32): void {
  const h = P(prm, Pool.h), w = P(prm, Pool.w), oh = P(prm, Pool.oh), ow = P(prm, Pool.ow);
  memory.fill(gx + (<usize>(p0 * h * w) << alignof<T>()), 0, <usize>((p1 - p0) * h * w) << alignof<T>());
  for (let p = p0; p < p1; p++) {
    const xb = p * h * w, ob = p * oh * ow;
    for (let o = 0; o < oh * ow; o++) {
      const i = load<i32>(idx + (<usize>(ob + o) << 2));
      if (i >= 0) st<T>(gx, xb + i, ld<T>(gx, xb + i) + ld<T>(gy, ob + o));
    }
  }
}
export function maxpool_bwd_f32(gy: usize, idx: usize, gx: usize, prm: usize, p0: i32, p1: i32): void { maxPoolBwd<f32>(gy, idx, gx, prm, p0, p1); }
export function maxpool_bwd_f64(gy: usize, idx: usize, gx: usize, prm: usize, p0: i32, p1: i32): void { maxPoolBwd<f64>(gy, idx, gx, prm, p0, p1); }

// Average pooling: the divisor per PyTorch (window clipped to the padded input; without
// countIncludePad, clipped to the input itself).
// @ts-ignore: decorator
@inline function avgDiv(prm: usize, oy: i32, ox: i32): i32 {
  const h = P(prm, Pool.h), w = P(prm, Pool.w), kh = P(prm, Pool.kh), kw = P(prm, Pool.kw), sh = P(prm, Pool.sh), sw = P(prm, Pool.sw);
  const ph = P(prm, Pool.ph), pw = P(prm, Pool.pw), dh = P(prm, Pool.dh), dw = P(prm, Pool.dw);
  const ov = P(prm, Pool.divisorOverride);
  if (ov > 0) return ov;
  let y0 = oy * sh - ph, x0 = ox * sw - pw;
  let y1 = y0 + (kh - 1) * dh + 1, x1 = x0 + (kw - 1) * dw + 1;
  if (y1 > h + ph) y1 = h + ph;
  if (x1 > w + pw) x1 = w + pw;
  if (P(prm, Pool.countIncludePad)) return ((y1 - y0 + dh - 1) / dh) * ((x1 - x0 + dw - 1) / dw);
  if (y0 < 0) y0 = 0; if (x0 < 0) x0 = 0;
  if (y1 > h) y1 = h; if (x1 > w) x1 = w;
  return ((y1 - y0 + dh - 1) / dh) * ((x1 - x0 + dw - 1) / dw);
}

function avgPool<T>(x: usize, y: usize, prm: usize, p0: i32, p1: i32): void {
  const h = P(prm, Pool.h), w = P(prm, Pool.w), kh = P(prm, Pool.kh), kw = P(prm, Pool.kw), sh = P(prm, Pool.sh), sw = P(prm, Pool.sw);
  const ph = P(prm, Pool.ph), pw = P(prm, Pool.pw), dh = P(prm, Pool.dh), dw = P(prm, Pool.dw), oh = P(prm, Pool.oh), ow = P(prm, Pool.ow);
  for (let p = p0; p < p1; p++) {
    const xb = p * h * w;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      let acc: T = <T>0;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - ph + ky * dh;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pw + kx * dw;
          if (ix < 0 || ix >= w) continue;
          acc += ld<T>(x, xb + iy * w + ix);
        }
      }
      st<T>(y, (p * oh + oy) * ow + ox, acc / <T>avgDiv(prm, oy, ox));
    }
  }
}
export function avgpool_f32(x: usize, y: usize, prm: usize, p0: i32, p1: i32): void { avgPool<f32>(x, y, prm, p0, p1); }
export function avgpool_f64(x: usize, y: usize, prm: usize, p0: i32, p1: i32): void { avgPool<f64>(x, y, prm, p0, p1); }

function avgPoolBwd<T>(gy: usize, gx: usize, prm: usize, p0: i32, p1: i32): void {
  const h = P(prm, Pool.h), w = P(prm, Pool.w), kh = P(prm, Pool.kh), kw = P(prm, Pool.kw), sh = P(prm, Pool.sh), sw = P(prm, Pool.sw);
  const ph = P(prm, Pool.ph), pw = P(prm, Pool.pw), dh = P(prm, Pool.dh), dw = P(prm, Pool.dw), oh = P(prm, Pool.oh), ow = P(prm, Pool.ow);
  memory.fill(gx + (<usize>(p0 * h * w) << alignof<T>()), 0, <usize>((p1 - p0) * h * w) << alignof<T>());
  for (let p = p0; p < p1; p++) {
    const xb = p * h * w;
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const g = ld<T>(gy, (p * oh + oy) * ow + ox) / <T>avgDiv(prm, oy, ox);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - ph + ky * dh;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pw + kx * dw;
          if (ix < 0 || ix >= w) continue;
          st<T>(gx, xb + iy * w + ix, ld<T>(gx, xb + iy * w + ix) + g);
        }
      }
    }
  }
}
export function avgpool_bwd_f32(gy: usize, gx: usize, prm: usize, p0: i32, p1: i32): void { avgPoolBwd<f32>(gy, gx, prm, p0, p1); }
export function avgpool_bwd_f64(gy: usize, gx: usize, prm: usize, p0: i32, p1: i32): void { avgPoolBwd<f64>(gy, gx, prm, p0, p1); }

// Adaptive average pooling; slots n c h w oh ow; cell i covers [floor(i*h/oh), ceil((i+1)*h/oh)).
function adaptive<T>(x: usize, y: usize, prm: usize, p0: i32, p1: i32, backward: bool): void {
  const h = P(prm, Adaptive.h), w = P(prm, Adaptive.w), oh = P(prm, Adaptive.oh), ow = P(prm, Adaptive.ow);
  if (backward) memory.fill(y + (<usize>(p0 * h * w) << alignof<T>()), 0, <usize>((p1 - p0) * h * w) << alignof<T>());
  for (let p = p0; p < p1; p++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
        const cnt = <T>((y1 - y0) * (x1 - x0));
        const o = (p * oh + oy) * ow + ox;
        if (backward) {
          const g = ld<T>(x, o) / cnt;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) {
            const i = (p * h + iy) * w + ix;
            st<T>(y, i, ld<T>(y, i) + g);
          }
        } else {
          let acc: T = <T>0;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) acc += ld<T>(x, (p * h + iy) * w + ix);
          st<T>(y, o, acc / cnt);
        }
      }
    }
  }
}
export function adaptive_f32(x: usize, y: usize, prm: usize, p0: i32, p1: i32): void { adaptive<f32>(x, y, prm, p0, p1, false); }
export function adaptive_f64(x: usize, y: usize, prm: usize, p0: i32, p1: i32): void { adaptive<f64>(x, y, prm, p0, p1, false); }
export function adaptive_bwd_f32(gy: usize, gx: usize, prm: usize, p0: i32, p1: i32): void { adaptive<f32>(gy, gx, prm, p0, p1, true); }
export function adaptive_bwd_f64(gy: usize, gx: usize, prm: usize, p0: i32, p1: i32): void { adaptive<f64>(gy, gx, prm, p0, p1, true); }
export function conv2d_direct_f32(x: usize, w: usize, y: usize, prm: usize, p0: i32, p1: i32): void { convDirect<f32>(x, w, y, prm, p0, p1); }
export function conv2d_bwd_input_direct_f32(gy: usize, w: usize, gx: usize, prm: usize, n0: i32, n1: i32): void { convBwdInput<f32>(gy, w, gx, prm, n0, n1); }
export function conv2d_bwd_weight_direct_f32(x: usize, gy: usize, gw: usize, prm: usize, c0: i32, c1: i32): void { convBwdWeight<f32>(x, gy, gw, prm, c0, c1); }
