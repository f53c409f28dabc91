// Max, average and adaptive-average pooling over NCHW, with their gradients, following
// PyTorch's CPU kernels (window clipping, padding rules and divisors) loop for loop.

import type { AdaptivePool2dParams, Pool2dParams, Storage } from '../backend.js';
import { FLOATS, js, sameDType, type JsMemory, type JsStorage } from './storage.js';

function checkParams(where: string, p: Pool2dParams): void {
  for (const name of ['n', 'c', 'h', 'w', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'oh', 'ow'] as const) {
    const v = p[name];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: ${name} = ${v} must be a non-negative integer`);
  }
  for (const name of ['kh', 'kw', 'sh', 'sw', 'dh', 'dw'] as const) {
    if (p[name] < 1) throw new RangeError(`${where}: ${name} = ${p[name]} must be at least 1`);
  }
}

function checkSize(where: string, what: string, s: JsStorage, n: number): void {
  if (s.size !== n) throw new RangeError(`${where}: ${what} has ${s.size} elements, expected ${n}`);
}

export function maxPool2d(mem: JsMemory, x: Storage, p: Pool2dParams): [JsStorage, JsStorage] {
  const xs = js(x, 'maxPool2d', FLOATS);
  checkParams('maxPool2d', p);
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = p;
  checkSize('maxPool2d', 'input', xs, n * c * h * w);
  const vals = mem.alloc(xs.dtype, n * c * oh * ow);
  const idxs = mem.alloc('int32', n * c * oh * ow);
  const X = xs.data, V = vals.data, I = idxs.data;
  for (let plane = 0; plane < n * c; plane++) {
    const x0 = plane * h * w;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let y0 = oy * sh - ph, xx0 = ox * sw - pw;
        const y1 = Math.min(y0 + (kh - 1) * dh + 1, h), x1 = Math.min(xx0 + (kw - 1) * dw + 1, w);
        while (y0 < 0) y0 += dh; // skip taps in the padding: they never win
        while (xx0 < 0) xx0 += dw;
        let best = -Infinity, bi = y0 * w + xx0;
        for (let iy = y0; iy < y1; iy += dh) {
          for (let ix = xx0; ix < x1; ix += dw) {
            const v = X[x0 + iy * w + ix]!;
            if (v > best || v !== v) { best = v; bi = iy * w + ix; } // NaN wins (the last NaN, as PyTorch)
          }
        }
        const o = (plane * oh + oy) * ow + ox;
        V[o] = best;
        I[o] = bi;
      }
    }
  }
  return [vals, idxs];
}

export function maxPool2dBackward(mem: JsMemory, gy: Storage, indices: Storage, p: Pool2dParams): JsStorage {
  const gs = js(gy, 'maxPool2dBackward (gy)', FLOATS);
  const is = js(indices, 'maxPool2dBackward (indices)', ['int32']);
  checkParams('maxPool2dBackward', p);
  const { n, c, h, w, oh, ow } = p;
  checkSize('maxPool2dBackward', 'gy', gs, n * c * oh * ow);
  checkSize('maxPool2dBackward', 'indices', is, n * c * oh * ow);
  const acc = new Float64Array(n * c * h * w);
  const G = gs.data, I = is.data;
  for (let plane = 0; plane < n * c; plane++) {
    for (let o = 0; o < oh * ow; o++) {
      const k = plane * oh * ow + o, i = I[k]!;
      if (i < 0 || i >= h * w) throw new RangeError(`maxPool2dBackward: index ${i} is outside the ${h}×${w} input plane`);
      acc[plane * h * w + i]! += G[k]!;
    }
  }
  const out = mem.alloc(gs.dtype, acc.length);
  out.data.set(acc);
  return out;
}

/**
 * Calls f(outIndex, inIndex, divisor) for each input cell of each average-pooling window,
 * with PyTorch's window: [y0, min(y0 + kh, h + ph)) gives the padded size, which is the
 * divisor under countIncludePad; clipped to the input it gives the cells and the other divisor.
 */
function forEachAvgCell(p: Pool2dParams, f: (o: number, i: number, divisor: number) => void): void {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, countIncludePad, divisorOverride } = p;
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let y0 = oy * sh - ph, x0 = ox * sw - pw;
        let y1 = Math.min(y0 + kh, h + ph), x1 = Math.min(x0 + kw, w + pw);
        const poolSize = (y1 - y0) * (x1 - x0);
        y0 = Math.max(y0, 0); x0 = Math.max(x0, 0);
        y1 = Math.min(y1, h); x1 = Math.min(x1, w);
        if (y0 >= y1 || x0 >= x1) continue; // an empty window averages to 0
        const divisor = divisorOverride > 0 ? divisorOverride : countIncludePad ? poolSize : (y1 - y0) * (x1 - x0);
        const o = (plane * oh + oy) * ow + ox;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) f(o, plane * h * w + iy * w + ix, divisor);
        }
      }
    }
  }
}

function checkAvg(where: string, p: Pool2dParams): void {
  checkParams(where, p);
  if (p.dh !== 1 || p.dw !== 1) throw new RangeError(`${where}: dilation ${p.dh},${p.dw} is not supported (average pooling has none, as in PyTorch)`);
  if (!Number.isFinite(p.divisorOverride)) throw new RangeError(`${where}: divisorOverride ${p.divisorOverride} must be a number (0 for none)`);
}

export function avgPool2d(mem: JsMemory, x: Storage, p: Pool2dParams): JsStorage {
  const xs = js(x, 'avgPool2d', FLOATS);
  checkAvg('avgPool2d', p);
  checkSize('avgPool2d', 'input', xs, p.n * p.c * p.h * p.w);
  const sum = new Float64Array(p.n * p.c * p.oh * p.ow);
  const div = new Float64Array(sum.length).fill(1);
  const X = xs.data;
  forEachAvgCell(p, (o, i, d) => { sum[o]! += X[i]!; div[o] = d; });
  const out = mem.alloc(xs.dtype, sum.length);
  const O = out.data;
  for (let o = 0; o < sum.length; o++) O[o] = sum[o]! / div[o]!;
  return out;
}

export function avgPool2dBackward(mem: JsMemory, gy: Storage, p: Pool2dParams): JsStorage {
  const gs = js(gy, 'avgPool2dBackward', FLOATS);
  checkAvg('avgPool2dBackward', p);
  checkSize('avgPool2dBackward', 'gy', gs, p.n * p.c * p.oh * p.ow);
  const acc = new Float64Array(p.n * p.c * p.h * p.w);
  const G = gs.data;
  forEachAvgCell(p, (o, i, d) => { acc[i]! += G[o]! / d; });
  const out = mem.alloc(gs.dtype, acc.length);
  out.data.set(acc);
  return out;
}

function checkAdaptive(where: string, p: AdaptivePool2dParams): void {
  for (const [name, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: ${name} = ${v} must be a non-negative integer`);
  }
}

