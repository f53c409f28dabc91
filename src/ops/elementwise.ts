// The element-wise ops, one record each: the scalar formula (./scalar.ts — the js backend runs it,
// the wasm kernels are generated from it), the int32/bool rule, the cost, an f32x4 form where SIMD
// pays, the backward written with ops, PyTorch's spelling and the test domain. Every record here is
// exported by nabla, is a Tensor method (unless method: false) and is enrolled in the tests.

import { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, fmt, sameShape, broadcastStrides } from '../tensor/shape.js';
import * as S from './scalar.js';
import { defineOp } from './dispatch.js';
import { cast } from './layout.js';
import { sumTo } from './broadcast.js';
import { applyBinary, asTensor, binary, resultType, unary, type TensorLike } from './record.js';
import { backendOf, record, wrap } from './util.js';

const HEAVY = 10;
const zero = (g: Tensor): Tensor => mul(g, 0);

// ---- unary ----
export const neg = unary('neg', { f: S.neg, int: S.intNeg, simd: 'f32x4.neg(v)', grad: (g) => neg(g), torch: 'torch.neg' });
export const abs = unary('abs', { f: S.abs, int: S.intAbs, simd: 'f32x4.abs(v)', grad: (g, x) => mul(g, sign(x)), torch: 'torch.abs' });
export const exp = unary('exp', { f: S.exp, cost: HEAVY, simd: 'vexp(v)', grad: (g, _x, y) => mul(g, y), torch: 'torch.exp' });
export const exp2 = unary('exp2', { f: S.exp2, cost: HEAVY, grad: (g, _x, y) => mul(g, mul(y, Math.LN2)), torch: 'torch.exp2' });
export const expm1 = unary('expm1', { f: S.expm1, cost: HEAVY, grad: (g, _x, y) => mul(g, add(y, 1)), torch: 'torch.expm1' });
export const log = unary('log', { f: S.log, cost: HEAVY, simd: 'vlog(v)', grad: (g, x) => div(g, x), torch: 'torch.log', test: { domain: 'positive' } });
export const log2 = unary('log2', { f: S.log2, cost: HEAVY, grad: (g, x) => div(g, mul(x, Math.LN2)), torch: 'torch.log2', test: { domain: 'positive' } });
export const log10 = unary('log10', { f: S.log10, cost: HEAVY, grad: (g, x) => div(g, mul(x, Math.LN10)), torch: 'torch.log10', test: { domain: 'positive' } });
export const log1p = unary('log1p', { f: S.log1p, cost: HEAVY, grad: (g, x) => div(g, add(x, 1)), torch: 'torch.log1p', test: { domain: 'positive' } });
export const sqrt = unary('sqrt', { f: S.sqrt, simd: 'f32x4.sqrt(v)', grad: (g, _x, y) => div(g, mul(y, 2)), torch: 'torch.sqrt', test: { domain: 'positive' } });
export const rsqrt = unary('rsqrt', { f: S.rsqrt, simd: 'f32x4.div(f32x4.splat(1), f32x4.sqrt(v))', grad: (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)), torch: 'torch.rsqrt', test: { domain: 'positive' } });
export const reciprocal = unary('reciprocal', { f: S.reciprocal, simd: 'f32x4.div(f32x4.splat(1), v)', grad: (g, _x, y) => neg(mul(g, mul(y, y))), torch: 'torch.reciprocal', test: { domain: 'nonzero' } });
export const square = unary('square', { f: S.square, int: S.intSquare, boolAs: 'int32', simd: 'f32x4.mul(v, v)', grad: (g, x) => mul(g, mul(x, 2)), torch: 'torch.square' });
export const sin = unary('sin', { f: S.sin, cost: HEAVY, grad: (g, x) => mul(g, cos(x)), torch: 'torch.sin' });
export const cos = unary('cos', { f: S.cos, cost: HEAVY, grad: (g, x) => neg(mul(g, sin(x))), torch: 'torch.cos' });
export const tanh = unary('tanh', { f: S.tanh, cost: HEAVY, simd: 'vtanh(v)', grad: (g, _x, y) => mul(g, sub(1, mul(y, y))), torch: 'torch.tanh' });
export const sigmoid = unary('sigmoid', { f: S.sigmoid, cost: HEAVY, simd: 'vsigmoid(v)', grad: (g, _x, y) => mul(g, mul(y, sub(1, y))), torch: 'torch.sigmoid' });
export const atan = unary('atan', { f: S.atan, cost: HEAVY, grad: (g, x) => div(g, add(mul(x, x), 1)), torch: 'torch.atan' });
export const asin = unary('asin', { f: S.asin, cost: HEAVY, grad: (g, x) => div(g, sqrt(sub(1, mul(x, x)))), torch: 'torch.asin', test: { domain: 'unit' } });
export const acos = unary('acos', { f: S.acos, cost: HEAVY, grad: (g, x) => neg(div(g, sqrt(sub(1, mul(x, x))))), torch: 'torch.acos', test: { domain: 'unit' } });
export const sinh = unary('sinh', { f: S.sinh, cost: HEAVY, grad: (g, x) => mul(g, cosh(x)), torch: 'torch.sinh' });
export const cosh = unary('cosh', { f: S.cosh, cost: HEAVY, grad: (g, x) => mul(g, sinh(x)), torch: 'torch.cosh' });
export const asinh = unary('asinh', { f: S.asinh, cost: HEAVY, grad: (g, x) => div(g, sqrt(add(mul(x, x), 1))), torch: 'torch.asinh' });
export const acosh = unary('acosh', { f: S.acosh, cost: HEAVY, grad: (g, x) => div(g, sqrt(sub(mul(x, x), 1))), torch: 'torch.acosh', test: { domain: 'above1' } });
export const atanh = unary('atanh', { f: S.atanh, cost: HEAVY, grad: (g, x) => div(g, sub(1, mul(x, x))), torch: 'torch.atanh', test: { domain: 'unit' } });
export const erf = unary('erf', { f: S.erf, cost: 2 * HEAVY, simd: 'verf(v)', grad: (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))), torch: 'torch.erf' });
export const erfc = unary('erfc', { f: S.erfc, cost: 2 * HEAVY, grad: (g, x) => mul(g, mul(exp(neg(mul(x, x))), -2 / Math.sqrt(Math.PI))), torch: 'torch.erfc' });
export const erfinv = unary('erfinv', { f: S.erfinv, cost: 8 * HEAVY, grad: (g, _x, y) => mul(g, mul(exp(mul(y, y)), Math.sqrt(Math.PI) / 2)), torch: 'torch.erfinv', test: { domain: 'unit' } });
export const lgamma = unary('lgamma', { f: S.lgamma, cost: 3 * HEAVY, grad: (g, x) => mul(g, digamma(x)), torch: 'torch.lgamma', test: { domain: 'positive' } });
/** ψ'(x), digamma's derivative (torch.polygamma(1, x)); its own derivative is not implemented. */
const trigamma = unary('trigamma', {
  f: S.trigamma, cost: 3 * HEAVY, method: false, torch: 'lambda x: torch.polygamma(1, x)',
  test: { domain: 'positive', exempt: { fixtures: "internal (digamma's gradient): checked by digamma's gradient fixtures and gradcheck" } },
  grad: () => { throw new Error('digamma: the second derivative (polygamma(2, x)) is not implemented'); },
});
export const digamma = Object.assign(unary('digamma', { f: S.digamma, cost: 3 * HEAVY, grad: (g, x) => mul(g, trigamma(x)), torch: 'torch.digamma', test: { domain: 'positive', exempt: { gradgradcheck: 'its second derivative, polygamma(2, x), is not implemented' } } }),
  { uses: [trigamma] });
