// Pooling: maxPool1d/2d (with indices), avgPool1d/2d, adaptiveAvgPool2d — PyTorch's output-size
// rules (ceilMode, padding ≤ kernel/2), on [N, C, H, W] or unbatched [C, H, W].

import type { AdaptivePool2dParams, Pool2dParams } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { backendOf, record, wrap } from './util.js';
import { gather } from './indexing.js';
import { isGradEnabled } from '../autograd/graph.js';
import { reshape } from './layout.js';
import { unsqueeze, squeeze } from './shape.js';
import { pair, type Pair } from './conv.js';

export interface MaxPoolOptions { stride?: Pair | null; padding?: Pair; dilation?: Pair; ceilMode?: boolean }
export interface AvgPoolOptions { stride?: Pair | null; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
  // With ceilMode the last window must start inside the input or the left padding.
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

function poolParams(op: string, x4: { readonly shape: readonly number[] }, kernel: Pair, o: { stride?: Pair | null; padding?: Pair; dilation?: Pair; ceilMode?: boolean }, avg?: AvgPoolOptions): Pool2dParams {
  const [n, c, h, w] = x4.shape as [number, number, number, number];
  const [kh, kw] = pair(op, 'kernelSize', kernel, 1, 1);
  const [sh, sw] = o.stride == null ? [kh, kw] : pair(op, 'stride', o.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', o.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', o.dilation, 1, 1);
  if (ph > kh / 2 || pw > kw / 2) throw new Error(`${op}: padding (${ph}, ${pw}) should be at most half the kernel size (${kh}, ${kw})`);
  const ceil = o.ceilMode ?? false;
  const oh = outSize(h, kh, sh, ph, dh, ceil), ow = outSize(w, kw, sw, pw, dw, ceil);
  if (oh < 1 || ow < 1) throw new Error(`${op}: input ${fmt(x4.shape)} is too small for kernel ${kh}×${kw}: output would be ${oh}×${ow}`);
  const div = avg?.divisorOverride ?? 0;
  if (div !== 0 && (!Number.isInteger(div) || div < 1)) throw new RangeError(`${op}: divisorOverride must be a positive integer, got ${div}`);
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, countIncludePad: avg?.countIncludePad ?? true, divisorOverride: div };
}

