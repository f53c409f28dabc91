// Indexing by integer tensors: gather / scatterAdd, indexSelect / indexAdd, embedding, oneHot.
// Indices are checked here, in TypeScript, so kernels can trust them.

import type { Tensor } from '../tensor/tensor.js';
import { fmt, normDim, prod } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { backendOf, record, wrap } from './util.js';
import { cast, reshape } from './layout.js';
import { add, eq, where } from './elementwise.js';
import { narrow, pad } from './shape.js';
import { checkIndex, splitAt, indexSelect, indexAdd } from './index-select.js';
import { arange } from '../tensor/create.js';

export { indexSelect, indexAdd };

/** out[i][j][k] = x[i][idx[i][j][k]][k] for dim = 1 (and likewise for any dim). */
export const gather = defineOp('gather', (x: Tensor, dim: number, idx: Tensor): Tensor => {
  const d = normDim('gather', dim, x.ndim);
  if (idx.ndim !== x.ndim) throw new Error(`gather: index has ${idx.ndim} dims but input has ${x.ndim} (shapes ${fmt(idx.shape)} and ${fmt(x.shape)})`);
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && idx.shape[i]! > x.shape[i]!) throw new Error(`gather: index shape ${fmt(idx.shape)} exceeds input ${fmt(x.shape)} in dim ${i}`);
  }
  // Restrict the input to the index's extent in the other dims, so kernels see [outer, r, inner].
  let src = x;
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && idx.shape[i]! < x.shape[i]!) {
      const next = narrow(src, i, 0, idx.shape[i]!);
      if (src !== x) src.dispose();
      src = next;
    }
  }
  const ix = checkIndex('gather', idx, x.shape[d] ?? 1, `dim ${d}`);
  const be = backendOf('gather', src, ix);
  const [outer, r, inner] = splitAt(src.shape, d);
  const k = idx.shape[d] ?? 1;
  const out = wrap(be, be.gather(src._s('gather'), ix._s('gather'), outer, r, inner, k), idx.shape);
  const srcShape = src.shape;
  record(out, 'gather', [src], [ix], (g, [ii]) => {
    const z = wrap(be, be.fill(g.dtype, prod(srcShape), 0), srcShape);
    const res = scatterAdd(z, d, ii!, g);
    z.dispose();
    return [res];
  });
  if (src !== x) src.dispose();
  if (ix !== idx) ix.dispose();
  return out;
});

/** A copy of x with src added at idx along dim (src and idx have the same shape). */
export const scatterAdd = defineOp('scatterAdd', (x: Tensor, dim: number, idx: Tensor, src: Tensor): Tensor => {
  const d = normDim('scatterAdd', dim, x.ndim);
  if (idx.ndim !== x.ndim || src.ndim !== x.ndim) throw new Error(`scatterAdd: input ${fmt(x.shape)}, index ${fmt(idx.shape)} and src ${fmt(src.shape)} must have the same number of dims`);
  for (let i = 0; i < x.ndim; i++) {
    if (idx.shape[i] !== src.shape[i]) throw new Error(`scatterAdd: index ${fmt(idx.shape)} and src ${fmt(src.shape)} must have the same shape`);
    if (i !== d && idx.shape[i]! > x.shape[i]!) throw new Error(`scatterAdd: index ${fmt(idx.shape)} exceeds input ${fmt(x.shape)} in dim ${i}`);
  }
  if (idx.shape.some((n, i) => i !== d && n < x.shape[i]!)) {
    // A narrower index updates only the region it covers: scatter into that region, pad back, add.
    const region = x.shape.map((n, i) => (i === d ? n : idx.shape[i]!));
    const z = wrap(backendOf('scatterAdd', x), backendOf('scatterAdd', x).fill(x.dtype, prod(region), 0), region);
    const part = scatterAdd(z, d, idx, src);
    const pads: number[] = [];
    for (let i = x.ndim - 1; i >= 0; i--) pads.push(0, x.shape[i]! - region[i]!);
    const full = pad(part, pads);
    const out = add(x, full);
    for (const t of [z, part, full]) t.dispose();
    return out;
  }
  const s = cast(src, x.dtype);
  const ix = checkIndex('scatterAdd', idx, x.shape[d] ?? 1, `dim ${d}`);
  const be = backendOf('scatterAdd', x, ix, s);
  const [outer, r, inner] = splitAt(x.shape, d);
  const k = idx.shape[d] ?? 1;
  const out = wrap(be, be.scatterAdd(x._s('scatterAdd'), ix._s('scatterAdd'), s._s('scatterAdd'), outer, r, inner, k), x.shape);
  record(out, 'scatterAdd', [x, s], [ix], (g, [ii]) => [g, gather(g, d, ii!)]);
  if (s !== src) s.dispose();
  if (ix !== idx) ix.dispose();
  return out;
});

/** Rows of weight [numEmbeddings, dim] at the int32 indices (any shape) → [...idx.shape, dim]. */
export const embedding = defineOp('embedding', (idx: Tensor, weight: Tensor, opts: { paddingIdx?: number | null } = {}): Tensor => {
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be 2-D [numEmbeddings, embeddingDim], got ${fmt(weight.shape)}`);
  if (idx.dtype !== 'int32') throw new TypeError(`embedding: indices must be int32, got ${idx.dtype}`);
  const flat = reshape(idx, [idx.numel()]);
  const n = weight.shape[0]!;
  const data = flat.dataSync();
  for (const v of data) if (v < 0 || v >= n) throw new RangeError(`embedding: index ${v} is out of range for an embedding of ${n} rows`);
  // The indices are checked above, so the primitive runs directly (indexSelect would read them again).
  const pad = opts.paddingIdx ?? null;
  const p = pad !== null && pad < 0 ? pad + n : pad;
  const be = backendOf('embedding', weight, flat);
  const sel = wrap(be, be.indexSelect(weight._s('embedding'), flat._s('embedding'), 1, n, weight.shape[1]!), [flat.numel(), weight.shape[1]!]);
  const wShape = weight.shape;
  const rows = record(sel, 'embedding', [weight], [flat], (g, [ii]) => {
    // The padding row gets no gradient (PyTorch's paddingIdx).
    const gm = p === null ? g : where(reshape(eq(ii!, p), [ii!.numel(), 1]), 0, g);
    return [indexAdd(wrap(be, be.fill(g.dtype, prod(wShape), 0), wShape), 0, ii!, gm)];
  });
  const out = reshape(rows, [...idx.shape, weight.shape[1]!]);
  rows.dispose();
  flat.dispose();
  return out;
});

/** One-hot int32 encoding [..., numClasses] (numClasses = max + 1 when -1). */
export const oneHot = defineOp('oneHot', (idx: Tensor, numClasses: number = -1): Tensor => {
  if (idx.dtype !== 'int32') throw new TypeError(`oneHot: indices must be int32, got ${idx.dtype}`);
  const data = idx.dataSync();
  let n = numClasses;
  if (n === -1) n = data.length ? Math.max(...data) + 1 : 0;
  for (const v of data) if (v < 0 || v >= n) throw new RangeError(`oneHot: class ${v} is out of range for ${n} classes`);
  const classes = arange(n);
  const u = reshape(idx, [...idx.shape, 1]);
  const hit = eq(u, classes);
  const out = cast(hit, 'int32');
  for (const t of [classes, u, hit]) t.dispose();
  return out;
});

