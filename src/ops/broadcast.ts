// Broadcasting and its adjoint: expand (copies along size-1 dims) and sum (adds them back), with
// the reduction records they share a file with — expand's backward is a sum, sum's an expand.
// reduction() turns a reduce record (the kernel's fold or selection, dtype rule, backward, PyTorch's
// spelling) into an op over dims with keepdim.

import type { ReduceKernel } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { contiguousStrides, fmt, normDims, prod, reducedShape, sameShape, type Shape } from '../tensor/shape.js';
import { defineOp, type OpFn } from './dispatch.js';
import { cast, permute, reshape } from './layout.js';
import { backendOf, markCopy, record, wrap } from './util.js';
import { noGrad } from '../autograd/graph.js';
import type { TestSpec } from './spec.js';
import * as S from './scalar.js';

/** Broadcasts size-1 dims to `shape` (-1 keeps a size); new leading dims may be added. */
export const expand = defineOp('expand', (x: Tensor, shape: readonly number[]): Tensor => {
  if (shape.length < x.ndim) throw new Error(`expand: the number of sizes (${shape.length}) must be at least the tensor's dims (${x.ndim}), shape ${fmt(x.shape)}`);
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  for (let i = 0; i < x.ndim; i++) {
    const have = x.shape[i]!, want = target[i + lead]!;
    if (have !== want && have !== 1) throw new Error(`expand: size ${have} at dim ${i} of ${fmt(x.shape)} cannot expand to ${want} (target ${fmt(shape)})`);
  }
  if (sameShape(target, x.shape)) return reshape(x, x.shape);
  const cs = contiguousStrides(x.shape);
  const strides = target.map((d, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : cs[i - lead]!));
  const be = backendOf('expand', x);
  const out = wrap(be, be.copyStrided(x._s('expand'), target, strides, 0), target);
  const inShape = x.shape;
  return record(markCopy(out, 'expand'), 'expand', [x], [], (g) => [sumTo(g, inShape)]);
});

/** Sums g (a broadcast result) down to `shape` — the backward of broadcasting. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, false) : g;
  return reshape(s, shape);
}

/** A reduction's gradient (or output) broadcast back to the input's shape. */
export function expandBack(g: Tensor, inShape: Shape, dims: readonly number[]): Tensor {
  const kept = reducedShape(inShape, dims.length ? dims : inShape.map((_, i) => i), true);
  return expand(reshape(g, kept), inShape);
}

/** Runs a reduce kernel over sorted dims: runs of adjacent dims one after another, or (an index result) the dims brought together first. */
export function reducePrim(name: string, op: ReduceKernel, x: Tensor, dims: readonly number[]): Tensor {
  const be = backendOf(name, x);
  const shape = x.shape;
  const outShape = reducedShape(shape, dims, false);
  if (dims.length === 0) return wrap(be, be.reduce(op, x._s(name), { outer: 1, r: prod(shape), inner: 1 }), outShape); // 0-d: "all" of one element
  const d0 = dims[0]!, d1 = dims[dims.length - 1]!;
  if (d1 - d0 === dims.length - 1) {
    const s = { outer: prod(shape.slice(0, d0)), r: prod(shape.slice(d0, d1 + 1)), inner: prod(shape.slice(d1 + 1)) };
    return wrap(be, be.reduce(op, x._s(name), s), outShape);
  }
  if (!op.index) {
    // Runs of adjacent dims, innermost run first: e.g. a bias gradient's sum over [0, 2, 3] of
    // [N, C, H, W] is a sum over H·W, then over N — no permuted copy of the whole input.
    let lo = dims.length - 1;
    while (lo > 0 && dims[lo - 1] === dims[lo]! - 1) lo--;
    const inner = reducePrim(name, op, x, dims.slice(lo));
    const out = reducePrim(name, op, inner, dims.slice(0, lo));
    inner.dispose();
    return out;
  }
  const kept = shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const moved = noGrad(() => permute(x, [...kept, ...dims]));
  const s = { outer: prod(outShape), r: prod(dims.map((d) => shape[d]!)), inner: 1 };
  const out = wrap(be, be.reduce(op, moved._s(name), s), outShape);
  moved.dispose();
  return out;
}

export type Dim = number | readonly number[] | null | undefined;

/** A reduction's entry: its kernel (fold or selection), what bool input becomes, its backward. */
export interface ReductionDef {
  kernel: Omit<ReduceKernel, 'name'>;
  /** bool input: summed as int32 (sum, prod), or reduced as int32 and given back as bool (amax) */
  bool: 'int32' | 'bool';
  /** what the backward keeps: the input x, the output y (as returned), both or neither */
  saves: 'x' | 'y' | 'xy' | 'none';
  /** backward with ops (absent: an index result): g has the output's shape; x and y are there when saved */
  grad?: (g: Tensor, s: { x: Tensor; y: Tensor; inShape: Shape; dims: readonly number[] }) => Tensor;
  /** PyTorch's spelling, for the fixture generator (e.g. 'torch.sum') */
  torch: string;
  /** a Tensor method too (default true) */
  method?: boolean;
  test?: TestSpec;
}

export type ReductionFn = OpFn<[x: Tensor, dim?: Dim, keepdim?: boolean], Tensor> & {
  readonly kind: 'reduction';
  readonly kernel: ReduceKernel;
  readonly def: ReductionDef;
};

/** The op of a reduction record: over dim (a number, a list, or all), keeping reduced dims as 1 with keepdim. */
export function reduction(name: string, def: ReductionDef): ReductionFn {
  const kernel: ReduceKernel = { name, ...def.kernel };
  const f = defineOp(name, (x: Tensor, dim?: Dim, keepdim: boolean = false): Tensor => {
    const dims = normDims(name, dim, x.ndim);
    if (kernel.wins) {
      for (const d of dims) if (x.shape[d] === 0) throw new Error(`${name}: cannot reduce over dim ${d} of size 0 (shape ${fmt(x.shape)}): the result is undefined`);
      if (dims.length === 0 && x.numel() === 0) throw new Error(`${name}: cannot reduce an empty tensor`);
    }
    const t = x.dtype === 'bool' ? cast(x, 'int32') : x;
    let out = reducePrim(name, kernel, t, dims);
    if (t !== x && def.bool === 'bool') out = swap(out, cast(out, 'bool'));
    if (keepdim) out = swap(out, reshape(out, reducedShape(x.shape, dims, true)));
    const saved = def.saves === 'none' ? NONE : def.saves === 'x' ? [t] : def.saves === 'y' ? [out] : [t, out];
    const inShape = x.shape;
    const grad = def.grad;
    if (grad && t.requiresGrad) record(out, name, [t], saved, (g, sv) => {
      const sx = def.saves === 'x' || def.saves === 'xy' ? sv[0]! : null, sy = def.saves === 'y' ? sv[0]! : def.saves === 'xy' ? sv[1]! : null;
      return [grad(g, { x: sx!, y: sy!, inShape, dims })];
    });
    if (t !== x) t.dispose();
    return out;
  });
  return Object.assign(f, { kind: 'reduction' as const, kernel, def });
}

const NONE: Tensor[] = [];

function swap(old: Tensor, next: Tensor): Tensor {
  if (next !== old) old.dispose();
  return next;
}

export const sum = reduction('sum', {
  kernel: { step: S.add, init: 0, int: S.intAdd, simd: 'f32x4.add' },
  bool: 'int32',
  saves: 'none',
  grad: (g, s) => expandBack(g, s.inShape, s.dims),
  torch: 'torch.sum',
});
