// 2-D convolution (NCHW, weight [cOut, cIn/groups, kh, kw]) and its two gradients, as direct loops.
// Gradients accumulate in a float64 buffer and round once on store.

import type { Conv2dParams, Storage } from '../backend.js';
import { FLOATS, js, sameDType, type JsMemory, type JsStorage } from './storage.js';

function checkParams(where: string, p: Conv2dParams): { cinG: number; coutG: number } {
  for (const [name, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: ${name} = ${v} must be a non-negative integer`);
  }
  for (const name of ['sh', 'sw', 'dh', 'dw', 'groups', 'kh', 'kw'] as const) {
    if (p[name] < 1) throw new RangeError(`${where}: ${name} = ${p[name]} must be at least 1`);
  }
  if (p.cIn % p.groups !== 0 || p.cOut % p.groups !== 0) {
    throw new RangeError(`${where}: cIn ${p.cIn} and cOut ${p.cOut} must both be divisible by groups ${p.groups}`);
  }
  const oh = Math.floor((p.h + 2 * p.ph - p.dh * (p.kh - 1) - 1) / p.sh) + 1;
  const ow = Math.floor((p.w + 2 * p.pw - p.dw * (p.kw - 1) - 1) / p.sw) + 1;
  if (oh !== p.oh || ow !== p.ow) {
    throw new RangeError(`${where}: output size ${p.oh}×${p.ow} does not match ${oh}×${ow} from input ${p.h}×${p.w}, ` +
      `kernel ${p.kh}×${p.kw}, stride ${p.sh},${p.sw}, padding ${p.ph},${p.pw}, dilation ${p.dh},${p.dw}`);
  }
  return { cinG: p.cIn / p.groups, coutG: p.cOut / p.groups };
}

function checkSize(where: string, what: string, s: JsStorage, dims: number[]): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (s.size !== n) throw new RangeError(`${where}: ${what} has ${s.size} elements, expected [${dims.join(', ')}] = ${n}`);
}

/**
 * Calls f(xi, wi, yi) for every (input element, weight element, output element) triple that
 * the convolution multiplies, skipping taps that fall in the padding.
 */
function forEachTap(p: Conv2dParams, cinG: number, coutG: number, f: (xi: number, wi: number, yi: number) => void): void {
  const { n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = p;
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < cOut; co++) {
      const g = Math.floor(co / coutG);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const yi = ((b * cOut + co) * oh + oy) * ow + ox;
          for (let ci = 0; ci < cinG; ci++) {
            const xc = g * cinG + ci;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - ph + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pw + kx * dw;
                if (ix < 0 || ix >= w) continue;
                f(((b * cIn + xc) * h + iy) * w + ix, ((co * cinG + ci) * kh + ky) * kw + kx, yi);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2d(mem: JsMemory, x: Storage, w: Storage, p: Conv2dParams): JsStorage {
  const xs = js(x, 'conv2d (input)', FLOATS), ws = js(w, 'conv2d (weight)', FLOATS);
  const dtype = sameDType('conv2d', xs, ws);
  const { cinG, coutG } = checkParams('conv2d', p);
  checkSize('conv2d', 'input', xs, [p.n, p.cIn, p.h, p.w]);
  checkSize('conv2d', 'weight', ws, [p.cOut, cinG, p.kh, p.kw]);
  const acc = new Float64Array(p.n * p.cOut * p.oh * p.ow);
  const X = xs.data, W = ws.data;
  forEachTap(p, cinG, coutG, (xi, wi, yi) => { acc[yi]! += X[xi]! * W[wi]!; });
  const out = mem.alloc(dtype, acc.length);
  out.data.set(acc);
  return out;
}

export function conv2dBackwardInput(mem: JsMemory, gy: Storage, w: Storage, p: Conv2dParams): JsStorage {
  const gs = js(gy, 'conv2dBackwardInput (gy)', FLOATS), ws = js(w, 'conv2dBackwardInput (weight)', FLOATS);
  const dtype = sameDType('conv2dBackwardInput', gs, ws);
  const { cinG, coutG } = checkParams('conv2dBackwardInput', p);
  checkSize('conv2dBackwardInput', 'gy', gs, [p.n, p.cOut, p.oh, p.ow]);
  checkSize('conv2dBackwardInput', 'weight', ws, [p.cOut, cinG, p.kh, p.kw]);
  const acc = new Float64Array(p.n * p.cIn * p.h * p.w);
  const G = gs.data, W = ws.data;
  forEachTap(p, cinG, coutG, (xi, wi, yi) => { acc[xi]! += G[yi]! * W[wi]!; });
  const out = mem.alloc(dtype, acc.length);
  out.data.set(acc);
  return out;
}

export function conv2dBackwardWeight(mem: JsMemory, x: Storage, gy: Storage, p: Conv2dParams): JsStorage {
  const xs = js(x, 'conv2dBackwardWeight (input)', FLOATS), gs = js(gy, 'conv2dBackwardWeight (gy)', FLOATS);
  const dtype = sameDType('conv2dBackwardWeight', xs, gs);
  const { cinG, coutG } = checkParams('conv2dBackwardWeight', p);
  checkSize('conv2dBackwardWeight', 'input', xs, [p.n, p.cIn, p.h, p.w]);
  checkSize('conv2dBackwardWeight', 'gy', gs, [p.n, p.cOut, p.oh, p.ow]);
  const acc = new Float64Array(p.cOut * cinG * p.kh * p.kw);
  const X = xs.data, G = gs.data;
  forEachTap(p, cinG, coutG, (xi, wi, yi) => { acc[wi]! += X[xi]! * G[yi]!; });
  const out = mem.alloc(dtype, acc.length);
  out.data.set(acc);
  return out;
}