export const logit = unary('logit', { f: S.logit, cost: HEAVY, grad: (g, x) => div(g, mul(x, sub(1, x))), torch: 'torch.logit', test: { domain: 'probability' } });
/** relu's backward masks g where x > 0 (a fused one-pass kernel where the backend has it). */
export const relu = unary('relu', { f: S.relu, int: 'exact', simd: 'f32x4.pmax(v, f32x4.splat(0))', grad: (g, x) => reluGrad(g, x), torch: 'torch.relu' });
/** sign, floor, ceil, round, trunc have zero gradient almost everywhere; frac passes it. */
export const sign = unary('sign', { f: S.sign, int: 'exact', bool: true, grad: zero, torch: 'torch.sign' });
export const floor = unary('floor', { f: S.floor, int: 'exact', simd: 'f32x4.floor(v)', grad: zero, torch: 'torch.floor' });
export const ceil = unary('ceil', { f: S.ceil, int: 'exact', simd: 'f32x4.ceil(v)', grad: zero, torch: 'torch.ceil' });
export const round = unary('round', { f: S.round, int: 'exact', simd: 'f32x4.nearest(v)', grad: zero, torch: 'torch.round' });
export const trunc = unary('trunc', { f: S.trunc, int: 'exact', simd: 'f32x4.trunc(v)', grad: zero, torch: 'torch.trunc' });
export const frac = unary('frac', { f: S.frac, int: 'exact', grad: (g) => g, torch: 'torch.frac' });
export const logicalNot = unary('logicalNot', { f: S.not, int: 'exact', bool: true, out: 'bool', torch: 'torch.logical_not' });
/** The value tests (bool results; an int32 or bool input is never NaN or infinite). */
export const isnan = unary('isnan', { f: S.isnan, int: 'exact', bool: true, out: 'bool', torch: 'torch.isnan' });
export const isinf = unary('isinf', { f: S.isinf, int: 'exact', bool: true, out: 'bool', torch: 'torch.isinf' });
export const isfinite = unary('isfinite', { f: S.isfinite, int: 'exact', bool: true, out: 'bool', torch: 'torch.isfinite' });

