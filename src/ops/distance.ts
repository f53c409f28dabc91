// F.cosineSimilarity and F.pairwiseDistance (torch.nn.functional), written from differentiable ops.

import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, normDim } from '../tensor/shape.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { defineOp } from './dispatch.js';
import { record } from './util.js';
import { add, clamp, div, mul, sub } from './elementwise.js';
import { sum } from './broadcast.js';
import { norm } from './reduce.js';
import { broadcastTensors } from './shape.js';
import { checkOpts } from './sorting.js';

/** Both inputs floating-point, their shapes broadcastable (an error names the op). */
function floatPair(op: string, x1: Tensor, x2: Tensor): void {
  if (!isFloat(x1.dtype) || !isFloat(x2.dtype)) throw new TypeError(`${op}: expected floating-point inputs, got ${x1.dtype} and ${x2.dtype}`);
  broadcastShapes(op, x1.shape, x2.shape);
}

export interface CosineSimilarityOptions {
  /** the dim the vectors lie along (default 1) */
  dim?: number;
  /** the smallest norm each vector is divided by (default 1e-8) */
  eps?: number;
}

/**
 * c = max(‖x‖, eps) along d, with PyTorch's gradient x/c: torch clamps the norm in place after
 * computing it, so its backward divides by the clamped value (the derivative wherever ‖x‖ ≥ eps).
 * The backward is written with ops on the saved output, so second derivatives follow.
 */
function clampedNorm(x: Tensor, d: number, eps: number): Tensor {
  const c = noGrad(() => clamp(norm(x, 2, d, true), eps));
  return record(c, 'cosineSimilarity norm', [x], [x, c], (g, [v, o]) => [mul(v!, div(g, o!))]);
}

/** Σ (x1/‖x1‖)(x2/‖x2‖) along dim, the inputs broadcast against each other; each norm at least eps. */
export const cosineSimilarity = defineOp('cosineSimilarity', (x1: Tensor, x2: Tensor, opts: CosineSimilarityOptions = {}): Tensor => {
  checkOpts('cosineSimilarity', opts, ['dim', 'eps']);
  floatPair('cosineSimilarity', x1, x2);
  const eps = opts.eps ?? 1e-8;
  if (!(eps >= 0)) throw new RangeError(`cosineSimilarity: eps must be ≥ 0, got ${eps}`);
  return scope(() => {
    const [a, b] = broadcastTensors(x1, x2) as [Tensor, Tensor];
    const d = normDim('cosineSimilarity', opts.dim ?? 1, a.ndim);
    return sum(mul(div(a, clampedNorm(a, d, eps)), div(b, clampedNorm(b, d, eps))), d);
  });
});

export interface PairwiseDistanceOptions {
  /** the norm's exponent (default 2) */
  p?: number;
  /** added to the difference, so a zero distance has a gradient (default 1e-6) */
  eps?: number;
  /** keep the reduced last dim (default false) */
  keepdim?: boolean;
}

/** ‖x1 − x2 + eps‖_p along the last dim, the inputs broadcast against each other. */
export const pairwiseDistance = defineOp('pairwiseDistance', (x1: Tensor, x2: Tensor, opts: PairwiseDistanceOptions = {}): Tensor => {
  checkOpts('pairwiseDistance', opts, ['p', 'eps', 'keepdim']);
  floatPair('pairwiseDistance', x1, x2);
  const p = opts.p ?? 2;
  if (!(p > 0)) throw new RangeError(`pairwiseDistance: p must be positive (or Infinity), got ${p}`);
  return scope(() => norm(add(sub(x1, x2), opts.eps ?? 1e-6), p, -1, opts.keepdim ?? false));
});
