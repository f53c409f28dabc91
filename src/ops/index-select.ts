// indexSelect / indexAdd and the index check every indexing op uses: below ./shape.ts, whose index()
// takes int32 tensors and whose reflect/replicate/circular pad() selects along a dim.

import type { Tensor } from '../tensor/tensor.js';
import { fmt, normDim, prod } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { backendOf, record, wrap } from './util.js';
import { cast } from './layout.js';

/** idx checked against a dim of size n (int32, in range), with negative indices counted from the end. */
export function checkIndex(op: string, idx: Tensor, n: number, what: string): Tensor {
  if (idx.dtype !== 'int32') throw new TypeError(`${op}: indices must be an int32 tensor, got ${idx.dtype}`);
  const data = idx.dataSync() as Int32Array;
  let neg = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < -n || v >= n) throw new RangeError(`${op}: index ${v} is out of range for ${what} of size ${n}`);
    if (v < 0) neg = true;
  }
  if (!neg) return idx;
  // Negative indices count from the end, as in PyTorch.
  const fixed = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) fixed[i] = data[i]! < 0 ? data[i]! + n : data[i]!;
  const be = backendOf(op, idx);
  return wrap(be, be.fromArray(fixed, 'int32'), idx.shape);
}

export function splitAt(shape: readonly number[], d: number): [number, number, number] {
  return [prod(shape.slice(0, d)), shape[d] ?? 1, prod(shape.slice(d + 1))];
}

/** The slices of x at the 1-D int32 indices along dim. */
export const indexSelect = defineOp('indexSelect', (x: Tensor, dim: number, idx: Tensor): Tensor => {
  const d = normDim('indexSelect', dim, x.ndim);
  if (idx.ndim > 1) throw new Error(`indexSelect: index must be 1-D, got shape ${fmt(idx.shape)}`);
  const ix = checkIndex('indexSelect', idx, x.shape[d] ?? 1, `dim ${d} of ${fmt(x.shape)}`);
  const be = backendOf('indexSelect', x, ix);
  const [outer, r, inner] = splitAt(x.shape, d);
  const shape = [...x.shape];
  if (x.ndim > 0) shape[d] = ix.numel();
  const out = wrap(be, be.indexSelect(x._s('indexSelect'), ix._s('indexSelect'), outer, r, inner), shape);
  const inShape = x.shape;
  record(out, 'indexSelect', [x], [ix], (g, [ii]) => [indexAdd(wrap(be, be.fill(g.dtype, prod(inShape), 0), inShape), d, ii!, g)]);
  if (ix !== idx) ix.dispose();
  return out;
});

/** A copy of x with src's slices added at the 1-D indices along dim. */
export const indexAdd = defineOp('indexAdd', (x: Tensor, dim: number, idx: Tensor, src: Tensor): Tensor => {
  const d = normDim('indexAdd', dim, x.ndim);
  const ix = checkIndex('indexAdd', idx, x.shape[d] ?? 1, `dim ${d}`);
  const s = cast(src, x.dtype);
  const be = backendOf('indexAdd', x, ix, s);
  const [outer, r, inner] = splitAt(x.shape, d);
  const out = wrap(be, be.indexAdd(x._s('indexAdd'), ix._s('indexAdd'), s._s('indexAdd'), outer, r, inner), x.shape);
  record(out, 'indexAdd', [x, s], [ix], (g, [ii]) => [g, indexSelect(g, d, ii!)]);
  if (s !== src) s.dispose();
  if (ix !== idx) ix.dispose();
  return out;
});
