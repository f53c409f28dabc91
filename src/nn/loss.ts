// Loss functions (torch.nn.functional's, camelCase): regression, classification, probabilistic and
// embedding losses with PyTorch's arguments, defaults, reductions and numbers, built from ops.

import { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { tensor, zerosLike } from '../tensor/create.js';
import { isFloat, type DType } from '../tensor/dtype.js';
import { abs, add, cast, clamp, div, eq, exp, log, lt, mul, ne, neg, sub, where, sqrt, le, sum, mean, permute, reshape, unsqueeze, gather, logSoftmax } from '../ops/index.js';
import { crossEntropyRows } from '../ops/xent.js';
import { amax, amin } from '../ops/reduce.js';
import { record } from '../ops/util.js';
import { defineOp } from '../ops/dispatch.js';
import type { BceAux } from '../ops/fused/losses.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { checkOptions } from '../options.js';

export type Reduction = 'mean' | 'sum' | 'none';
export interface ReductionOptions { reduction?: Reduction }

export function checkReduction(name: string, r: string, allowBatchmean = false): void {
  const ok = r === 'mean' || r === 'sum' || r === 'none' || (allowBatchmean && r === 'batchmean');
  if (!ok) {
    throw new Error(`${name}: reduction must be 'mean', 'sum'${allowBatchmean ? ", 'batchmean'" : ''} or 'none', got '${r}'`);
  }
}

/** Applies 'mean' | 'sum' | 'none' to an element-wise loss. */
export function reduce(name: string, loss: Tensor, reduction: string): Tensor {
  checkReduction(name, reduction);
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? sum(loss) : mean(loss);
}

export function checkFloat(name: string, what: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new TypeError(`${name}: ${what} must be a floating-point tensor, got ${t.dtype}`);
}

/**
 * Element-wise losses need input and target of one shape. PyTorch broadcasts with only a warning,
 * which silently turns [N, 1] vs [N] into an [N, N] loss; here it is an error.
 */
export function checkSameShape(name: string, input: Tensor, target: Tensor, what = 'target'): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(
      `${name}: input ${fmt(input.shape)} and ${what} ${fmt(target.shape)} have different shapes ` +
        '(broadcasting them is almost always a bug — reshape one to match the other)',
    );
  }
}

/** The target as input's float dtype (int/bool targets are accepted for element-wise losses). */
export function floatTarget(input: Tensor, target: Tensor): Tensor {
  return target.dtype === input.dtype ? target : cast(target, input.dtype);
}

/** Mean squared error: (input - target)². */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const name = 'mseLoss';
  checkOptions(name, opts, ['reduction']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  return scope(() => {
    const d = sub(input, floatTarget(input, target));
    return reduce(name, mul(d, d), opts.reduction ?? 'mean');
  });
}

/** Mean absolute error: |input - target|. */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const name = 'l1Loss';
  checkOptions(name, opts, ['reduction']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  return scope(() => reduce(name, abs(sub(input, floatTarget(input, target))), opts.reduction ?? 'mean'));
}

/** 0.5·d²/β where |d| < β, |d| − 0.5·β elsewhere (β = 0 gives the L1 loss). */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: ReductionOptions & { beta?: number } = {}): Tensor {
  const name = 'smoothL1Loss';
  checkOptions(name, opts, ['reduction', 'beta']);
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new RangeError(`${name}: beta must be ≥ 0, got ${beta}`);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  return scope(() => {
    const d = sub(input, floatTarget(input, target));
    const a = abs(d);
    if (beta === 0) return reduce(name, a, opts.reduction ?? 'mean');
    const loss = where(lt(a, beta), div(mul(mul(d, d), 0.5), beta), sub(a, 0.5 * beta));
    return reduce(name, loss, opts.reduction ?? 'mean');
  });
}

/** 0.5·d² where |d| < δ, δ·(|d| − 0.5·δ) elsewhere. */
export function huberLoss(input: Tensor, target: Tensor, opts: ReductionOptions & { delta?: number } = {}): Tensor {
  const name = 'huberLoss';
  checkOptions(name, opts, ['reduction', 'delta']);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new RangeError(`${name}: delta must be > 0, got ${delta}`);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  return scope(() => {
    const d = sub(input, floatTarget(input, target));
    const a = abs(d);
    const loss = where(lt(a, delta), mul(mul(d, d), 0.5), mul(sub(a, 0.5 * delta), delta));
    return reduce(name, loss, opts.reduction ?? 'mean');
  });
}

