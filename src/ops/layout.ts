// The layout primitives every other op builds on, each its own adjoint's partner: cast, reshape
// (a view of the same storage), permute, and strided copies (slices, flips) with their embedding.

import type { DType } from '../tensor/dtype.js';
import { isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { contiguousStrides, fmt, normDim, prod, type Shape } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { backendOf, markCopy, record, wrap } from './util.js';
import { setViewReshape } from '../autograd/views.js';

/** t converted to dtype (a copy, or t itself when it already has that dtype). Differentiable between floats. */
export const cast = defineOp('cast', (t: Tensor, dtype: DType): Tensor => {
  if (t.dtype === dtype) return t;
  const b = backendOf('to', t);
  const out = wrap(b, b.cast(t._s('to'), dtype), t.shape);
  if (isFloat(dtype) && isFloat(t.dtype)) {
    const from = t.dtype;
    record(out, 'cast', [t], [], (g) => [cast(g, from)]);
  }
  return out;
});

function checkShapeList(op: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < -1) throw new TypeError(`${op}: invalid size ${d} in shape ${fmt(shape)}`);
  }
}

/** A new shape for the same elements; one dim may be -1. Shares x's storage. */
export const reshape = defineOp('reshape', (x: Tensor, shape: readonly number[]): Tensor => {
  checkShapeList('reshape', shape);
  const n = x.numel();
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    if (out.indexOf(-1, neg + 1) >= 0) throw new Error(`reshape: only one dimension can be -1, got ${fmt(shape)}`);
    const rest = prod(out.filter((_, i) => i !== neg));
    if (rest === 0 || n % rest !== 0) throw new Error(`reshape: shape ${fmt(shape)} is invalid for input of size ${n} (shape ${fmt(x.shape)})`);
    out[neg] = n / rest;
  }
  if (prod(out) !== n) throw new Error(`reshape: shape ${fmt(shape)} is invalid for input of size ${n} (shape ${fmt(x.shape)})`);
  const buf = x._live('reshape');
  const t = new Tensor(buf.retain(), out, x.dtype);
  // A view of x's storage: in-place writes through it reach x (./inplace.ts, src/autograd/views.ts).
  t._base = x._base ?? x;
  t._viewVersion = buf.version;
  t._baseNode = t._base._node;
  const inShape = x.shape;
  return record(t, 'reshape', [x], [], (g) => [reshape(g, inShape)]);
});

setViewReshape((g, shape) => reshape(g, shape));

/**
 * A contiguous copy of the strided view (shape, strides, offset) of x. Backward embeds the
 * gradient into zeros at the same view — correct because the views used here never overlap.
 */
export function stridedView(op: string, x: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  const be = backendOf(op, x);
  const out = wrap(be, be.copyStrided(x._s(op), shape, strides, offset), shape);
  const inShape = x.shape;
  return record(out, op, [x], [], (g) => [embedView(op, g, inShape, shape, strides, offset)]);
}

/** zeros(base) with g written into the view (shape, strides, offset): the adjoint of stridedView. */
export function embedView(op: string, g: Tensor, base: Shape, shape: Shape, strides: readonly number[], offset: number): Tensor {
  const be = backendOf(op, g);
  const dst = be.fill(g.dtype, prod(base), 0);
  be.writeStrided(dst, g._s(op), shape, strides, offset);
  const out = wrap(be, dst, base);
  return record(out, op + 'Backward', [g], [], (gg) => [stridedView(op, gg, shape, strides, offset)]);
}

export const permute = defineOp('permute', (x: Tensor, dims: readonly number[]): Tensor => {
  if (dims.length !== x.ndim) throw new Error(`permute: got ${dims.length} dims ${fmt(dims)} for a tensor of ${x.ndim} dimensions`);
  const p = dims.map((d) => normDim('permute', d, x.ndim));
  if (new Set(p).size !== p.length) throw new Error(`permute: dims ${fmt(dims)} repeat a dimension`);
  if (p.every((d, i) => d === i)) return reshape(x, x.shape);
  const shape = p.map((d) => x.shape[d]!);
  // Moving only dims of size 1 (heads ↔ a one-token sequence in generation) keeps the elements'
  // order: a view, as in PyTorch, instead of a copy.
  const moved = p.filter((d) => x.shape[d] !== 1);
  if (moved.every((d, i) => i === 0 || d > moved[i - 1]!)) return reshape(x, shape);
  const cs = contiguousStrides(x.shape);
  const be = backendOf('permute', x);
  const out = wrap(be, be.copyStrided(x._s('permute'), shape, p.map((d) => cs[d]!), 0), shape);
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => (inv[d] = i));
  return record(markCopy(out, 'permute'), 'permute', [x], [], (g) => [permute(g, inv)]);
});