/** Brings [C, H, W] / [N, C, L] inputs to 4-D; returns the 4-D tensor and how to undo it. */
function to4d(op: string, x: Tensor, oneD: boolean): [Tensor, (y: Tensor) => Tensor] {
  const want = oneD ? [2, 3] : [3, 4];
  if (!want.includes(x.ndim)) {
    throw new Error(`${op}: expected input ${oneD ? '[N, C, L] or [C, L]' : '[N, C, H, W] or [C, H, W]'}, got ${fmt(x.shape)}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${op}: needs a floating-point input, got ${x.dtype}`);
  const unbatched = x.ndim === want[0];
  let t = unbatched ? unsqueeze(x, 0) : x;
  if (oneD) {
    const u = unsqueeze(t, 2);
    if (t !== x) t.dispose();
    t = u;
  }
  const undo = (y: Tensor): Tensor => {
    let r = y;
    if (oneD) r = swap(r, squeeze(r, 2));
    if (unbatched) r = swap(r, squeeze(r, 0));
    return r;
  };
  return [t, undo];
}

function swap(old: Tensor, next: Tensor): Tensor {
  old.dispose();
  return next;
}

function maxPoolCore(op: string, x4: Tensor, p: Pool2dParams): [Tensor, Tensor] {
  const be = backendOf(op, x4);
  const [vs, is] = be.maxPool2d(x4._s(op), p);
  const shape = [p.n, p.c, p.oh, p.ow];
  const values = wrap(be, vs, shape), indices = wrap(be, is, shape);
  record(values, op, [x4], [indices], (g, [idx]) => [maxPoolBackward(g, idx!, p)]);
  return [values, indices];
}

function maxPoolBackward(g: Tensor, idx: Tensor, p: Pool2dParams): Tensor {
  const be = backendOf('maxPoolBackward', g, idx);
  const out = wrap(be, be.maxPool2dBackward(g._s('maxPool'), idx._s('maxPool'), p), [p.n, p.c, p.h, p.w]);
  return record(out, 'maxPoolBackward', [g], [idx], (gg, [ix]) => {
    // The adjoint of scattering by the indices is gathering by them.
    const flat = reshape(gg, [p.n, p.c, p.h * p.w]);
    const i3 = reshape(ix!, [p.n, p.c, p.oh * p.ow]);
    return [reshape(gather(flat, 2, i3), [p.n, p.c, p.oh, p.ow])];
  });
}

/**
 * Max pooling's values with no graph and no indices: the op the rewrite table runs as a values-only
 * kernel, or with the conv2d + ReLU before it as one in-cache kernel (inference).
 */
const maxPoolValues = defineOp('maxPoolValues', (x4: Tensor, p: Pool2dParams): Tensor => {
  const [v, i] = maxPoolCore('maxPool2d', x4, p);
  i.dispose();
  return v;
});

function maxPool(op: string, oneD: boolean, x: Tensor, kernelSize: Pair, opts: MaxPoolOptions & { returnIndices?: boolean }): Tensor | { values: Tensor; indices: Tensor } {
  const [x4, undo] = to4d(op, x, oneD);
  const o1 = oneD ? one(opts) : opts;
  const p = poolParams(op, x4, oneD ? [1, kernelSize as number] : kernelSize, o1);
  // no graph and no indices asked for: the values alone (inference)
  if (!opts.returnIndices && !(isGradEnabled() && x4.requiresGrad)) {
    const v = maxPoolValues(x4, p);
    if (x4 !== x) x4.dispose();
    return undo(v);
  }
  const [v, i] = maxPoolCore(op, x4, p);
  if (x4 !== x) x4.dispose();
  const values = undo(v);
  if (!opts.returnIndices) {
    i.dispose();
    return values;
  }
  return { values, indices: undo(i) };
}

/** 1-D options (numbers) lifted to 2-D with a height of 1. */
function one<T extends { stride?: Pair | null; padding?: Pair; dilation?: Pair }>(o: T): T {
  const f = (v: Pair | null | undefined, d: number): [number, number] | undefined =>
    v == null ? (d < 0 ? undefined : [1, d]) : [1, typeof v === 'number' ? v : v[0]];
  return { ...o, stride: o.stride == null ? null : f(o.stride, -1), padding: [0, typeof o.padding === 'number' ? o.padding : o.padding?.[0] ?? 0], dilation: f(o.dilation, 1) };
}

export const maxPool2d = defineOp('maxPool2d', (x: Tensor, kernelSize: Pair, opts: MaxPoolOptions = {}): Tensor => {
  return maxPool('maxPool2d', false, x, kernelSize, opts) as Tensor;
});
export const maxPool2dWithIndices = defineOp('maxPool2dWithIndices', (x: Tensor, kernelSize: Pair, opts: MaxPoolOptions = {}): { values: Tensor; indices: Tensor } => {
  return maxPool('maxPool2d', false, x, kernelSize, { ...opts, returnIndices: true }) as { values: Tensor; indices: Tensor };
});
export const maxPool1d = defineOp('maxPool1d', (x: Tensor, kernelSize: number, opts: MaxPoolOptions = {}): Tensor => {
  return maxPool('maxPool1d', true, x, kernelSize, opts) as Tensor;
});

function avgPoolCore(op: string, x4: Tensor, p: Pool2dParams): Tensor {
  const be = backendOf(op, x4);
  const out = wrap(be, be.avgPool2d(x4._s(op), p), [p.n, p.c, p.oh, p.ow]);
  return record(out, op, [x4], [], (g) => [avgPoolBackward(g, p)]);
}

function avgPoolBackward(g: Tensor, p: Pool2dParams): Tensor {
  const be = backendOf('avgPoolBackward', g);
  const out = wrap(be, be.avgPool2dBackward(g._s('avgPool'), p), [p.n, p.c, p.h, p.w]);
  return record(out, 'avgPoolBackward', [g], [], (gg) => [avgPoolCore('avgPool2d', gg, p)]);
}

function avgPool(op: string, oneD: boolean, x: Tensor, kernelSize: Pair, opts: AvgPoolOptions): Tensor {
  const [x4, undo] = to4d(op, x, oneD);
  const p = poolParams(op, x4, oneD ? [1, kernelSize as number] : kernelSize, oneD ? one(opts) : opts, opts);
  const y = avgPoolCore(op, x4, p);
  if (x4 !== x) x4.dispose();
  return undo(y);
}

export const avgPool2d = defineOp('avgPool2d', (x: Tensor, kernelSize: Pair, opts: AvgPoolOptions = {}): Tensor => {
  return avgPool('avgPool2d', false, x, kernelSize, opts);
});
export const avgPool1d = defineOp('avgPool1d', (x: Tensor, kernelSize: number, opts: AvgPoolOptions = {}): Tensor => {
  return avgPool('avgPool1d', true, x, kernelSize, opts);
});

function adaptiveCore(x4: Tensor, p: AdaptivePool2dParams): Tensor {
  const be = backendOf('adaptiveAvgPool2d', x4);
  const out = wrap(be, be.adaptiveAvgPool2d(x4._s('adaptiveAvgPool2d'), p), [p.n, p.c, p.oh, p.ow]);
  return record(out, 'adaptiveAvgPool2d', [x4], [], (g) => [adaptiveBackward(g, p)]);
}

function adaptiveBackward(g: Tensor, p: AdaptivePool2dParams): Tensor {
  const be = backendOf('adaptiveAvgPool2dBackward', g);
  const out = wrap(be, be.adaptiveAvgPool2dBackward(g._s('adaptiveAvgPool2d'), p), [p.n, p.c, p.h, p.w]);
  return record(out, 'adaptiveAvgPool2dBackward', [g], [], (gg) => [adaptiveCore(gg, p)]);
}

/** Average pooling to a fixed output size (a number, or [h, w] where null keeps the input's size). */
export const adaptiveAvgPool2d = defineOp('adaptiveAvgPool2d', (x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor => {
  const [x4, undo] = to4d('adaptiveAvgPool2d', x, false);
  const [n, c, h, w] = x4.shape as [number, number, number, number];
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0] ?? h, outputSize[1] ?? w];
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) throw new RangeError(`adaptiveAvgPool2d: output size must be positive integers, got ${JSON.stringify(outputSize)}`);
  if (h === 0 || w === 0) throw new Error(`adaptiveAvgPool2d: input ${fmt(x.shape)} has an empty spatial dim`);
  const y = adaptiveCore(x4, { n, c, h, w, oh, ow });
  if (x4 !== x) x4.dispose();
  return undo(y);
});
