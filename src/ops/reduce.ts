// Reductions and scans: the prod/amax/amin/argmax/argmin records (sum's is in ./broadcast.ts), and
// the composites mean, max/min with indices, var/std, norm, cumsum — dim as a number or a list,
// keepdim as in PyTorch.

import { isFloat } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { normDim, normDims, prod, reducedShape } from '../tensor/shape.js';
import * as S from './scalar.js';
import { defineOp } from './dispatch.js';
import { cast, reshape } from './layout.js';
import { expandBack, reducePrim, reduction, sum, type Dim } from './broadcast.js';
import { add, abs, div, eq, gt, maximum, minimum, mul, ne, pow, sqrt, sub, where } from './elementwise.js';
import { scatterAdd } from './indexing.js';
import { backendOf, record, wrap } from './util.js';
import { noGrad } from '../autograd/graph.js';
// norm runs in a scope: its intermediates are freed even where the caller has none (logsumexp,
// in ./activation.ts, frees its own).
import { scope } from '../tensor/memory.js';
import { eye, full } from '../tensor/create.js';
import { flip, transpose, unsqueeze } from './shape.js';
import { triu } from './matrix.js';

export { sum, type Dim };

const prodReduce = reduction('prod', {
  kernel: { step: S.mul, init: 1, int: S.intMul },
  bool: 'int32',
  saves: 'x',
  torch: 'torch.prod',
  // Exact with zeros: the product of the others is prod(nonzeros) where x is the only zero,
  // 0 where another element is zero, and prod/x otherwise.
  grad: (g, { x, inShape, dims }) => {
    const isZero = eq(x, 0);
    const nz = where(isZero, 1, x);
    const pnz = expandBack(prodReduce(nz, dims, true), inShape, dims);
    const zc = expandBack(sum(cast(isZero, x.dtype), dims, true), inShape, dims);
    const others = where(isZero, mul(pnz, eq(zc, 1)), mul(div(pnz, nz), eq(zc, 0)));
    return mul(expandBack(g, inShape, dims), others);
  },
});

/** The gradient of amax/amin is shared evenly among the elements equal to the extreme, as in PyTorch. */
function extremeGrad(g: Tensor, { x, y, inShape, dims }: { x: Tensor; y: Tensor; inShape: readonly number[]; dims: readonly number[] }): Tensor {
  const mask = cast(eq(x, expandBack(y, inShape, dims)), g.dtype);
  const count = expandBack(sum(mask, dims, true), inShape, dims);
  return div(mul(expandBack(g, inShape, dims), mask), count);
}

/** The sum of the elements that are not NaN; they get the gradient, the NaNs none. */
export const nansum = reduction('nansum', {
  kernel: { step: S.nanAdd, init: 0, int: S.intAdd }, bool: 'int32', saves: 'x', torch: 'torch.nansum',
  grad: (g, { x, inShape, dims }) => where(ne(x, x), 0, expandBack(g, inShape, dims)),
});

export const amax = reduction('amax', { kernel: { wins: S.maxWins, int: 'exact', simd: 'f32x4.max' }, bool: 'bool', saves: 'xy', grad: extremeGrad, torch: 'torch.amax' });
export const amin = reduction('amin', { kernel: { wins: S.minWins, int: 'exact', simd: 'f32x4.min' }, bool: 'bool', saves: 'xy', grad: extremeGrad, torch: 'torch.amin' });
/** The first index of the extreme (NaN counts as the extreme, as in PyTorch); int32. */
export const argmax = reduction('argmax', { kernel: { wins: S.maxWins, int: 'exact', index: true }, bool: 'int32', saves: 'none', torch: 'torch.argmax' });
export const argmin = reduction('argmin', { kernel: { wins: S.minWins, int: 'exact', index: true }, bool: 'int32', saves: 'none', torch: 'torch.argmin' });

export interface ValuesIndices { values: Tensor; indices: Tensor }