// ---- classification: negative log-likelihood and cross-entropy ----

export interface NllOptions extends ReductionOptions {
  /** a manual rescaling weight per class, shape [C] */
  weight?: Tensor | null;
  /** target value that is ignored and adds nothing to the loss nor to the mean's denominator */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C */
  labelSmoothing?: number;
}

/** Class-index targets flattened to M positions, with what the reductions need. */
interface Picked {
  /** [M, C] input with the class dim last */
  flat: Tensor;
  /** [M, 1] int32 class per position (ignored positions point at class 0) */
  index: Tensor;
  /** [M] per-position weight: weight[target], 0 where ignored */
  w: Tensor;
  /** Σ w — PyTorch's denominator of the 'mean' reduction */
  totalWeight: number;
  /** [C] class weights as a JS array, or null */
  classWeights: Float64Array | null;
  /** target shape, for reduction 'none' */
  targetShape: readonly number[];
}

/** Moves the class dim (1) of [N, C, d1, …] last and flattens to [M, C]; [C] becomes [1, C]. */
function classesLast(x: Tensor): Tensor {
  if (x.ndim === 1) return unsqueeze(x, 0);
  if (x.ndim === 2) return x;
  const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1];
  const c = x.shape[1]!;
  return reshape(permute(x, dims), [x.numel() / c, c]);
}

/** The target shape class indices must have for this input: [N, d1, …] for [N, C, d1, …], [] for [C]. */
function indexTargetShape(input: Tensor): number[] {
  return input.ndim === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
}

function checkIndexTarget(name: string, input: Tensor, target: Tensor): void {
  if (input.ndim < 1) throw new Error(`${name}: input must have a class dim ([C], [N, C] or [N, C, d1, …]), got a scalar`);
  const want = indexTargetShape(input);
  if (input.ndim >= 2 && target.ndim >= 1 && target.shape[0] !== input.shape[0]) {
    throw new Error(`${name}: input ${fmt(input.shape)} and target ${fmt(target.shape)} disagree on the batch size`);
  }
  if (!sameShape(want, target.shape)) {
    throw new Error(
      `${name}: for input ${fmt(input.shape)} (classes at dim ${input.ndim === 1 ? 0 : 1}) class-index targets must have shape ` +
        `${fmt(want)}, got ${fmt(target.shape)}`,
    );
  }
  if (target.dtype !== 'int32') {
    throw new TypeError(
      `${name}: class-index targets must be int32, got ${target.dtype}` +
        (isFloat(target.dtype) ? ' (class probabilities must have the same shape as the input)' : ''),
    );
  }
}

function pick(name: string, input: Tensor, target: Tensor, opts: NllOptions): Picked {
  checkIndexTarget(name, input, target);
  const c = input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
  const ignore = opts.ignoreIndex ?? -100;
  let classWeights: Float64Array | null = null;
  if (opts.weight) {
    const w = opts.weight;
    if (w.ndim !== 1 || w.shape[0] !== c) throw new Error(`${name}: weight must have shape [${c}] (one per class), got ${fmt(w.shape)}`);
    classWeights = Float64Array.from(w.dataSync() as ArrayLike<number>);
  }
  const t = target.dataSync() as Int32Array;
  const idx = new Int32Array(t.length);
  const ws = new Float64Array(t.length);
  let total = 0;
  for (let i = 0; i < t.length; i++) {
    const k = t[i]!;
    if (k === ignore) continue;
    if (k < 0 || k >= c) throw new RangeError(`${name}: target ${k} is out of range for ${c} classes (valid: 0 … ${c - 1}, or ignoreIndex ${ignore})`);
    idx[i] = k;
    ws[i] = classWeights ? classWeights[k]! : 1;
    total += ws[i]!;
  }
  const dtype = input.dtype as DType;
  return {
    flat: classesLast(input),
    index: tensor(idx, { dtype: 'int32', shape: [t.length, 1] }),
    w: tensor(ws, { dtype, shape: [t.length] }),
    totalWeight: total,
    classWeights,
    targetShape: target.shape,
  };
}

