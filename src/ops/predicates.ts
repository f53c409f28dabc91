// Tests on values: nanToNum, any/all, isclose/allclose — composites of the element-wise records
// (isnan/isinf/isfinite, comparisons) and reductions.

import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../tensor/dtype.js';
import { defineOp } from './dispatch.js';
import { clone } from './shape.js';
import { sum, type Dim } from './broadcast.js';
import { abs, add, eq, isfinite, isnan, gt, le, logicalAnd, logicalOr, mul, ne, sub, where } from './elementwise.js';
import { noGrad } from '../autograd/graph.js';
import { full } from '../tensor/create.js';
import { checkOpts } from './sorting.js';

export interface NanToNumOptions { nan?: number; posinf?: number | null; neginf?: number | null }

const F32_MAX = 3.4028234663852886e38;

/**
 * NaN → nan (0), +∞ → posinf (the dtype's largest finite value), -∞ → neginf (its smallest).
 * The gradient passes where x was finite, as in PyTorch.
 */
export const nanToNum = defineOp('nanToNum', (x: Tensor, opts: NanToNumOptions = {}): Tensor => {
  checkOpts('nanToNum', opts, ['nan', 'posinf', 'neginf']);
  if (!isFloat(x.dtype)) return clone(x);
  const big = x.dtype === 'float32' ? F32_MAX : Number.MAX_VALUE;
  const posinf = opts.posinf ?? big, neginf = opts.neginf ?? -big;
  const n = isnan(x), pi = eq(x, Infinity), ni = eq(x, -Infinity);
  const a = where(ni, neginf, x), b = where(pi, posinf, a), out = where(n, opts.nan ?? 0, b);
  for (const t of [n, pi, ni, a, b]) t.dispose();
  return out;
});

/** Whether any element (along dim) is nonzero / true: a bool tensor. */
export const any = defineOp('any', (x: Tensor, dim?: Dim, keepdim: boolean = false): Tensor => {
  const nz = ne(x, 0);
  const s = sum(nz, dim, keepdim);
  const out = gt(s, 0);
  nz.dispose();
  s.dispose();
  return out;
});

/** Whether every element (along dim) is nonzero / true (an empty reduction is true): a bool tensor. */
export const all = defineOp('all', (x: Tensor, dim?: Dim, keepdim: boolean = false): Tensor => {
  const z = eq(x, 0);
  const s = sum(z, dim, keepdim);
  const out = eq(s, 0);
  z.dispose();
  s.dispose();
  return out;
});

export interface IscloseOptions { rtol?: number; atol?: number; equalNan?: boolean }

/** |a − b| ≤ atol + rtol·|b| element-wise (equal infinities are close; NaN only with equalNan), as torch.isclose. */
export const isclose = defineOp('isclose', (a: Tensor, b: Tensor | number, opts: IscloseOptions = {}): Tensor => {
  checkOpts('isclose', opts, ['rtol', 'atol', 'equalNan']);
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-8;
  if (!(rtol >= 0) || !(atol >= 0)) throw new RangeError(`isclose: rtol and atol must be non-negative, got ${rtol} and ${atol}`);
  return noGrad(() => {
    const temps: Tensor[] = [];
    const t = (x: Tensor): Tensor => (temps.push(x), x);
    const B = typeof b === 'number' ? t(full([], b, { dtype: isFloat(a.dtype) ? a.dtype : 'float32' })) : b;
    const err = t(abs(t(sub(a, B))));
    const allowed = t(add(t(mul(t(abs(B)), rtol)), atol));
    let close = logicalOr(t(eq(a, B)), t(logicalAnd(t(isfinite(err)), t(le(err, allowed)))));
    if (opts.equalNan) {
      close = logicalOr(t(close), t(logicalAnd(t(isnan(a)), t(isnan(B)))));
    }
    for (const x of temps) x.dispose();
    return close;
  });
});

/** Whether every element of a is close to b (isclose), as a boolean. */
export const allclose = defineOp('allclose', (a: Tensor, b: Tensor | number, opts: IscloseOptions = {}): boolean => {
  const c = isclose(a, b, opts);
  const r = all(c);
  const v = r.item() !== 0;
  c.dispose();
  r.dispose();
  return v;
});
