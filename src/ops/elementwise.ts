// Element-wise ops: casts, broadcast arithmetic and comparisons, unary math — each with its
// dtype rule, forward (a backend primitive) and backward (written with ops).

import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { isFloat, promoteTypes, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { scalar } from '../tensor/create.js';
import { isGradEnabled } from '../autograd/graph.js';
import { backendOf, broadcastShapes, broadcastStrides, record, sameShape, wrap, fmt, type Shape } from './util.js';
import { sumTo } from './reduce.js';

export type TensorLike = Tensor | number | boolean;

const category = (d: DType): number => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);

/** The result dtype of a binary op, with PyTorch's rules for numbers and 0-d tensors. */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    return typeof a === 'number' && !Number.isInteger(a) || typeof b === 'number' && !Number.isInteger(b) ? 'float32' : 'int32';
  }
  if (!(a instanceof Tensor)) return resultType(b, a);
  if (!(b instanceof Tensor)) {
    if (typeof b === 'boolean') return a.dtype;
    if (isFloat(a.dtype)) return a.dtype;
    if (Number.isInteger(b)) return a.dtype === 'bool' ? 'int32' : a.dtype;
    return 'float32';
  }
  const az = a.ndim === 0, bz = b.ndim === 0;
  if (az !== bz) {
    const [z, d] = az ? [a, b] : [b, a];
    return category(z.dtype) > category(d.dtype) ? z.dtype : d.dtype;
  }
  return promoteTypes(a.dtype, b.dtype);
}

/** t converted to dtype (a copy, or t itself when it already has that dtype). Differentiable. */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const b = backendOf('to', t);
  const out = wrap(b, b.cast(t._s('to'), dtype), t.shape);
  if (isFloat(dtype) && isFloat(t.dtype)) {
    const from = t.dtype;
    record(out, 'to', [t], [], (g) => [cast(g, from)]);
  }
  return out;
}

/** A number or tensor as a tensor of the given dtype on the backend of `like`. */
export function asTensor(x: TensorLike, dtype: DType): Tensor {
  if (x instanceof Tensor) return cast(x, dtype);
  return scalar(typeof x === 'boolean' ? (x ? 1 : 0) : x, dtype);
}