/** max(x, dim, keepdim) / min(…) → {values, indices} along dim; the gradient goes to the index. */
function maxDim(name: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  const d = normDim(name, dim, x.ndim);
  const dims = x.ndim === 0 ? [] : [d];
  const indices = (name === 'max' ? argmax : argmin)(x, x.ndim === 0 ? null : d, true);
  const vk0 = reducePrim(name, (name === 'max' ? amax : amin).kernel, x.dtype === 'bool' ? cast(x, 'int32') : x, dims);
  const vk1 = x.dtype === 'bool' ? cast(vk0, 'bool') : vk0;
  const vk = reshape(vk1, indices.shape);
  if (vk1 !== vk0) vk1.dispose();
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

interface MaxMin {
  /** the largest (smallest) element */
  (x: Tensor): Tensor;
  /** the largest (smallest) elements along dim and their first indices */
  (x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
  /** the element-wise larger (smaller) of x and other: maximum(x, other) (minimum) */
  (x: Tensor, other: Tensor): Tensor;
}
function maxMin(name: 'max' | 'min', x: Tensor, dim?: number | Tensor, keepdim: boolean = false): Tensor | ValuesIndices {
  if (dim === undefined) return (name === 'max' ? amax : amin)(x);
  if (typeof dim !== 'number') return (name === 'max' ? maximum : minimum)(x, dim);
  return maxDim(name, x, dim, keepdim);
}
/** max(x) → the largest element; max(x, dim, keepdim) → {values, indices} along dim; max(x, y) → maximum(x, y). */
export const max = defineOp('max', (x: Tensor, dim?: number | Tensor, keepdim: boolean = false) => maxMin('max', x, dim, keepdim)) as MaxMin;
/** min(x) → the smallest element; min(x, dim, keepdim) → {values, indices} along dim; min(x, y) → minimum(x, y). */
export const min = defineOp('min', (x: Tensor, dim?: number | Tensor, keepdim: boolean = false) => maxMin('min', x, dim, keepdim)) as MaxMin;

export const mean = defineOp('mean', (x: Tensor, dim?: Dim, keepdim: boolean = false): Tensor => {
  if (!isFloat(x.dtype)) throw new TypeError(`mean: needs a floating-point tensor, got ${x.dtype} (use x.float() first)`);
  const dims = normDims('mean', dim, x.ndim);
  const s = sum(x, dims, keepdim);
  const out = div(s, prod(dims.map((d) => x.shape[d]!)));
  s.dispose();
  return out;
});

export interface VarOptions { correction?: number; unbiased?: boolean; keepdim?: boolean }

const variance = defineOp('var', (x: Tensor, dim?: Dim, opts: VarOptions = {}): Tensor => {
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
});

export const std = defineOp('std', (x: Tensor, dim?: Dim, opts: VarOptions = {}): Tensor => {
  const v = variance(x, dim, opts);
  const out = sqrt(v);
  v.dispose();
  return out;
});

/** Vector p-norm over dim (all elements by default): p = 2 (default), 1, Infinity, or any p > 0. */
export const norm = defineOp('norm', (x: Tensor, p: number | 'fro' = 2, dim?: Dim, keepdim: boolean = false): Tensor => scope(() => {
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
      const ok = expandBack(o!, inShape, dims);
      const scale = where(gt(ok, 0), div(expandBack(g, inShape, dims), ok), 0);
      return [mul(v!, scale)];
    });
  }
  if (!(pp > 0)) throw new RangeError(`norm: p must be positive, Infinity or 'fro', got ${p}`);
  return pow(sum(pow(abs(x), pp), dims, keepdim), 1 / pp);
}));

/** The running sum along dim (sum's record as a scan); the backward is the reversed running sum. */
export const cumsum = defineOp('cumsum', (x: Tensor, dim: number): Tensor => {
  const d = normDim('cumsum', dim, x.ndim);
  const t = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const be = backendOf('cumsum', t);
  const shape = t.shape;
  const s = x.ndim === 0 ? { outer: 1, r: 1, inner: 1 } : { outer: prod(shape.slice(0, d)), r: shape[d]!, inner: prod(shape.slice(d + 1)) };
  const out = wrap(be, be.scan(sum.kernel, t._s('cumsum'), s), shape);
  if (t !== x) t.dispose();
  return record(out, 'cumsum', [x.dtype === 'bool' ? null : x], [], (g) => {
    if (shape.length === 0) return [g];
    // total - cumsum + g
    return [add(sub(sum(g, d, true), cumsum(g, d)), g)];
  });
});

/** The reverse running sum along d (what a scan's gradient adds up). */
function revCumsum(t: Tensor, d: number): Tensor {
  return flip(cumsum(flip(t, [d]), d), [d]);
}

/**
 * The running product along dim (prod's record as a scan). Backward: Σ_{j≥i} g_j·y_j / x_i where x
 * has no zero; otherwise exactly, by dy_j/dx_i = cumprod(x with x_i := 1)_j for j ≥ i (O(n²)).
 */
export const cumprod = defineOp('cumprod', (x: Tensor, dim: number): Tensor => {
  const d = normDim('cumprod', dim, x.ndim);
  const t = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const be = backendOf('cumprod', t);
  const shape = t.shape;
  const s = x.ndim === 0 ? { outer: 1, r: 1, inner: 1 } : { outer: prod(shape.slice(0, d)), r: shape[d]!, inner: prod(shape.slice(d + 1)) };
  const out = wrap(be, be.scan(prodReduce.kernel, t._s('cumprod'), s), shape);
  if (t !== x) t.dispose();
  return record(out, 'cumprod', [x.dtype === 'bool' ? null : x], [x, out], (g, [v, y]) => {
    if (shape.length === 0) return [g];
    if (!(v!.dataSync() as Float32Array | Float64Array).includes(0)) return [div(revCumsum(mul(g, y!), d), v!)];
    const n = shape[d]!;
    const last = shape.length - 1;
    const xt = transpose(v!, d, last), gt_ = transpose(g, d, last);
    const ones = where(eye(n, n, { dtype: 'bool' }), 1, unsqueeze(xt, -2)); // [..., i, k]: x with x_i := 1
    const upper = triu(cumprod(ones, -1)); // [..., i, j]: dy_j/dx_i
    return [transpose(sum(mul(upper, unsqueeze(gt_, -2)), -1), d, last)];
  });
});

export { prodReduce as prod, variance as var };