// ---- binary ----
const scaled = (b: TensorLike, alpha: number): TensorLike => mul(b, alpha);
export const add = binary('add', { f: S.add, int: S.intAdd, bool: true, alpha: scaled, simd: 'f32x4.add(u, v)', savesNothing: true, grad: (g) => [g, g], torch: 'torch.add' });
export const sub = binary('sub', { f: S.sub, int: S.intSub, alpha: scaled, simd: 'f32x4.sub(u, v)', savesNothing: true, grad: (g, _a, _b, _o, needs) => [g, needs[1] ? neg(g) : null], torch: 'torch.sub' });
export const mul = binary('mul', {
  f: S.mul, int: S.intMul, bool: true, simd: 'f32x4.mul(u, v)', torch: 'torch.mul',
  grad: (g, x, y, _o, needs) => [needs[0] ? mul(g, y) : null, needs[1] ? mul(g, x) : null],
});
/** True division: integer operands give float32, as torch.div does. */
export const div = binary('div', {
  f: S.div, simd: 'f32x4.div(u, v)', torch: 'torch.div', test: { domain: ['any', 'nonzero'] },
  grad: (g, x, y, _o, needs) => [needs[0] ? div(g, y) : null, needs[1] ? neg(div(mul(g, x), mul(y, y))) : null],
});
/** d/dx x^y = y x^(y-1); d/dy x^y = x^y log x (taken as 0 where x = 0, as PyTorch does). */
export const pow = binary('pow', {
  f: S.pow, int: S.intPow, cost: HEAVY, saveOut: true, torch: 'torch.pow', test: { domain: ['positive', 'any'] },
  grad: (g, x, y, out, needs) => [needs[0] ? mul(g, mul(y, pow(x, sub(y, 1)))) : null, needs[1] ? mul(g, mul(out, where(eq(x, 0), 0, log(x)))) : null],
});
export const maximum = binary('maximum', { f: S.maximum, int: 'exact', bool: true, simd: 'f32x4.max(u, v)', grad: (g, x, y) => minmaxGrad(g, x, y, 'gt'), torch: 'torch.maximum' });
export const minimum = binary('minimum', { f: S.minimum, int: 'exact', bool: true, simd: 'f32x4.min(u, v)', grad: (g, x, y) => minmaxGrad(g, x, y, 'lt'), torch: 'torch.minimum' });
export const atan2 = binary('atan2', {
  f: S.atan2, cost: HEAVY, torch: 'torch.atan2', test: { domain: ['any', 'nonzero'] },
  grad: (g, y, x) => { const r = add(mul(x, x), mul(y, y)); return [mul(g, div(x, r)), neg(mul(g, div(y, r)))]; },
});
export const hypot = binary('hypot', { f: S.hypot, cost: HEAVY, saveOut: true, grad: (g, x, y, out) => [mul(g, div(x, out)), mul(g, div(y, out))], torch: 'torch.hypot' });
/** x - trunc(x/y)·y (the sign of x, C's fmod); d/dy = -trunc(x/y). */
export const fmod = binary('fmod', {
  f: S.fmod, int: S.intFmod, intDivisor: true, torch: 'torch.fmod', test: { domain: ['any', 'nonzero'] },
  grad: (g, x, y, _o, needs) => [g, needs[1] ? neg(mul(g, trunc(div(x, y)))) : null],
});
/** x - floor(x/y)·y (the sign of y, Python's %); d/dy = -floor(x/y). */
export const remainder = binary('remainder', {
  f: S.remainder, int: S.intRemainder, intDivisor: true, torch: 'torch.remainder', test: { domain: ['any', 'nonzero'] },
  grad: (g, x, y, _o, needs) => [g, needs[1] ? neg(mul(g, floor(div(x, y)))) : null],
});
/** x·log(y), 0 where x = 0; d/dx = log y (0 where x = 0 and y ≤ 0, as torch), d/dy = x/y. */
export const xlogy = binary('xlogy', {
  f: S.xlogy, cost: HEAVY, torch: 'torch.xlogy', test: { domain: ['any', 'positive'] },
  grad: (g, x, y, _o, needs) => [needs[0] ? where(logicalAnd(eq(x, 0), le(y, 0)), 0, mul(g, log(y))) : null, needs[1] ? mul(g, div(x, y)) : null],
});

/** PyTorch splits the gradient evenly between equal operands of maximum/minimum. */
function minmaxGrad(g: Tensor, x: Tensor, y: Tensor, cmp: 'gt' | 'lt'): [Tensor, Tensor] {
  const wins = cmp === 'gt' ? gt(x, y) : lt(x, y);
  const ties = eq(x, y);
  const wx = add(cast(wins, g.dtype), mul(cast(ties, g.dtype), 0.5));
  return [mul(g, wx), mul(g, sub(1, wx))];
}

