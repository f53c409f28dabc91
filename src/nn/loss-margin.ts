// Margin and embedding losses (torch.nn.functional's, camelCase): marginRankingLoss,
// hingeEmbeddingLoss, tripletMarginLoss, multiMarginLoss and multiLabelSoftMarginLoss, from ops.

import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { isFloat } from '../tensor/dtype.js';
import { abs, add, div, exp, ge, gt, log1p, logicalAnd, minimum, mul, ne, neg, sigmoid, sub, where } from '../ops/elementwise.js';
import { sum, mean, norm } from '../ops/reduce.js';
import { gather, indexSelect } from '../ops/indexing.js';
import { arange } from '../tensor/create.js';
import { reshape, unsqueeze } from '../ops/shape.js';
import { cast } from '../ops/layout.js';
import { record } from '../ops/util.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { checkOptions } from '../options.js';
import { checkFloat, checkReduction, checkSameShape, floatTarget, reduce, type Reduction } from './loss.js';

/**
 * max(x, lo) with PyTorch's clamp_min gradient: all of it where x ≥ lo (maximum would split it
 * evenly at a tie).
 */
function clampMin(x: Tensor, lo: number): Tensor {
  return where(ge(x, lo), x, lo);
}

/** PyTorch needs the inputs of these losses to have one number of dims (and broadcasts within it). */
function checkSameDims(name: string, ts: [string, Tensor][]): void {
  const nd = ts[0]![1].ndim;
  if (ts.some(([, t]) => t.ndim !== nd)) {
    throw new Error(`${name}: all inputs must have the same number of dims, got ${ts.map(([n, t]) => `${n} ${fmt(t.shape)}`).join(', ')}`);
  }
}

function checkMargin(name: string, margin: unknown): number {
  if (typeof margin !== 'number' || !Number.isFinite(margin)) throw new TypeError(`${name}: margin must be a finite number, got ${String(margin)}`);
  return margin;
}

export interface MarginOptions { margin?: number; reduction?: Reduction }

/** max(0, −y·(x1 − x2) + margin): y = 1 ranks x1 above x2, y = −1 below. */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, opts: MarginOptions = {}): Tensor {
  const name = 'marginRankingLoss';
  checkOptions(name, opts, ['margin', 'reduction']);
  checkFloat(name, 'input1', input1);
  checkFloat(name, 'input2', input2);
  checkSameDims(name, [['input1', input1], ['input2', input2], ['target', target]]);
  const margin = checkMargin(name, opts.margin ?? 0);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  return scope(() => {
    const y = floatTarget(input1, target);
    return reduce(name, clampMin(add(neg(mul(y, sub(input1, input2))), margin), 0), reduction);
  });
}

