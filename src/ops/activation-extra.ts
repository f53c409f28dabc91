// The rest of PyTorch's activations as composites of primitives: prelu, hardtanh, relu6, hardswish,
// hardsigmoid, mish, logsigmoid, softmin, softsign, tanhshrink, softshrink, hardshrink, threshold,
// celu, selu, glu. Gradients at the kinks follow PyTorch's (hardtanh passes none at its bounds).

import type { Tensor } from '../tensor/tensor.js';
import { fmt, normDim } from '../tensor/shape.js';
import { scope } from '../tensor/memory.js';
import { defineOp } from './dispatch.js';
import { reshape } from './layout.js';
import { abs, add, div, expm1, gt, logicalAnd, lt, mul, neg, sigmoid, sub, tanh, where } from './elementwise.js';
import { narrow } from './shape.js';
import { softmax, softplus } from './activation.js';
import { assertFloat } from './util.js';

function finite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/**
 * F.prelu(x, weight): x where x > 0, else weight·x; weight [1] or [C] with C = x.shape[1] (the
 * channel dim; an input of fewer than 2 dims has one channel).
 */
export const prelu = defineOp('prelu', (x: Tensor, weight: Tensor): Tensor => scope(() => {
  assertFloat('prelu', x);
  const n = weight.numel();
  if (weight.ndim > 1) throw new Error(`prelu: weight must be 1-D [1] or [channels], got ${fmt(weight.shape)}`);
  let w = weight;
  if (n !== 1) {
    if (x.ndim < 2 || x.shape[1] !== n) {
      throw new Error(`prelu: weight has ${n} parameters but input ${fmt(x.shape)} has ${x.ndim < 2 ? 1 : x.shape[1]} channels (dim 1)`);
    }
    w = reshape(weight, [n, ...new Array<number>(x.ndim - 2).fill(1)]);
  } else if (weight.ndim === 1 && x.ndim === 0) w = reshape(weight, []);
  return where(gt(x, 0), x, mul(w, x));
}));

/** Clamps to [minVal, maxVal]; the gradient passes only strictly inside (PyTorch's). */
export const hardtanh = defineOp('hardtanh', (x: Tensor, minVal: number = -1, maxVal: number = 1): Tensor => scope(() => {
  assertFloat('hardtanh', x);
  finite('hardtanh', 'minVal', minVal);
  finite('hardtanh', 'maxVal', maxVal);
  if (minVal > maxVal) throw new RangeError(`hardtanh: minVal (${minVal}) must not exceed maxVal (${maxVal})`);
  const inside = logicalAnd(gt(x, minVal), lt(x, maxVal));
  return where(gt(x, minVal), where(inside, x, maxVal), minVal);
}));

export const relu6 = defineOp('relu6', (x: Tensor): Tensor => hardtanh(x, 0, 6));

/** x·relu6(x + 3)/6 */
export const hardswish = defineOp('hardswish', (x: Tensor): Tensor => scope(() => {
  assertFloat('hardswish', x);
  return div(mul(x, hardtanh(add(x, 3), 0, 6)), 6);
}));

/** relu6(x + 3)/6 */
export const hardsigmoid = defineOp('hardsigmoid', (x: Tensor): Tensor => scope(() => {
  assertFloat('hardsigmoid', x);
  return div(hardtanh(add(x, 3), 0, 6), 6);
}));

/** x·tanh(softplus(x)) */
export const mish = defineOp('mish', (x: Tensor): Tensor => scope(() => {
  assertFloat('mish', x);
  return mul(x, tanh(softplus(x)));
}));

/** log σ(x) = −softplus(−x), stable for large |x| (and smooth at 0, where min(x, 0) − log1p(exp(−|x|)) is not). */
export const logsigmoid = defineOp('logsigmoid', (x: Tensor): Tensor => scope(() => {
  assertFloat('logsigmoid', x);
  return neg(softplus(neg(x)));
}));

/** softmax(−x, dim) */
export const softmin = defineOp('softmin', (x: Tensor, dim: number): Tensor => scope(() => {
  assertFloat('softmin', x);
  if (typeof dim !== 'number') throw new TypeError(`softmin: dim must be a number, got ${String(dim)}`);
  return softmax(neg(x), dim);
}));

/** x / (1 + |x|) */
export const softsign = defineOp('softsign', (x: Tensor): Tensor => scope(() => {
  assertFloat('softsign', x);
  return div(x, add(abs(x), 1));
}));

/** x − tanh(x) */
export const tanhshrink = defineOp('tanhshrink', (x: Tensor): Tensor => scope(() => {
  assertFloat('tanhshrink', x);
  return sub(x, tanh(x));
}));

function lambdOf(op: string, lambd: number): number {
  finite(op, 'lambd', lambd);
  if (lambd < 0) throw new RangeError(`${op}: lambd must be ≥ 0, got ${lambd}`);
  return lambd;
}

/** x − λ above λ, x + λ below −λ, else 0. */
export const softshrink = defineOp('softshrink', (x: Tensor, lambd: number = 0.5): Tensor => scope(() => {
  assertFloat('softshrink', x);
  const l = lambdOf('softshrink', lambd);
  return where(gt(x, l), sub(x, l), where(lt(x, -l), add(x, l), 0));
}));

/** x where |x| > λ, else 0. */
export const hardshrink = defineOp('hardshrink', (x: Tensor, lambd: number = 0.5): Tensor => scope(() => {
  assertFloat('hardshrink', x);
  const l = lambdOf('hardshrink', lambd);
  return where(gt(abs(x), l), x, 0);
}));

/** x where x > threshold, else value. */
export const threshold = defineOp('threshold', (x: Tensor, threshold: number, value: number): Tensor => scope(() => {
  assertFloat('threshold', x);
  finite('threshold', 'threshold', threshold);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`threshold: value must be a number, got ${String(value)}`);
  return where(gt(x, threshold), x, value);
}));

/** max(0, x) + min(0, α·(exp(x/α) − 1)) */
export const celu = defineOp('celu', (x: Tensor, alpha: number = 1): Tensor => scope(() => {
  assertFloat('celu', x);
  finite('celu', 'alpha', alpha);
  if (alpha === 0) throw new RangeError('celu: alpha must not be 0 (it divides x)');
  return where(gt(x, 0), x, mul(expm1(div(x, alpha)), alpha));
}));

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** scale·(max(0, x) + min(0, α·(exp(x) − 1))) with PyTorch's α and scale. */
export const selu = defineOp('selu', (x: Tensor): Tensor => scope(() => {
  assertFloat('selu', x);
  return mul(where(gt(x, 0), x, mul(expm1(x), SELU_ALPHA)), SELU_SCALE);
}));

/** a·σ(b) where a, b are the two halves of x along dim (its size must be even). */
export const glu = defineOp('glu', (x: Tensor, dim: number = -1): Tensor => scope(() => {
  assertFloat('glu', x);
  if (x.ndim === 0) throw new Error('glu: needs at least one dimension, got a 0-d tensor');
  const d = normDim('glu', dim, x.ndim);
  const n = x.shape[d]!;
  if (n % 2 !== 0) throw new Error(`glu: halving dim ${d} needs an even size, got ${n} in ${fmt(x.shape)}`);
  return mul(narrow(x, d, 0, n / 2), sigmoid(narrow(x, d, n / 2, n / 2)));
}));