const cmp = { int: 'exact', bool: true, out: 'bool' } as const;
export const eq = binary('eq', { f: S.eq, ...cmp, simd: 'f32x4.eq(u, v)', torch: 'torch.eq' });
export const ne = binary('ne', { f: S.ne, ...cmp, simd: 'f32x4.ne(u, v)', torch: 'torch.ne' });
export const lt = binary('lt', { f: S.lt, ...cmp, simd: 'f32x4.lt(u, v)', torch: 'torch.lt' });
export const le = binary('le', { f: S.le, ...cmp, simd: 'f32x4.le(u, v)', torch: 'torch.le' });
export const gt = binary('gt', { f: S.gt, ...cmp, simd: 'f32x4.gt(u, v)', torch: 'torch.gt' });
export const ge = binary('ge', { f: S.ge, ...cmp, simd: 'f32x4.ge(u, v)', torch: 'torch.ge' });
export const logicalAnd = binary('logicalAnd', { f: S.and, ...cmp, logical: true, torch: 'torch.logical_and' });
export const logicalOr = binary('logicalOr', { f: S.or, ...cmp, logical: true, torch: 'torch.logical_or' });

// ---- composites ----

/** where(x > 0, g, 0) — relu's backward (the rewrite table runs a one-pass kernel for it when no graph is recorded). */
const reluGrad = defineOp('reluGrad', (g: Tensor, x: Tensor): Tensor => where(gt(x, 0), g, 0));

/** where(cond, a, b): a where cond is true, else b; broadcast over all three. */
export const where = defineOp('where', (cond: Tensor, a: TensorLike, b: TensorLike): Tensor => {
  if (cond.dtype !== 'bool') throw new TypeError(`where: condition must be a bool tensor, got ${cond.dtype}`);
  const dt = resultType(a, b);
  const be = backendOf('where', cond, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  const ta = asTensor(a, dt, be), tb = asTensor(b, dt, be);
  const shape = broadcastShapes('where', cond.shape, ta.shape, tb.shape);
  const s = be.where(cond._s('where'), ta._s('where'), tb._s('where'), shape,
    broadcastStrides(cond.shape, shape), broadcastStrides(ta.shape, shape), broadcastStrides(tb.shape, shape));
  const out = wrap(be, s, shape);
  if (isFloat(dt)) {
    const aShape = ta.shape, bShape = tb.shape;
    record(out, 'where', [ta, tb], [cond], (g, [c]) => [sumTo(where(c!, g, 0), aShape), sumTo(where(c!, 0, g), bShape)]);
  }
  if (ta !== a) ta.dispose();
  if (tb !== b) tb.dispose();
  return out;
});

/** x with value wherever mask is true (mask broadcasts to x). */
export const maskedFill = defineOp('maskedFill', (x: Tensor, mask: Tensor, value: number | Tensor): Tensor => {
  if (mask.dtype !== 'bool') throw new TypeError(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (!sameShape(shape, x.shape)) throw new Error(`maskedFill: mask of shape ${fmt(mask.shape)} does not broadcast to the input's ${fmt(x.shape)}`);
  const v = typeof value === 'number' ? value : cast(value, x.dtype);
  const out = where(mask, v, x);
  if (v !== value) (v as Tensor).dispose();
  return out;
});

/** Clamps to [min, max]; either bound may be omitted. Gradient passes where min ≤ x ≤ max. */
export const clamp = defineOp('clamp', (x: Tensor, min?: number | null, max?: number | null): Tensor => {
  const lo = min ?? null, hi = max ?? null;
  if (lo === null && hi === null) throw new Error('clamp: at least one of min and max must be given');
  let dt = x.dtype;
  if (!isFloat(dt) && ((lo !== null && !Number.isInteger(lo)) || (hi !== null && !Number.isInteger(hi)))) dt = 'float32';
  const t = cast(x, dt);
  const be = backendOf('clamp', t);
  let out = t;
  for (const [bound, k] of [[lo, maximum.kernel], [hi, minimum.kernel]] as const) {
    if (bound === null) continue;
    const b = asTensor(bound, dt, be);
    const r = applyBinary('clamp', k, out, b);
    b.dispose();
    if (out !== t) out.dispose();
    out = r;
  }
  record(out, 'clamp', [t], [t], (g, [v]) => {
    let m: Tensor | null = null;
    if (lo !== null) m = ge(v!, lo);
    if (hi !== null) m = m ? logicalAnd(m, le(v!, hi)) : le(v!, hi);
    return [where(m!, g, 0)];
  });
  if (t !== x) t.dispose();
  return out;
});
