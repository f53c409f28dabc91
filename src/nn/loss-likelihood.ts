// Negative log-likelihood losses of count and real-valued targets (torch.nn.functional's,
// camelCase): poissonNllLoss and gaussianNllLoss, with PyTorch's options and numbers.

import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { add, clamp, div, exp, gt, log, lt, mul, sub, where } from '../ops/elementwise.js';
import { unsqueeze } from '../ops/shape.js';
import { record } from '../ops/util.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { checkOptions } from '../options.js';
import { checkFloat, checkReduction, checkSameShape, floatTarget, reduce, type Reduction } from './loss.js';

export interface PoissonNllOptions {
  /** input is log λ (default) — the loss is e^input − y·input; else input is λ: input − y·log(input + eps) */
  logInput?: boolean;
  /** add Stirling's approximation of log(y!) (where y > 1), the full negative log-likelihood */
  full?: boolean;
  /** keeps log(input + eps) finite when logInput is false (default 1e-8) */
  eps?: number;
  reduction?: Reduction;
}

/** Negative log-likelihood of targets y under Poisson(λ) (PyTorch's poisson_nll_loss). */
export function poissonNllLoss(input: Tensor, target: Tensor, opts: PoissonNllOptions = {}): Tensor {
  const name = 'poissonNllLoss';
  checkOptions(name, opts, ['logInput', 'full', 'eps', 'reduction']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  const logInput = opts.logInput ?? true, full = opts.full ?? false, eps = opts.eps ?? 1e-8;
  if (typeof logInput !== 'boolean') throw new TypeError(`${name}: logInput must be true or false, got ${String(logInput)}`);
  if (typeof full !== 'boolean') throw new TypeError(`${name}: full must be true or false, got ${String(full)}`);
  if (typeof eps !== 'number' || !(eps >= 0)) throw new RangeError(`${name}: eps must be a number ≥ 0, got ${String(eps)}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  return scope(() => {
    const y = floatTarget(input, target);
    let loss = logInput ? sub(exp(input), mul(y, input)) : sub(input, mul(y, log(add(input, eps))));
    if (full) {
      // y·log y − y + ½·log(2πy) where y > 1, else 0. The log's argument is 1 where masked, so
      // the masked positions have a zero gradient (PyTorch's masked_fill gives 0·log 0 = NaN there).
      const big = gt(y, 1);
      const ySafe = where(big, y, 1);
      const stirling = add(sub(mul(ySafe, log(ySafe)), ySafe), mul(log(mul(ySafe, 2 * Math.PI)), 0.5));
      loss = add(loss, where(big, stirling, 0));
    }
    return reduce(name, loss, reduction);
  });
}

export interface GaussianNllOptions {
  /** add the constant ½·log(2π) */
  full?: boolean;
  /** the variance is clamped to at least eps (default 1e-6) */
  eps?: number;
  reduction?: Reduction;
}

/**
 * max(var, eps) with the gradient of the identity: PyTorch clamps a clone of var in place under
 * no_grad, so the gradient reaches var unchanged even where the clamp took effect.
 */
function clampNoGrad(v: Tensor, eps: number): Tensor {
  const out = noGrad(() => clamp(v, eps));
  return record(out, 'clampVarianceNoGrad', [v], [], (g) => [g]);
}

/**
 * ½·(log max(var, eps) + (input − target)² / max(var, eps)) (+ ½·log 2π with full): the negative
 * log-likelihood of target under N(input, var). var has the input's shape (heteroscedastic), or
 * that shape without its last dim, or with 1 there (one variance shared along the last dim).
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, opts: GaussianNllOptions = {}): Tensor {
  const name = 'gaussianNllLoss';
  checkOptions(name, opts, ['full', 'eps', 'reduction']);
  checkFloat(name, 'input', input);
  checkSameShape(name, input, target);
  checkFloat(name, 'var', variance);
  const full = opts.full ?? false, eps = opts.eps ?? 1e-6;
  if (typeof full !== 'boolean') throw new TypeError(`${name}: full must be true or false, got ${String(full)}`);
  if (typeof eps !== 'number' || !(eps >= 0)) throw new RangeError(`${name}: eps must be a number ≥ 0, got ${String(eps)}`);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(name, reduction);
  const lead = input.shape.slice(0, -1);
  let unsqueezeVar = false;
  if (!sameShape(variance.shape, input.shape)) {
    if (input.ndim >= 1 && sameShape(variance.shape, lead)) unsqueezeVar = true;
    else if (!(input.ndim >= 1 && variance.ndim === input.ndim && sameShape(variance.shape.slice(0, -1), lead) && variance.shape[variance.ndim - 1] === 1)) {
      throw new Error(
        `${name}: var ${fmt(variance.shape)} does not fit input ${fmt(input.shape)} (it must have the input's shape, ` +
          `${fmt(lead)}, or ${fmt([...lead, 1])})`,
      );
    }
  }
  const negative = noGrad(() => scope(() => (lt(variance, 0).dataSync() as Uint8Array).some((b) => b !== 0)));
  if (negative) throw new RangeError(`${name}: var has negative entries (a variance must be ≥ 0)`);
  return scope(() => {
    const v = clampNoGrad(unsqueezeVar ? unsqueeze(variance, -1) : variance, eps);
    const d = sub(input, floatTarget(input, target));
    let loss = mul(add(log(v), div(mul(d, d), v)), 0.5);
    if (full) loss = add(loss, 0.5 * Math.log(2 * Math.PI));
    return reduce(name, loss, reduction);
  });
}
