// Activations and normalised exponentials, written from primitives: softmax, logSoftmax,
// leakyRelu, elu, gelu (exact and tanh), silu, softplus, dropout.

import type { Tensor } from '../tensor/tensor.js';
import { rand } from '../tensor/create.js';
import { abs, add, cast, div, eq, erf, exp, expm1, gt, log, log1p, mul, sigmoid, sub, tanh, where, lt } from './elementwise.js';
import { amax, sum } from './reduce.js';
import { normDim, assertFloat } from './util.js';
import { noGrad } from '../autograd/graph.js';
// Composites run in a scope: their intermediates are freed even where the caller has none (decision 5).
import { scope } from '../tensor/memory.js';

export function softmax(x: Tensor, dim: number): Tensor {
  return scope(() => softmaxUnscoped(x, dim));
}

function softmaxUnscoped(x: Tensor, dim: number): Tensor {
  assertFloat('softmax', x);
  const d = normDim('softmax', dim, x.ndim);
  const m = noGrad(() => amax(x, d, true));
  const e = exp(sub(x, m));
  const out = div(e, sum(e, d, true));
  return out;
}

/** x - logsumexp(x): stable, never log(softmax). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return scope(() => logSoftmaxUnscoped(x, dim));
}

function logSoftmaxUnscoped(x: Tensor, dim: number): Tensor {
  assertFloat('logSoftmax', x);
  const d = normDim('logSoftmax', dim, x.ndim);
  // (x - m) - log Σ exp(x - m): subtracting the max first keeps float32 precision at large offsets.
  const m = noGrad(() => {
    const a = amax(x, d, true);
    return where(eq(abs(a), Infinity), 0, a);
  });
  const shifted = sub(x, m);
  return sub(shifted, log(sum(exp(shifted), d, true)));
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return scope(() => leakyReluUnscoped(x, negativeSlope));
}

function leakyReluUnscoped(x: Tensor, negativeSlope = 0.01): Tensor {
  assertFloat('leakyRelu', x);
  return where(gt(x, 0), x, mul(x, negativeSlope));
}

export function elu(x: Tensor, alpha = 1): Tensor {
  return scope(() => eluUnscoped(x, alpha));
}

function eluUnscoped(x: Tensor, alpha = 1): Tensor {
  assertFloat('elu', x);
  return where(gt(x, 0), x, mul(expm1(x), alpha));
}

/** GELU: x·Φ(x) exactly (erf), or the tanh approximation with {approximate: 'tanh'}. */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return scope(() => geluUnscoped(x, opts));
}

function geluUnscoped(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  assertFloat('gelu', x);
  const approx = opts.approximate ?? 'none';
  if (approx === 'tanh') {
    const k = Math.sqrt(2 / Math.PI);
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), k);
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  if (approx !== 'none') throw new Error(`gelu: approximate must be 'none' or 'tanh', got '${approx}'`);
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

export function silu(x: Tensor): Tensor {
  return scope(() => siluUnscoped(x));
}

function siluUnscoped(x: Tensor): Tensor {
  assertFloat('silu', x);
  return mul(x, sigmoid(x));
}

/** log(1 + exp(βx))/β, linear where βx > threshold (PyTorch's defaults β = 1, threshold = 20). */
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  return scope(() => softplusUnscoped(x, opts));
}

function softplusUnscoped(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  assertFloat('softplus', x);
  const beta = opts.beta ?? 1, threshold = opts.threshold ?? 20;
  const bx = mul(x, beta);
  // log1p(exp(bx)) computed safely where it is used; large bx takes the linear branch.
  const safe = where(gt(bx, threshold), 0, bx);
  return where(gt(bx, threshold), x, div(log1p(exp(safe)), beta));
}

/** Zeroes elements with probability p and scales the rest by 1/(1-p) — only when training. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  return scope(() => dropoutUnscoped(x, p, training));
}

function dropoutUnscoped(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability must be in [0, 1], got ${p}`);
  assertFloat('dropout', x);
  if (!training || p === 0) return mul(x, 1);
  if (p === 1) return mul(x, 0);
  const u = rand([...x.shape], { dtype: x.dtype });
  const keepMask = cast(lt(u, 1 - p), x.dtype);
  u.dispose();
  const out = mul(x, mul(keepMask, 1 / (1 - p)));
  keepMask.dispose();
  return out;
}

