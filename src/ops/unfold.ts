// F.unfold (im2col) and F.fold (col2im) of torch.nn.functional: sliding blocks gathered from the
// zero-padded input by one index select, and scattered back by one index add — each the other's
// adjoint, so their gradients (overlapping blocks included) come from the ops autograd already has.

import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { scope } from '../tensor/memory.js';
import { defineOp } from './dispatch.js';
import { indexAdd, indexSelect } from './index-select.js';
import { reshape } from './layout.js';
import { narrow, pad } from './shape.js';
import { checkOpts, fromHost } from './sorting.js';
import { backendOf, wrap } from './util.js';

export type Pair = number | readonly [number, number];

export interface UnfoldOptions {
  /** spacing between kernel elements (default 1) */
  dilation?: Pair;
  /** zeros added on both sides of height and width (default 0) */
  padding?: Pair;
  /** step between blocks (default 1) */
  stride?: Pair;
}

interface Geometry { k: [number, number]; d: [number, number]; p: [number, number]; s: [number, number]; blocks: [number, number] }

function pair(op: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const a = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [...v];
  if (a.length !== 2 || a.some((n) => !Number.isInteger(n) || n < min)) throw new RangeError(`${op}: ${name} must be an integer ≥ ${min} or two of them, got ${JSON.stringify(v)}`);
  return a as [number, number];
}

function geometry(op: string, size: readonly number[], kernelSize: Pair, opts: UnfoldOptions): Geometry {
  checkOpts(op, opts, ['dilation', 'padding', 'stride']);
  const k = pair(op, 'kernelSize', kernelSize, 1, 1), d = pair(op, 'dilation', opts.dilation, 1, 1);
  const p = pair(op, 'padding', opts.padding, 0, 0), s = pair(op, 'stride', opts.stride, 1, 1);
  const blocks = [0, 1].map((i) => Math.floor((size[i]! + 2 * p[i]! - d[i]! * (k[i]! - 1) - 1) / s[i]!) + 1) as [number, number];
  if (blocks[0] < 1 || blocks[1] < 1) {
    throw new Error(`${op}: no block fits: spatial size ${fmt(size)}, kernelSize ${fmt(k)}, dilation ${fmt(d)}, padding ${fmt(p)}, stride ${fmt(s)} give ${fmt(blocks)} blocks`);
  }
  return { k, d, p, s, blocks };
}

/** For every (channel, kernel row, kernel col, block) the flat position in the padded [C, Hp, Wp]. */
function blockIndex(c: number, hp: number, wp: number, g: Geometry): Int32Array {
  const [kh, kw] = g.k, [oh, ow] = g.blocks;
  const idx = new Int32Array(c * kh * kw * oh * ow);
  let n = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let bi = 0; bi < oh; bi++) {
          const row = (ch * hp + bi * g.s[0] + i * g.d[0]) * wp + j * g.d[1];
          for (let bj = 0; bj < ow; bj++) idx[n++] = row + bj * g.s[1];
        }
      }
    }
  }
  return idx;
}

/** [N, C, H, W] (or [C, H, W]) → [N, C·kh·kw, L]: every kernelSize block as a column. */
export const unfold = defineOp('unfold', (x: Tensor, kernelSize: Pair, opts: UnfoldOptions = {}): Tensor => {
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`unfold: expected input [N, C, H, W] or [C, H, W], got ${fmt(x.shape)}`);
  if (!isFloat(x.dtype)) throw new TypeError(`unfold: expected a floating-point input, got ${x.dtype}`);
  const batched = x.ndim === 4;
  const [n, c, h, w] = batched ? x.shape as [number, number, number, number] : [1, ...x.shape] as [number, number, number, number];
  const g = geometry('unfold', [h, w], kernelSize, opts);
  return scope(() => {
    const hp = h + 2 * g.p[0], wp = w + 2 * g.p[1];
    const xp = g.p[0] || g.p[1] ? pad(x, [g.p[1], g.p[1], g.p[0], g.p[0]]) : x;
    const flat = reshape(xp, [n, c * hp * wp]);
    const idx = blockIndex(c, hp, wp, g);
    const cols = indexSelect(flat, 1, fromHost(x, idx, 'int32', [idx.length]));
    const rows = c * g.k[0] * g.k[1], L = g.blocks[0] * g.blocks[1];
    return reshape(cols, batched ? [n, rows, L] : [rows, L]);
  });
});

/** [N, C·kh·kw, L] (or [C·kh·kw, L]) → [N, C, outputSize]: the columns summed back into place. */
export const fold = defineOp('fold', (x: Tensor, outputSize: Pair, kernelSize: Pair, opts: UnfoldOptions = {}): Tensor => {
  if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`fold: expected input [N, C·kh·kw, L] or [C·kh·kw, L], got ${fmt(x.shape)}`);
  if (!isFloat(x.dtype)) throw new TypeError(`fold: expected a floating-point input, got ${x.dtype}`);
  const batched = x.ndim === 3;
  const [n, rows, L] = batched ? x.shape as [number, number, number] : [1, ...x.shape] as [number, number, number];
  const [h, w] = pair('fold', 'outputSize', outputSize, 1, 1);
  const g = geometry('fold', [h, w], kernelSize, opts);
  const kk = g.k[0] * g.k[1];
  if (rows % kk !== 0) throw new Error(`fold: dim ${batched ? 1 : 0} of input ${fmt(x.shape)} must be divisible by kernelSize's product ${kk}`);
  if (L !== g.blocks[0] * g.blocks[1]) {
    throw new Error(`fold: input ${fmt(x.shape)} has ${L} blocks, but outputSize ${fmt([h, w])} with its kernelSize, dilation, padding and stride holds ${fmt(g.blocks)} = ${g.blocks[0] * g.blocks[1]}`);
  }
  const c = rows / kk;
  return scope(() => {
    const hp = h + 2 * g.p[0], wp = w + 2 * g.p[1];
    const be = backendOf('fold', x);
    const zero = wrap(be, be.fill(x.dtype, n * c * hp * wp, 0), [n, c * hp * wp]);
    const idx = blockIndex(c, hp, wp, g);
    const summed = indexAdd(zero, 1, fromHost(x, idx, 'int32', [idx.length]), reshape(x, [n, idx.length]));
    let out = reshape(summed, [n, c, hp, wp]);
    if (g.p[0]) out = narrow(out, 2, g.p[0], h);
    if (g.p[1]) out = narrow(out, 3, g.p[1], w);
    return batched ? out : reshape(out, [c, h, w]);
  });
});
