// Matrix-shaped ops written from other ops: tril/triu, diagonal/diag, outer, addmm/baddbmm, cdist,
// roll. Each is a composite (a mask, a strided view, or a product), so its gradient is its parts'.

import type { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, contiguousStrides, fmt, normDim, sameShape } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { embedView, reshape, stridedView } from './layout.js';
import { add, mul, sub, where } from './elementwise.js';
import { norm } from './reduce.js';
import { bmm, mm } from './linalg.js';
import { cat, flatten, narrow, unsqueeze } from './shape.js';
import { checkOpts, fromHost } from './sorting.js';

/** x where the last two dims' (row i, column j) satisfy keep(j - i), zero elsewhere. */
function triangle(op: string, x: Tensor, k: number, keep: (jMinusI: number) => boolean): Tensor {
  if (x.ndim < 2) throw new Error(`${op}: expects a tensor of at least 2 dimensions, got shape ${fmt(x.shape)}`);
  if (!Number.isInteger(k)) throw new TypeError(`${op}: diagonal must be an integer, got ${k}`);
  const r = x.shape[x.ndim - 2]!, c = x.shape[x.ndim - 1]!;
  const m = new Uint8Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m[i * c + j] = keep(j - i) ? 1 : 0;
  const mask = fromHost(x, m, 'bool', [r, c]);
  const out = where(mask, x, x.dtype === 'bool' ? false : 0);
  mask.dispose();
  return out;
}

/** The lower triangle of the last two dims (j ≤ i + diagonal), zero above. */
export const tril = defineOp('tril', (x: Tensor, diagonal: number = 0): Tensor => triangle('tril', x, diagonal, (d) => d <= diagonal));
/** The upper triangle of the last two dims (j ≥ i + diagonal), zero below. */
export const triu = defineOp('triu', (x: Tensor, diagonal: number = 0): Tensor => triangle('triu', x, diagonal, (d) => d >= diagonal));

export interface DiagonalOptions { offset?: number; dim1?: number; dim2?: number }

/**
 * The diagonal of the (dim1, dim2) planes, offset above (> 0) or below (< 0) the main one, as the
 * last dim — diagonal(x, offset, dim1, dim2) or diagonal(x, {offset, dim1, dim2}). A copy.
 */
export const diagonal = defineOp('diagonal', (x: Tensor, offset: number | DiagonalOptions = 0, dim1: number = 0, dim2: number = 1): Tensor => {
  if (typeof offset === 'object') {
    checkOpts('diagonal', offset, ['offset', 'dim1', 'dim2']);
    ({ offset = 0, dim1 = 0, dim2 = 1 } = offset);
  }
  if (!Number.isInteger(offset)) throw new TypeError(`diagonal: offset must be an integer, got ${offset}`);
  const a = normDim('diagonal', dim1, x.ndim), b = normDim('diagonal', dim2, x.ndim);
  if (a === b) throw new Error(`diagonal: dim1 and dim2 are the same dimension (${a}) of shape ${fmt(x.shape)}`);
  const cs = contiguousStrides(x.shape);
  const n1 = x.shape[a]!, n2 = x.shape[b]!;
  const len = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  const start = len === 0 ? 0 : offset >= 0 ? offset * cs[b]! : -offset * cs[a]!;
  const rest = x.shape.map((_, i) => i).filter((i) => i !== a && i !== b);
  return stridedView('diagonal', x, [...rest.map((i) => x.shape[i]!), len], [...rest.map((i) => cs[i]!), cs[a]! + cs[b]!], start);
}) as {
  (x: Tensor, offset?: number, dim1?: number, dim2?: number): Tensor;
  (x: Tensor, opts: DiagonalOptions): Tensor;
};

/** 1-D v → the square matrix with v on the given diagonal; 2-D x → its diagonal (torch.diag). */
export const diag = defineOp('diag', (x: Tensor, diagonal_: number = 0): Tensor => {
  if (!Number.isInteger(diagonal_)) throw new TypeError(`diag: diagonal must be an integer, got ${diagonal_}`);
  if (x.ndim === 2) return diagonal(x, diagonal_, 0, 1);
  if (x.ndim !== 1) throw new Error(`diag: expects a 1-D or 2-D tensor, got shape ${fmt(x.shape)}`);
  const n = x.shape[0]!, m = n + Math.abs(diagonal_);
  const start = diagonal_ >= 0 ? diagonal_ : -diagonal_ * m;
  return embedView('diag', x, [m, m], [n], [m + 1], n === 0 ? 0 : start);
});