/** Runs a broadcast binary primitive on two tensors of one dtype. */
export function binaryPrim(op: BinaryOp, a: Tensor, b: Tensor, name: string = op): Tensor {
  const be = backendOf(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const s = be.binary(op, a._s(name), b._s(name), shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
  return wrap(be, s, shape);
}

function unaryPrim(op: UnaryOp, x: Tensor): Tensor {
  const be = backendOf(op, x);
  return wrap(be, be.unary(op, x._s(op)), x.shape);
}

/** Makes both operands tensors of the op's computation dtype; returns them plus which were created here. */
function operands(name: string, a: TensorLike, b: TensorLike, dtype: DType): [Tensor, Tensor, Tensor[]] {
  const temps: Tensor[] = [];
  const conv = (x: TensorLike): Tensor => {
    const t = asTensor(x, dtype);
    if (t !== x) temps.push(t);
    return t;
  };
  void name;
  return [conv(a), conv(b), temps];
}

type BinaryBackward = (g: Tensor, a: Tensor, b: Tensor, out: Tensor, needs: readonly boolean[]) => [Tensor | null, Tensor | null];

function binaryOp(name: string, prim: BinaryOp, a: TensorLike, b: TensorLike, dtype: DType, backward?: BinaryBackward, saveOut = false): Tensor {
  const [ta, tb, temps] = operands(name, a, b, dtype);
  const out = binaryPrim(prim, ta, tb, name);
  if (backward && isFloat(dtype)) {
    const aShape = ta.shape, bShape = tb.shape;
    const saved = saveOut ? [ta, tb, out] : [ta, tb];
    record(out, name, [ta, tb], saved, (g, [sa, sb, so], needs) => {
      const [ga, gb] = backward(g, sa!, sb!, so!, needs);
      return [ga && sumTo(ga, aShape), gb && sumTo(gb, bShape)];
    });
  }
  // Scalars wrapped here are ours to free; the graph holds aliases of what it needs.
  for (const t of temps) if (!(a instanceof Tensor && t === a) && !(b instanceof Tensor && t === b)) t.dispose();
  return out;
}

export function add(a: TensorLike, b: TensorLike, opts?: { alpha?: number }): Tensor {
  if (opts?.alpha !== undefined && opts.alpha !== 1) b = mul(b, opts.alpha);
  return binaryOp('add', 'add', a, b, resultType(a, b), (g) => [g, g]);
}

export function sub(a: TensorLike, b: TensorLike, opts?: { alpha?: number }): Tensor {
  if (opts?.alpha !== undefined && opts.alpha !== 1) b = mul(b, opts.alpha);
  return binaryOp('sub', 'sub', a, b, resultType(a, b), (g, _x, _y, _o, needs) => [g, needs[1] ? neg(g) : null]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('mul', 'mul', a, b, resultType(a, b), (g, x, y, _o, needs) => [needs[0] ? mul(g, y) : null, needs[1] ? mul(g, x) : null]);
}

/** True division: integer operands give float32, as torch.div does. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  let dt = resultType(a, b);
  if (!isFloat(dt)) dt = 'float32';
  return binaryOp('div', 'div', a, b, dt, (g, x, y, _o, needs) => [needs[0] ? div(g, y) : null, needs[1] ? neg(div(mul(g, x), mul(y, y))) : null]);
}

export function pow(a: TensorLike, b: TensorLike): Tensor {
  const dt = resultType(a, b);
  return binaryOp('pow', 'pow', a, b, dt, (g, x, y, out, needs) => {
    // d/dx x^y = y x^(y-1); d/dy x^y = x^y log x (taken as 0 where x = 0, as PyTorch does).
    const gx = needs[0] ? mul(g, mul(y, pow(x, sub(y, 1)))) : null;
    const gy = needs[1] ? mul(g, mul(out, where(eq(x, 0), 0, log(x)))) : null;
    return [gx, gy];
  }, true);
}

export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('maximum', 'maximum', a, b, resultType(a, b), (g, x, y) => minmaxGrad(g, x, y, 'gt'));
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('minimum', 'minimum', a, b, resultType(a, b), (g, x, y) => minmaxGrad(g, x, y, 'lt'));
}

/** PyTorch splits the gradient evenly between equal operands of maximum/minimum. */
function minmaxGrad(g: Tensor, x: Tensor, y: Tensor, cmp: 'gt' | 'lt'): [Tensor, Tensor] {
  const wins = cmp === 'gt' ? gt(x, y) : lt(x, y);
  const ties = eq(x, y);
  const wx = add(cast(wins, g.dtype), mul(cast(ties, g.dtype), 0.5));
  return [mul(g, wx), mul(g, sub(1, wx))];
}

function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  return binaryOp(op, op, a, b, resultType(a, b));
}
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);

export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('logicalAnd', 'and', asTensor(a, 'bool'), asTensor(b, 'bool'), 'bool');
}
export function logicalOr(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('logicalOr', 'or', asTensor(a, 'bool'), asTensor(b, 'bool'), 'bool');
}
export function logicalNot(x: Tensor): Tensor {
  const t = cast(x, 'bool');
  const out = unaryPrim('not', t);
  if (t !== x) t.dispose();
  return out;
}

/** where(cond, a, b): a where cond is true, else b; broadcast over all three. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (cond.dtype !== 'bool') throw new TypeError(`where: condition must be a bool tensor, got ${cond.dtype}`);
  const dt = resultType(a, b);
  const [ta, tb, temps] = operands('where', a, b, dt);
  const be = backendOf('where', cond, ta, tb);
  const shape = broadcastShapes('where', cond.shape, ta.shape, tb.shape);
  const s = be.where(cond._s('where'), ta._s('where'), tb._s('where'), shape,
    broadcastStrides(cond.shape, shape), broadcastStrides(ta.shape, shape), broadcastStrides(tb.shape, shape));
  const out = wrap(be, s, shape);
  if (isFloat(dt)) {
    const aShape = ta.shape, bShape = tb.shape;
    record(out, 'where', [ta, tb], [cond], (g, [c]) => [sumTo(where(c!, g, 0), aShape), sumTo(where(c!, 0, g), bShape)]);
  }
  for (const t of temps) if (t !== a && t !== b) t.dispose();
  return out;
}

/** x with value wherever mask is true (mask broadcasts to x). */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (!sameShape(shape, x.shape)) throw new Error(`maskedFill: mask of shape ${fmt(mask.shape)} does not broadcast to the input's ${fmt(x.shape)}`);
  const v = value instanceof Tensor ? cast(value, x.dtype) : value;
  return where(mask, v, x);
}

// ---- unary ----

type UnaryBackward = (g: Tensor, x: Tensor, y: Tensor) => Tensor;