/** Reduces per-position losses the way nll_loss does: 'mean' divides by the total weight. */
function reduceWeighted(name: string, loss: Tensor, p: Picked, reduction: string): Tensor {
  checkReduction(name, reduction);
  if (reduction === 'none') return reshape(loss, p.targetShape);
  const s = sum(loss);
  return reduction === 'sum' ? s : div(s, p.totalWeight);
}

function nllFromPicked(name: string, p: Picked, reduction: string): Tensor {
  const m = p.w.shape[0]!;
  const chosen = reshape(gather(p.flat, 1, p.index), [m]);
  return reduceWeighted(name, neg(mul(chosen, p.w)), p, reduction);
}

/** Negative log-likelihood of log-probabilities input [N, C, d1, …] (or [C]) at int32 class targets. */
export function nllLoss(input: Tensor, target: Tensor, opts: NllOptions = {}): Tensor {
  const name = 'nllLoss';
  checkOptions(name, opts, ['reduction', 'weight', 'ignoreIndex']);
  checkFloat(name, 'input', input);
  return scope(() => nllFromPicked(name, pick(name, input, target, opts), opts.reduction ?? 'mean'));
}

/**
 * Cross-entropy of logits input [N, C, d1, …] (or [C]) against int32 class indices [N, d1, …] or
 * class probabilities of the input's shape. Computed as logSoftmax (log-sum-exp), never log(softmax).
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const name = 'crossEntropy';
  checkOptions(name, opts, ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
  checkFloat(name, 'input', input);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`${name}: labelSmoothing must be in [0, 1], got ${eps}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  if (input.ndim < 1) throw new Error(`${name}: input must have a class dim ([C], [N, C] or [N, C, d1, …]), got a scalar`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const c = input.shape[classDim]!;
  if (isFloat(target.dtype) && sameShape(target.shape, input.shape)) return probabilityCE(input, target, c, classDim, eps, reduction, opts.weight);
  if (isFloat(target.dtype) && input.ndim >= 2 && target.ndim >= 1 && target.shape[0] !== input.shape[0]) {
    throw new Error(`${name}: input ${fmt(input.shape)} and target ${fmt(target.shape)} disagree on the batch size`);
  }
  if (eps === 0 && !opts.weight && input.ndim === 2) return rowsCrossEntropy(name, input, target, opts.ignoreIndex ?? -100, reduction);
  return scope(() => {
    const logp = logSoftmax(input, classDim);
    const p = pick(name, logp, target, opts);
    const nll = nllFromPicked(name, p, reduction);
    if (eps === 0) return nll;
    // Smoothing term: −Σ_c w_c·logp_c per position, zero where ignored, normalised like nll's mean.
    const wc = p.classWeights ? tensor(p.classWeights, { dtype: input.dtype, shape: [1, c] }) : null;
    const perPos = neg(sum(wc ? mul(p.flat, wc) : p.flat, 1));
    const valid = cast(validMask(target, opts.ignoreIndex ?? -100), input.dtype);
    const smooth = mul(perPos, valid);
    let red: Tensor;
    if (reduction === 'none') red = reshape(smooth, p.targetShape);
    else if (reduction === 'sum') red = sum(smooth);
    else {
      let denom = 0;
      const t = target.dataSync() as Int32Array;
      for (let i = 0; i < t.length; i++) if (t[i] !== (opts.ignoreIndex ?? -100)) denom += p.classWeights ? p.classWeights[t[i]!]! : 1;
      red = div(sum(smooth), denom);
    }
    return add(mul(nll, 1 - eps), mul(red, eps / c));
  });
}

/** crossEntropy of [N, C] logits at class indices, unweighted and unsmoothed: per-row losses, then the reduction. */
function rowsCrossEntropy(name: string, input: Tensor, target: Tensor, ignore: number, reduction: string): Tensor {
  checkIndexTarget(name, input, target);
  const c = input.shape[1]!;
  const t = target.dataSync() as Int32Array;
  let count = 0;
  for (let i = 0; i < t.length; i++) {
    const k = t[i]!;
    if (k === ignore) continue;
    if (k < 0 || k >= c) throw new RangeError(`${name}: target ${k} is out of range for ${c} classes (valid: 0 … ${c - 1}, or ignoreIndex ${ignore})`);
    count++;
  }
  return scope(() => {
    const rows = crossEntropyRows(input, target, ignore);
    if (reduction === 'none') return rows;
    const s = sum(rows);
    return reduction === 'sum' ? s : div(s, count);
  });
}

