// Reductions and scans: sum, mean, prod, amax/amin, max/min with indices, argmax/argmin,
// var/std, logsumexp, norm, cumsum — dim as a number or a list, keepdim as in PyTorch.

import type { ReduceOp } from '../backend/backend.js';
import { isFloat } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, cast, div, eq, mul, sub, where, sqrt, abs, pow, exp, log, gt } from './elementwise.js';
import { expand, permute, reshape } from './shape.js';
import { scatterAdd } from './indexing.js';
import { backendOf, fmt, normDim, normDims, prod, record, wrap, type Shape } from './util.js';
import { noGrad } from '../autograd/graph.js';
// logsumexp and norm run in a scope: their intermediates are freed even where the caller has none.
import { scope } from '../tensor/memory.js';
import { full } from '../tensor/create.js';

export type Dim = number | readonly number[] | null | undefined;

/** The shape after reducing dims (kept as 1 with keepdim). */
function reducedShape(shape: Shape, dims: number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (dims.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(d);
  });
  return out;
}

/** Runs a reduce primitive over dims (sorted): runs of adjacent dims one after another, or (argmax/argmin) the dims brought together first. */
function reducePrim(name: string, op: ReduceOp, x: Tensor, dims: number[]): Tensor {
  const be = backendOf(name, x);
  const shape = x.shape;
  const outShape = reducedShape(shape, dims, false);
  if (dims.length === 0) {
    // 0-d input: a reduction over "all" of one element.
    return wrap(be, be.reduce(op, x._s(name), { outer: 1, r: prod(shape), inner: 1 }), outShape);
  }
  const consecutive = dims[dims.length - 1]! - dims[0]! === dims.length - 1;
  if (consecutive) {
    const outer = prod(shape.slice(0, dims[0]));
    const r = prod(shape.slice(dims[0], dims[dims.length - 1]! + 1));
    const inner = prod(shape.slice(dims[dims.length - 1]! + 1));
    return wrap(be, be.reduce(op, x._s(name), { outer, r, inner }), outShape);
  }
  if (op !== 'argmax' && op !== 'argmin') {
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
  const r = prod(dims.map((d) => shape[d]!));
  const out = wrap(be, be.reduce(op, moved._s(name), { outer: prod(outShape), r, inner: 1 }), outShape);
  moved.dispose();
  return out;
}

function checkNonEmpty(name: string, x: Tensor, dims: number[]): void {
  for (const d of dims) {
    if (x.shape[d] === 0) throw new Error(`${name}: cannot reduce over dim ${d} of size 0 (shape ${fmt(x.shape)}): the result is undefined`);
  }
  if (dims.length === 0 && x.numel() === 0) throw new Error(`${name}: cannot reduce an empty tensor`);
}

/** Gradient of a reduction broadcast back to the input's shape. */
function expandBack(g: Tensor, inShape: Shape, dims: number[]): Tensor {
  const kept = reducedShape(inShape, dims.length ? dims : inShape.map((_, i) => i), true);
  return expand(reshape(g, kept), inShape);
}

/** Sums g (broadcast result) down to `shape` — the backward of broadcasting. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, false) : g;
  return reshape(s, shape);
}

export function sum(x: Tensor, dim?: Dim, keepdim = false): Tensor {
  const dims = normDims('sum', dim, x.ndim);
  const t = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const out = reducePrim('sum', 'sum', t, dims);
  const res = keepdim ? reshape(out, reducedShape(x.shape, dims, true)) : out;
  if (keepdim) out.dispose();
  const inShape = x.shape;
  return record(res, 'sum', [t], [], (g) => [expandBack(g, inShape, dims)]);
}

export function mean(x: Tensor, dim?: Dim, keepdim = false): Tensor {
  if (!isFloat(x.dtype)) throw new TypeError(`mean: needs a floating-point tensor, got ${x.dtype} (use x.float() first)`);
  const dims = normDims('mean', dim, x.ndim);
  const n = prod(dims.map((d) => x.shape[d]!));
  const s = sum(x, dims, keepdim);
  const out = div(s, n);
  s.dispose();
  return out;
}

export function prodReduce(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  const dims = normDims('prod', dim ?? undefined, x.ndim);
  const t = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const out0 = reducePrim('prod', 'prod', t, dims);
  const out = keepdim ? reshape(out0, reducedShape(x.shape, dims, true)) : out0;
  if (keepdim) out0.dispose();
  const inShape = x.shape;
  return record(out, 'prod', [t], [t], (g, [v]) => {
    // Exact with zeros: the product of the others is prod(nonzeros) where x is the only zero,
    // 0 where another element is zero, and prod/x otherwise.
    const isZero = eq(v!, 0);
    const nz = where(isZero, 1, v!);
    const pnz = expandBack(reducePrimKeep(nz, dims), inShape, dims);
    const zc = expandBack(reducePrimKeep(cast(isZero, v!.dtype), dims, 'sum'), inShape, dims);
    const others = where(isZero, mul(pnz, eq(zc, 1)), mul(div(pnz, nz), eq(zc, 0)));
    return [mul(expandBack(g, inShape, dims), others)];
  });
}

function reducePrimKeep(x: Tensor, dims: number[], op: 'prod' | 'sum' = 'prod'): Tensor {
  return op === 'sum' ? sum(x, dims) : prodReduce(x, dims.length === 1 ? dims[0] : null);
}

function extreme(name: string, op: 'max' | 'min', x: Tensor, dim: Dim, keepdim: boolean): Tensor {
  const dims = normDims(name, dim, x.ndim);
  checkNonEmpty(name, x, dims);
  const out0 = reducePrim(name, op, x, dims);
  const out = keepdim ? reshape(out0, reducedShape(x.shape, dims, true)) : out0;
  if (keepdim) out0.dispose();
  const inShape = x.shape;
  return record(out, name, [x], [x, out], (g, [v, o]) => {
    // The gradient is shared evenly among the elements equal to the extreme, as in PyTorch.
    const mask = cast(eq(v!, expandBack(o!, inShape, dims)), g.dtype);
    const count = expandBack(sum(mask, dims), inShape, dims);
    return [div(mul(expandBack(g, inShape, dims), mask), count)];
  });
}

export const amax = (x: Tensor, dim?: Dim, keepdim = false): Tensor => extreme('amax', 'max', x, dim, keepdim);
export const amin = (x: Tensor, dim?: Dim, keepdim = false): Tensor => extreme('amin', 'min', x, dim, keepdim);

function argExtreme(name: string, op: 'argmax' | 'argmin', x: Tensor, dim?: number | null, keepdim = false): Tensor {
  if (dim === undefined || dim === null) {
    checkNonEmpty(name, x, []);
    const flat = reshape(x, [x.numel()]);
    const out = reducePrim(name, op, flat, [0]);
    flat.dispose();
    if (!keepdim) return out;
    const r = reshape(out, x.shape.map(() => 1));
    out.dispose();
    return r;
  }
  const d = normDim(name, dim, x.ndim);
  const dims = x.ndim === 0 ? [] : [d];
  checkNonEmpty(name, x, dims);
  const out = reducePrim(name, op, x, dims);
  if (!keepdim) return out;
  const r = reshape(out, reducedShape(x.shape, dims, true));
  out.dispose();
  return r;
}

export const argmax = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argExtreme('argmax', 'argmax', x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argExtreme('argmin', 'argmin', x, dim, keepdim);

export interface ValuesIndices { values: Tensor; indices: Tensor }

/** max(x) → the largest element; max(x, dim, keepdim) → {values, indices} along dim. */
export function maxDim(name: 'max' | 'min', x: Tensor, dim: number, keepdim = false): ValuesIndices {
  const d = normDim(name, dim, x.ndim);
  const dims = x.ndim === 0 ? [] : [d];
  checkNonEmpty(name, x, dims);
  const indices = argExtreme(name, name === 'max' ? 'argmax' : 'argmin', x, dim, true);
  const vk0 = reducePrim(name, name, x, dims);
  const vk = reshape(vk0, indices.shape);
  vk0.dispose();
  const inShape = x.shape;
  const values = record(vk, name, [x], [indices], (g, [idx]) => {
    if (inShape.length === 0) return [g];
    const zeros = full(inShape, 0, { dtype: g.dtype });
    return [scatterAdd(zeros, d, idx!, g)];
  });
  if (keepdim) return { values, indices };
  const shape = reducedShape(inShape, dims, false);
  const v2 = reshape(values, shape), i2 = reshape(indices, shape);
  values.dispose();
  indices.dispose();
  return { values: v2, indices: i2 };
}

export interface VarOptions { correction?: number; unbiased?: boolean; keepdim?: boolean }

export function variance(x: Tensor, dim?: Dim, opts: VarOptions = {}): Tensor {
  if (!isFloat(x.dtype)) throw new TypeError(`var: needs a floating-point tensor, got ${x.dtype}`);
  const dims = normDims('var', dim, x.ndim);
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const n = prod(dims.map((d) => x.shape[d]!));
  const m = mean(x, dims, true);
  const dev = sub(x, m);
  const sq = mul(dev, dev);
  const s = sum(sq, dims, opts.keepdim ?? false);
  const out = div(s, Math.max(0, n - correction));
  for (const t of [m, dev, sq, s]) t.dispose();
  return out;
}

export function std(x: Tensor, dim?: Dim, opts: VarOptions = {}): Tensor {
  const v = variance(x, dim, opts);
  const out = sqrt(v);
  v.dispose();
  return out;
}

/** log(sum(exp(x))) over dim, computed stably by shifting by the maximum. */
export function logsumexp(x: Tensor, dim: Dim, keepdim = false): Tensor {
  return scope(() => logsumexpUnscoped(x, dim, keepdim));
}

function logsumexpUnscoped(x: Tensor, dim: Dim, keepdim = false): Tensor {
  const t = isFloat(x.dtype) ? x : cast(x, 'float32');
  const dims = normDims('logsumexp', dim, t.ndim);
  const m = noGrad(() => {
    const a = amax(t, dims, true);
    // An all -inf (or +inf) slice would give inf - inf = NaN: shift by 0 there instead.
    const finite = eq(abs(a), Infinity);
    return where(finite, 0, a);
  });
  const e = exp(sub(t, m));
  const out = add(log(sum(e, dims, keepdim)), keepdim ? m : reshape(m, reducedShape(t.shape, dims, false)));
  return out;
}

/** Vector p-norm over dim (all elements by default): p = 2 (default), 1, Infinity, or any p > 0. */
export function norm(x: Tensor, p: number | 'fro' = 2, dim?: Dim, keepdim = false): Tensor {
  return scope(() => normUnscoped(x, p, dim, keepdim));
}

function normUnscoped(x: Tensor, p: number | 'fro' = 2, dim?: Dim, keepdim = false): Tensor {
  if (!isFloat(x.dtype)) throw new TypeError(`norm: needs a floating-point tensor, got ${x.dtype}`);
  const pp = p === 'fro' ? 2 : p;
  const dims = normDims('norm', dim, x.ndim);
  if (pp === Infinity) return amax(abs(x), dims, keepdim);
  if (pp === -Infinity) return amin(abs(x), dims, keepdim);
  if (pp === 1) return sum(abs(x), dims, keepdim);
  if (pp === 2) {
    const out = noGrad(() => sqrt(sum(mul(x, x), dims, keepdim)));
    const inShape = x.shape;
    return record(out, 'norm', [x], [x, out], (g, [v, o]) => {
      // x / ||x||, taken as 0 where the norm is 0 (PyTorch's subgradient).
      const ok = expandBack(keepdim ? o! : o!, inShape, dims);
      const scale = where(gt(ok, 0), div(expandBack(g, inShape, dims), ok), 0);
      return [mul(v!, scale)];
    });
  }
  if (!(pp > 0)) throw new RangeError(`norm: p must be positive, Infinity or 'fro', got ${p}`);
  return pow(sum(pow(abs(x), pp), dims, keepdim), 1 / pp);
}

export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normDim('cumsum', dim, x.ndim);
  const t = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const be = backendOf('cumsum', t);
  const shape = t.shape;
  const s = x.ndim === 0 ? { outer: 1, r: 1, inner: 1 } : { outer: prod(shape.slice(0, d)), r: shape[d]!, inner: prod(shape.slice(d + 1)) };
  const out = wrap(be, be.cumsum(t._s('cumsum'), s), shape);
  return record(out, 'cumsum', [t], [], (g) => {
    // Reverse cumulative sum: total - cumsum + g.
    if (shape.length === 0) return [g];
    const total = sum(g, d, true);
    return [add(sub(total, cumsum(g, d)), g)];
  });
}