/** Calls f(outIndex, inIndex, cellCount) for each input cell of each adaptive bin. */
function forEachAdaptiveCell(p: AdaptivePool2dParams, f: (o: number, i: number, count: number) => void): void {
  const { n, c, h, w, oh, ow } = p;
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = Math.floor((oy * h) / oh), y1 = Math.ceil(((oy + 1) * h) / oh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = Math.floor((ox * w) / ow), x1 = Math.ceil(((ox + 1) * w) / ow);
        const o = (plane * oh + oy) * ow + ox, count = (y1 - y0) * (x1 - x0);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) f(o, plane * h * w + iy * w + ix, count);
        }
      }
    }
  }
}

export function adaptiveAvgPool2d(mem: JsMemory, x: Storage, p: AdaptivePool2dParams): JsStorage {
  const xs = js(x, 'adaptiveAvgPool2d', FLOATS);
  checkAdaptive('adaptiveAvgPool2d', p);
  checkSize('adaptiveAvgPool2d', 'input', xs, p.n * p.c * p.h * p.w);
  const sum = new Float64Array(p.n * p.c * p.oh * p.ow);
  const cnt = new Float64Array(sum.length).fill(1);
  const X = xs.data;
  forEachAdaptiveCell(p, (o, i, k) => { sum[o]! += X[i]!; cnt[o] = k; });
  const out = mem.alloc(xs.dtype, sum.length);
  const O = out.data;
  for (let o = 0; o < sum.length; o++) O[o] = sum[o]! / cnt[o]!;
  return out;
}

export function adaptiveAvgPool2dBackward(mem: JsMemory, gy: Storage, p: AdaptivePool2dParams): JsStorage {
  const gs = js(gy, 'adaptiveAvgPool2dBackward', FLOATS);
  checkAdaptive('adaptiveAvgPool2dBackward', p);
  checkSize('adaptiveAvgPool2dBackward', 'gy', gs, p.n * p.c * p.oh * p.ow);
  const acc = new Float64Array(p.n * p.c * p.h * p.w);
  const G = gs.data;
  forEachAdaptiveCell(p, (o, i, k) => { acc[i]! += G[o]! / k; });
  const out = mem.alloc(gs.dtype, acc.length);
  out.data.set(acc);
  return out;
}