/** a ⊗ b for 1-D a [n] and b [m] → [n, m]. */
export const outer = defineOp('outer', (a: Tensor, b: Tensor): Tensor => {
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`outer: expects two 1-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const ua = unsqueeze(a, 1), ub = unsqueeze(b, 0);
  const out = mul(ua, ub);
  ua.dispose();
  ub.dispose();
  return out;
});

export interface AddmmOptions { beta?: number; alpha?: number }

/** beta·input + alpha·product; with beta = 0 the input is not read (NaN in it does not spread), as in PyTorch. */
function scaledSum(op: string, input: Tensor, prodT: Tensor, opts: AddmmOptions): Tensor {
  checkOpts(op, opts, ['beta', 'alpha']);
  const beta = opts.beta ?? 1, alpha = opts.alpha ?? 1;
  const p = alpha === 1 ? prodT : mul(prodT, alpha);
  if (p !== prodT) prodT.dispose();
  let fits: boolean;
  try { fits = sameShape(broadcastShapes(op, input.shape, p.shape), p.shape); } catch { fits = false; }
  if (!fits) {
    p.dispose();
    throw new Error(`${op}: input ${fmt(input.shape)} does not broadcast to the product's shape ${fmt(p.shape)}`);
  }
  // with beta = 0 the input is only checked, not read
  if (beta === 0) return p;
  const i = beta === 1 ? input : mul(input, beta);
  const out = add(i, p);
  if (i !== input) i.dispose();
  p.dispose();
  return out;
}

/** beta·input + alpha·(m1 @ m2) for 2-D m1, m2 (input broadcasts to the product). */
export const addmm = defineOp('addmm', (input: Tensor, m1: Tensor, m2: Tensor, opts: AddmmOptions = {}): Tensor => scaledSum('addmm', input, mm(m1, m2), opts));
/** beta·input + alpha·(b1 @ b2) for 3-D batches b1, b2. */
export const baddbmm = defineOp('baddbmm', (input: Tensor, b1: Tensor, b2: Tensor, opts: AddmmOptions = {}): Tensor => scaledSum('baddbmm', input, bmm(b1, b2), opts));

/** The p-norm distance between each row of x1 [..., P, M] and each row of x2 [..., R, M] → [..., P, R]. */
export const cdist = defineOp('cdist', (x1: Tensor, x2: Tensor, p: number | { p?: number } = 2): Tensor => {
  if (typeof p === 'object') { checkOpts('cdist', p, ['p']); p = p.p ?? 2; }
  if (x1.ndim < 2 || x2.ndim < 2) throw new Error(`cdist: expects inputs of at least 2 dimensions, got shapes ${fmt(x1.shape)} and ${fmt(x2.shape)}`);
  if (x1.shape[x1.ndim - 1] !== x2.shape[x2.ndim - 1]) {
    throw new Error(`cdist: x1 ${fmt(x1.shape)} and x2 ${fmt(x2.shape)} must have the same number of columns (${x1.shape[x1.ndim - 1]} ≠ ${x2.shape[x2.ndim - 1]})`);
  }
  if (!(p > 0)) throw new RangeError(`cdist: p must be positive (or Infinity), got ${p}`);
  const a = unsqueeze(x1, -2), b = unsqueeze(x2, -3);
  const d = sub(a, b);
  const out = norm(d, p, -1);
  for (const t of [a, b, d]) t.dispose();
  return out;
});

/** Rolls x by shifts along dims (elements leaving one end come back at the other); without dims, over the flattened tensor. */
export const roll = defineOp('roll', (x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor => {
  const sh = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (sh.some((s) => !Number.isInteger(s))) throw new TypeError(`roll: shifts must be integers, got ${fmt(sh)}`);
  if (dims === undefined || dims === null) {
    if (sh.length !== 1) throw new Error(`roll: without dims, shifts must be one number, got ${fmt(sh)}`);
    const f = flatten(x);
    const r = roll(f, sh[0]!, 0);
    const out = reshape(r, x.shape);
    f.dispose();
    r.dispose();
    return out;
  }
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  if (ds.length !== sh.length) throw new Error(`roll: ${sh.length} shifts for ${ds.length} dims (they must pair up)`);
  let cur = reshape(x, x.shape);
  ds.forEach((dim, k) => {
    const d = normDim('roll', dim, x.ndim);
    const n = x.shape[d]!;
    const s = n === 0 ? 0 : ((sh[k]! % n) + n) % n;
    if (s === 0) return;
    const tail = narrow(cur, d, n - s, s), head = narrow(cur, d, 0, n - s);
    const next = cat([tail, head], d);
    for (const t of [tail, head, cur]) t.dispose();
    cur = next;
  });
  return cur;
});