/** [M] bool: positions whose target is not ignoreIndex. */
function validMask(target: Tensor, ignore: number): Tensor {
  return reshape(ne(target, ignore), [target.numel()]);
}

/** Cross-entropy against class probabilities (soft labels); 'mean' averages over N·d1·…. */
function probabilityCE(input: Tensor, target: Tensor, c: number, classDim: number, eps: number, reduction: string, weight?: Tensor | null): Tensor {
  const name = 'crossEntropy';
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== c)) throw new Error(`${name}: weight must have shape [${c}] (one per class), got ${fmt(weight.shape)}`);
  return scope(() => {
    const logp = logSoftmax(input, classDim);
    let t = floatTarget(input, target);
    if (eps > 0) t = add(mul(t, 1 - eps), eps / c);
    let prod = mul(logp, t);
    if (weight) {
      const wshape = input.shape.map((d, i) => (i === classDim ? c : 1));
      prod = mul(prod, reshape(cast(weight, input.dtype), wshape));
    }
    const perPos = neg(sum(prod, classDim));
    if (reduction === 'none') return perPos;
    const s = sum(perPos);
    return reduction === 'sum' ? s : div(s, input.numel() / c);
  });
}

// ---- binary ----

const BCE_EPS = Math.fround(1e-12);

/** BCE's gradients, written with ops (the fused rule of src/ops/fused/losses.ts uses them under createGraph). */
const bceAux: BceAux = {
  eps: BCE_EPS,
  // d/dx = (x − t) / max(x(1 − x), ε): PyTorch's formula (ε = 1e-12 as a float), finite at x = 0 and 1.
  gradX: (g, x, t) => mul(g, div(sub(x, t), clamp(mul(x, sub(1, x)), BCE_EPS))),
  gradT: (g, x) => mul(g, sub(clamp(log(sub(1, x)), -100), clamp(log(x), -100))),
};

/**
 * −(t·log x + (1−t)·log(1−x)) with both logs clamped at −100, as PyTorch does; its exact backward
 * (an op, so that a backend's one-pass kernels can take it: Backend.fused.bce).
 */
const bceElementwise = defineOp('bceElementwise', (x: Tensor, t: Tensor): Tensor => {
  const out = noGrad(() => scope(() => {
    const lx = clamp(log(x), -100);
    const l1x = clamp(log(sub(1, x)), -100);
    return neg(add(mul(t, lx), mul(sub(1, t), l1x)));
  }));
  return record(out, 'binaryCrossEntropy', [x, t], [x, t], (g, [sx, st], needs) => [
    needs[0] ? bceAux.gradX(g, sx!, st!) : null,
    // the target's gradient (two logs over the batch) only when the target requires one
    needs[1] ? bceAux.gradT(g, sx!) : null,
  ]);
}, bceAux);

/** Binary cross-entropy of probabilities input ∈ [0, 1] against targets in [0, 1]. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: ReductionOptions & { weight?: Tensor | null } = {}): Tensor {
  const name = 'binaryCrossEntropy';
  checkOptions(name, opts, ['reduction', 'weight']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  if (outsideUnit(input)) throw new RangeError(`${name}: input must hold probabilities in [0, 1] (apply sigmoid first, or use binaryCrossEntropyWithLogits)`);
  return scope(() => {
    let loss = bceElementwise(input, floatTarget(input, target));
    if (opts.weight) loss = mul(loss, cast(opts.weight, input.dtype));
    return reduce(name, loss, opts.reduction ?? 'mean');
  });
}

/** Whether some value of x lies outside [0, 1], by its least and greatest values (a NaN is not outside: it propagates into the loss). */
function outsideUnit(x: Tensor): boolean {
  if (x.numel() === 0) return false;
  return noGrad(() => scope(() => amin(x).item() < 0 || amax(x).item() > 1));
}