/** Float-only math ops promote int/bool input to float32, as PyTorch does. */
function unaryOp(op: UnaryOp, x: Tensor, backward: UnaryBackward | null, floatOnly = true): Tensor {
  const t = floatOnly && !isFloat(x.dtype) ? cast(x, 'float32') : x;
  const out = unaryPrim(op, t);
  if (backward) record(out, op, [t], [t, out], (g, [sx, sy]) => [backward(g, sx!, sy!)]);
  if (t !== x) t.dispose();
  return out;
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x, (g) => neg(g), false);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x, (g, v) => mul(g, sign(v)), false);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x, (g, _v, y) => mul(g, y));
export const log = (x: Tensor): Tensor => unaryOp('log', x, (g, v) => div(g, v));
export const log1p = (x: Tensor): Tensor => unaryOp('log1p', x, (g, v) => div(g, add(v, 1)));
export const expm1 = (x: Tensor): Tensor => unaryOp('expm1', x, (g, _v, y) => mul(g, add(y, 1)));
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x, (g, _v, y) => div(g, mul(y, 2)));
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x, (g, _v, y) => mul(g, mul(pow(y, 3), -0.5)));
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x, (g, _v, y) => neg(mul(g, mul(y, y))));
export const sin = (x: Tensor): Tensor => unaryOp('sin', x, (g, v) => mul(g, cos(v)));
export const cos = (x: Tensor): Tensor => unaryOp('cos', x, (g, v) => neg(mul(g, sin(v))));
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x, (g, _v, y) => mul(g, sub(1, mul(y, y))));
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x, (g, _v, y) => mul(g, mul(y, sub(1, y))));
export const relu = (x: Tensor): Tensor => unaryOp('relu', x, reluGrad, false);

/** where(x > 0, g, 0), in one pass where the backend has it fused and no graph is being recorded. */
export function reluGrad(g: Tensor, x: Tensor): Tensor {
  const be = backendOf('relu backward', g, x);
  const f = be.fused?.reluBackward;
  if (f && !isGradEnabled() && g.dtype === 'float32' && x.dtype === 'float32' && sameShape(g.shape, x.shape)) {
    return wrap(be, f(x._s('relu backward'), g._s('relu backward')), x.shape);
  }
  return where(gt(x, 0), g, 0);
}
export const erf = (x: Tensor): Tensor => unaryOp('erf', x, (g, v) => mul(g, mul(exp(neg(mul(v, v))), 2 / Math.sqrt(Math.PI))));
export const square = (x: Tensor): Tensor => unaryOp('square', x, (g, v) => mul(g, mul(v, 2)), false);
/** sign, floor, ceil, round have zero gradient almost everywhere. */
export const sign = (x: Tensor): Tensor => unaryOp('sign', x, (g) => mul(g, 0), false);
export const floor = (x: Tensor): Tensor => unaryOp('floor', x, (g) => mul(g, 0), false);
export const ceil = (x: Tensor): Tensor => unaryOp('ceil', x, (g) => mul(g, 0), false);
export const round = (x: Tensor): Tensor => unaryOp('round', x, (g) => mul(g, 0), false);

/** Clamps to [min, max]; either bound may be omitted. Gradient passes where min ≤ x ≤ max. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? null, hi = max ?? null;
  if (lo === null && hi === null) throw new Error('clamp: at least one of min and max must be given');
  let dt = x.dtype;
  if (!isFloat(dt) && ((lo !== null && !Number.isInteger(lo)) || (hi !== null && !Number.isInteger(hi)))) dt = 'float32';
  const t = cast(x, dt);
  const loT = lo !== null ? scalar(lo, dt) : null;
  const hiT = hi !== null ? scalar(hi, dt) : null;
  let out = loT ? binaryPrim('maximum', t, loT, 'clamp') : t;
  if (hiT) {
    const r = binaryPrim('minimum', out, hiT, 'clamp');
    if (out !== t) out.dispose();
    out = r;
  }
  loT?.dispose();
  hiT?.dispose();
  record(out, 'clamp', [t], [t], (g, [v]) => {
    let m: Tensor | null = null;
    if (lo !== null) m = ge(v!, lo);
    if (hi !== null) m = m ? logicalAnd(m, le(v!, hi)) : le(v!, hi);
    return [where(m!, g, 0)];
  });
  if (t !== x) t.dispose();
  return out;
}

/** A copy of x's storage with no graph (internal). */
export function cloneRaw(x: Tensor): Tensor {
  const be = backendOf('clone', x);
  return wrap(be, be.copyStrided(x._s('clone'), x.shape, contiguous(x.shape), 0), x.shape);
}

function contiguous(shape: Shape): number[] {
  const s: number[] = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