/** x where y = 1, max(0, margin − x) where y = −1 (PyTorch adds both terms for any other y). */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, opts: MarginOptions = {}): Tensor {
  const name = 'hingeEmbeddingLoss';
  checkOptions(name, opts, ['margin', 'reduction']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  const margin = checkMargin(name, opts.margin ?? 1);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  return scope(() => {
    const y = floatTarget(input, target);
    const marginPart = where(ne(y, 1), clampMin(sub(margin, input), 0), 0);
    const selfPart = where(ne(y, -1), input, 0);
    return reduce(name, add(marginPart, selfPart), reduction);
  });
}

export interface TripletMarginOptions extends MarginOptions {
  /** the norm of the pairwise distance (default 2) */
  p?: number;
  /** added to the difference before the norm, as in F.pairwiseDistance (default 1e-6) */
  eps?: number;
  /** use min(d(a, n), d(p, n)) as the negative distance (Balntas et al., 2016) */
  swap?: boolean;
}

/** ‖x1 − x2 + ε‖_p over the last dim (PyTorch's pairwise_distance). */
function pairwiseDistance(x1: Tensor, x2: Tensor, p: number, eps: number): Tensor {
  return norm(add(sub(x1, x2), eps), p, Math.max(x1.ndim, x2.ndim) - 1);
}

/** max(0, d(a, p) − d(a, n) + margin) with d the p-norm distance over the last dim. */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, opts: TripletMarginOptions = {}): Tensor {
  const name = 'tripletMarginLoss';
  checkOptions(name, opts, ['margin', 'p', 'eps', 'swap', 'reduction']);
  for (const [n, t] of [['anchor', anchor], ['positive', positive], ['negative', negative]] as const) checkFloat(name, n, t);
  checkSameDims(name, [['anchor', anchor], ['positive', positive], ['negative', negative]]);
  if (anchor.ndim < 1) throw new Error(`${name}: inputs must have at least one dim (the embedding), got a scalar`);
  const margin = checkMargin(name, opts.margin ?? 1);
  const p = opts.p ?? 2;
  if (typeof p !== 'number' || !(p > 0)) throw new RangeError(`${name}: p must be a number > 0 (or Infinity), got ${String(p)}`);
  const eps = opts.eps ?? 1e-6;
  if (typeof eps !== 'number' || !Number.isFinite(eps)) throw new TypeError(`${name}: eps must be a finite number, got ${String(eps)}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  return scope(() => {
    const dPos = pairwiseDistance(anchor, positive, p, eps);
    let dNeg = pairwiseDistance(anchor, negative, p, eps);
    if (opts.swap) dNeg = minimum(dNeg, pairwiseDistance(positive, negative, p, eps));
    return reduce(name, clampMin(sub(add(dPos, margin), dNeg), 0), reduction);
  });
}

export interface MultiMarginOptions extends MarginOptions {
  /** 1 (hinge) or 2 (squared hinge) */
  p?: 1 | 2;
  /** a weight per class, shape [C], applied by the target's class */
  weight?: Tensor | null;
}

/**
 * Multi-class hinge loss of input [N, C] (or [C]) at int32 class targets [N] (or []):
 * Σ_{j ≠ y} max(0, margin − x[y] + x[j])^p · w[y] / C.
 */
export function multiMarginLoss(input: Tensor, target: Tensor, opts: MultiMarginOptions = {}): Tensor {
  const name = 'multiMarginLoss';
  checkOptions(name, opts, ['p', 'margin', 'weight', 'reduction']);
  checkFloat(name, 'input', input);
  const p = opts.p ?? 1;
  if (p !== 1 && p !== 2) throw new RangeError(`${name}: p must be 1 or 2, got ${String(p)}`);
  const margin = checkMargin(name, opts.margin ?? 1);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  if (input.ndim !== 1 && input.ndim !== 2) throw new Error(`${name}: input must be [N, C] or [C], got ${fmt(input.shape)}`);
  const n = input.ndim === 2 ? input.shape[0]! : 1;
  const c = input.shape[input.ndim - 1]!;
  if (c === 0) throw new Error(`${name}: input ${fmt(input.shape)} has no classes`);
  if (target.dtype !== 'int32') throw new TypeError(`${name}: targets must be int32 class indices, got ${target.dtype}`);
  if (target.ndim > 1 || target.numel() !== n) {
    throw new Error(`${name}: for input ${fmt(input.shape)} the target must hold ${n} class ${n === 1 ? 'index' : 'indices'} (shape ${input.ndim === 2 ? `[${n}]` : '[] or [1]'}), got ${fmt(target.shape)}`);
  }
  const t = target.dataSync() as Int32Array;
  for (let i = 0; i < t.length; i++) {
    if (t[i]! < 0 || t[i]! >= c) throw new RangeError(`${name}: target ${t[i]} (at ${i}) is out of range for ${c} classes (valid: 0 … ${c - 1})`);
  }
  const w = opts.weight ?? null;
  if (w && (w.ndim !== 1 || w.shape[0] !== c)) throw new Error(`${name}: weight must have shape [${c}] (one per class), got ${fmt(w.shape)}`);
  return scope(() => {
    const x = input.ndim === 2 ? input : unsqueeze(input, 0);
    const idx = reshape(target, [n, 1]);
    const z = add(sub(x, gather(x, 1, idx)), margin);
    // the target's own column contributes nothing, and only z > 0 counts (PyTorch's kernel)
    const active = noGrad(() => logicalAnd(gt(z, 0), ne(idx, arange(0, c, 1, { dtype: 'int32' }).reshape([1, c]))));
    let h = where(active, p === 1 ? z : mul(z, z), 0);
    if (w) h = mul(h, reshape(indexSelect(cast(w, input.dtype), 0, reshape(target, [n])), [n, 1]));
    const perSample = div(sum(h, 1), c);
    if (reduction === 'none') return input.ndim === 2 ? perSample : reshape(perSample, target.shape);
    return reduction === 'sum' ? sum(perSample) : mean(perSample);
  });
}

/** log σ(x) = min(x, 0) − log1p(e^−|x|), stable for any x; its gradient σ(−x). */
function logSigmoid(x: Tensor): Tensor {
  const out = noGrad(() => scope(() => sub(where(ge(x, 0), 0, x), log1p(exp(neg(abs(x)))))));
  return record(out, 'logSigmoid', [x], [x], (g, [sx]) => [mul(g, sigmoid(neg(sx!)))]);
}

export interface MultiLabelSoftMarginOptions { weight?: Tensor | null; reduction?: Reduction }

/**
 * −(y·log σ(x) + (1 − y)·log σ(−x)), weighted per class, averaged over the C classes (the last
 * dim) of input [N, C] (or [C]) with 0/1 (or soft) targets of the same shape.
 */
export function multiLabelSoftMarginLoss(input: Tensor, target: Tensor, opts: MultiLabelSoftMarginOptions = {}): Tensor {
  const name = 'multiLabelSoftMarginLoss';
  checkOptions(name, opts, ['weight', 'reduction']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  if (input.ndim < 1) throw new Error(`${name}: input must have a class dim ([N, C] or [C]), got a scalar`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  const c = input.shape[input.ndim - 1]!;
  const w = opts.weight ?? null;
  if (w && !(w.ndim === 1 && w.shape[0] === c) && !sameShape(w.shape, input.shape)) {
    throw new Error(`${name}: weight must have shape [${c}] (one per class) or the input's ${fmt(input.shape)}, got ${fmt(w.shape)}`);
  }
  if (w && !isFloat(w.dtype)) throw new TypeError(`${name}: weight must be a floating-point tensor, got ${w.dtype}`);
  return scope(() => {
    const y = floatTarget(input, target);
    let loss = neg(add(mul(y, logSigmoid(input)), mul(sub(1, y), logSigmoid(neg(input)))));
    if (w) loss = mul(loss, cast(w, input.dtype));
    const perSample = div(sum(loss, input.ndim - 1), c);
    if (reduction === 'none') return perSample;
    return reduction === 'sum' ? sum(perSample) : mean(perSample);
  });
}