export interface BceWithLogitsOptions extends ReductionOptions {
  /** rescaling weight, broadcast to the input */
  weight?: Tensor | null;
  /** weight of positive examples, per class (broadcast along the last dim) */
  posWeight?: Tensor | null;
}

/**
 * Sigmoid + binary cross-entropy in one stable expression (PyTorch's):
 * (1 − t)·x + l·(log(e^(−m) + e^(−x−m)) + m), m = max(−x, 0), l = 1 + (posWeight − 1)·t.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const name = 'binaryCrossEntropyWithLogits';
  checkOptions(name, opts, ['reduction', 'weight', 'posWeight']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  return scope(() => {
    const t = floatTarget(input, target);
    const m = clamp(neg(input), 0);
    const softplusNeg = add(log(add(exp(neg(m)), exp(sub(neg(input), m)))), m);
    let term = softplusNeg;
    if (opts.posWeight) term = mul(add(mul(sub(cast(opts.posWeight, input.dtype), 1), t), 1), softplusNeg);
    let loss = add(mul(sub(1, t), input), term);
    if (opts.weight) loss = mul(loss, cast(opts.weight, input.dtype));
    return reduce(name, loss, opts.reduction ?? 'mean');
  });
}

// ---- distributions and embeddings ----

/**
 * Kullback-Leibler divergence with input as log-probabilities: t·(log t − input) (0 where t = 0),
 * or e^t·(t − input) with logTarget. 'batchmean' divides the sum by the batch size (the true KL).
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  const name = 'klDiv';
  checkOptions(name, opts, ['reduction', 'logTarget']);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction, true);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  return scope(() => {
    const t = floatTarget(input, target);
    let loss: Tensor;
    if (opts.logTarget) loss = mul(exp(t), sub(t, input));
    else {
      // xlogy(t, t): 0 where t = 0 (its gradient there is never used by PyTorch either).
      const zero = le(t, 0);
      const tlogt = where(zero, 0, mul(t, log(where(zero, 1, t))));
      loss = sub(tlogt, mul(t, input));
    }
    if (reduction === 'batchmean') return input.ndim === 0 ? sum(loss) : div(sum(loss), input.shape[0]!);
    return reduce(name, loss, reduction);
  });
}

/**
 * 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1; x1, x2 are [N, D]
 * (or [D]) and y is [N] (or []) of ±1. cos uses PyTorch's ε = 1e-12 inside each squared norm.
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, opts: ReductionOptions & { margin?: number } = {}): Tensor {
  const name = 'cosineEmbeddingLoss';
  checkOptions(name, opts, ['reduction', 'margin']);
  checkFloat(name, 'input1', x1);
  checkSameShape(name, x1, x2, 'input2');
  if (x1.ndim !== 1 && x1.ndim !== 2) throw new Error(`${name}: inputs must be [N, D] or [D], got ${fmt(x1.shape)}`);
  const want = x1.ndim === 2 ? [x1.shape[0]!] : [];
  if (!sameShape(y.shape, want)) throw new Error(`${name}: for inputs ${fmt(x1.shape)} the target must have shape ${fmt(want)}, got ${fmt(y.shape)}`);
  const margin = opts.margin ?? 0;
  return scope(() => {
    const d = x1.ndim - 1;
    const dot = sum(mul(x1, x2), d);
    const m1 = add(sum(mul(x1, x1), d), 1e-12);
    const m2 = add(sum(mul(x2, x2), d), 1e-12);
    const cos = div(dot, sqrt(mul(m1, m2)));
    const zeros = zerosLike(cos);
    const pos = where(eq(y, 1), sub(1, cos), zeros);
    const negPart = where(eq(y, -1), clamp(sub(cos, margin), 0), zeros);
    return reduce(name, add(pos, negPart), opts.reduction ?? 'mean');
  });
}
