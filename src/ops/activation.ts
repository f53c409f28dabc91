// Activations and normalised exponentials, written from primitives: softmax, logSoftmax, logsumexp,
// leakyRelu, elu, gelu (exact and tanh), silu, softplus, dropout.

import type { Tensor } from '../tensor/tensor.js';
import { rand, tensor } from '../tensor/create.js';
import { isFloat } from '../tensor/dtype.js';
import { normDim, normDims, reducedShape } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { cast, reshape } from './layout.js';
import { sum, type Dim } from './broadcast.js';
import { abs, add, div, eq, erf, exp, expm1, gt, log, log1p, lt, mul, sigmoid, sub, tanh, where } from './elementwise.js';
import { amax } from './reduce.js';
import { assertFloat, backendOf, wrap } from './util.js';
import { blocksFor, reserveBlocks } from '../tensor/random.js';
import { noGrad } from '../autograd/graph.js';
// Composites run in a scope: their intermediates are freed even where the caller has none (decision 5).
// softmax, logSoftmax and logsumexp free theirs one by one (the graph holds what backward needs).
import { scope } from '../tensor/memory.js';

/** The shift logsumexp and logSoftmax subtract first: the maximum, or 0 where it is infinite (so inf - inf cannot make NaN). */
function stableShift(t: Tensor, dims: readonly number[]): Tensor {
  return noGrad(() => {
    const a = amax(t, dims, true);
    const magnitude = abs(a);
    const inf = eq(magnitude, Infinity);
    const m = where(inf, 0, a);
    for (const u of [a, magnitude, inf]) u.dispose();
    return m;
  });
}

/** log(sum(exp(x))) over dim, computed stably by shifting by the maximum. */
export const logsumexp = defineOp('logsumexp', (x: Tensor, dim: Dim, keepdim: boolean = false): Tensor => {
  const t = isFloat(x.dtype) ? x : cast(x, 'float32');
  const dims = normDims('logsumexp', dim, t.ndim);
  const m = stableShift(t, dims);
  const d = sub(t, m), e = exp(d), s = sum(e, dims, keepdim), l = log(s);
  const mk = keepdim ? m : reshape(m, reducedShape(t.shape, dims, false));
  const out = add(l, mk);
  for (const u of [m, d, e, s, l, mk]) if (u !== out) u.dispose();
  if (t !== x) t.dispose();
  return out;
});

/**
 * What softmax and logSoftmax give their fused rules (src/ops/fused/rows.ts): the vector-Jacobian product
 * over the last dim from the output alone, written with ops (so it records under createGraph):
 * softmax y·(g − Σ g·y), logSoftmax g − exp(y)·Σ g.
 */
export interface SoftmaxAux { gradFromOutput(g: Tensor, y: Tensor): Tensor }
const softmaxAux: SoftmaxAux = { gradFromOutput: (g, y) => scope(() => mul(y, sub(g, sum(mul(g, y), y.ndim - 1, true)))) };
const logSoftmaxAux: SoftmaxAux = { gradFromOutput: (g, y) => scope(() => sub(g, mul(exp(y), sum(g, y.ndim - 1, true)))) };

export const softmax = defineOp('softmax', (x: Tensor, dim: number): Tensor => {
  assertFloat('softmax', x);
  const d = normDim('softmax', dim, x.ndim);
  const m = stableShift(x, [d]);
  const z = sub(x, m), e = exp(z), s = sum(e, d, true);
  const out = div(e, s);
  for (const t of [m, z, e, s]) t.dispose(); // the graph holds what the backward needs
  return out;
}, softmaxAux);

/**
 * softmax over the last dim of attention scores [..., L, S] with the causal mask (j > i masked, top-left
 * aligned as PyTorch's is_causal): softmax(scores + mask) — a backend's fused kernel applies the mask by
 * position instead of adding a mask tensor (src/ops/fused/rows.ts).
 */
export const causalSoftmax = defineOp('causalSoftmax', (scores: Tensor): Tensor => scope(() => {
  assertFloat('causalSoftmax', scores);
  if (scores.ndim < 2) throw new Error(`causalSoftmax: scores must be [..., L, S], got ${scores.ndim} dim(s)`);
  const L = scores.shape[scores.ndim - 2]!, S = scores.shape[scores.ndim - 1]!;
  const d = new Float64Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) d[i * S + j] = -Infinity;
  return softmax(add(scores, tensor(d, { shape: [L, S], dtype: scores.dtype })), -1);
}), softmaxAux);

/** x - logsumexp(x): stable, never log(softmax). */
export const logSoftmax = defineOp('logSoftmax', (x: Tensor, dim: number): Tensor => {
  assertFloat('logSoftmax', x);
  const d = normDim('logSoftmax', dim, x.ndim);
  // (x - m) - log Σ exp(x - m): subtracting the max first keeps float32 precision at large offsets.
  const m = stableShift(x, [d]);
  const z = sub(x, m), e = exp(z), s = sum(e, d, true), l = log(s);
  const out = sub(z, l);
  for (const t of [m, z, e, s, l]) t.dispose(); // the graph holds what the backward needs
  return out;
}, logSoftmaxAux);

export const leakyRelu = defineOp('leakyRelu', (x: Tensor, negativeSlope: number = 0.01): Tensor => scope(() => {
  assertFloat('leakyRelu', x);
  return where(gt(x, 0), x, mul(x, negativeSlope));
}));

export const elu = defineOp('elu', (x: Tensor, alpha: number = 1): Tensor => scope(() => {
  assertFloat('elu', x);
  return where(gt(x, 0), x, mul(expm1(x), alpha));
}));

/** GELU: x·Φ(x) exactly (erf), or the tanh approximation with {approximate: 'tanh'}. */
export const gelu = defineOp('gelu', (x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor => scope(() => {
  assertFloat('gelu', x);
  const approx = opts.approximate ?? 'none';
  if (approx === 'tanh') {
    const k = Math.sqrt(2 / Math.PI);
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), k);
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  if (approx !== 'none') throw new Error(`gelu: approximate must be 'none' or 'tanh', got '${approx}'`);
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}));

export const silu = defineOp('silu', (x: Tensor): Tensor => scope(() => {
  assertFloat('silu', x);
  return mul(x, sigmoid(x));
}));

/** log(1 + exp(βx))/β, linear where βx > threshold (PyTorch's defaults β = 1, threshold = 20). */
export const softplus = defineOp('softplus', (x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor => scope(() => {
  assertFloat('softplus', x);
  const beta = opts.beta ?? 1, threshold = opts.threshold ?? 20;
  const bx = mul(x, beta);
  // log1p(exp(bx)) computed safely where it is used; large bx takes the linear branch.
  const safe = where(gt(bx, threshold), 0, bx);
  return where(gt(bx, threshold), x, div(log1p(exp(safe)), beta));
}));

/** Zeroes elements with probability p and scales the rest by 1/(1-p) — only when training. */
export const dropout = defineOp('dropout', (x: Tensor, p: number = 0.5, training: boolean = true): Tensor => scope(() => {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability must be in [0, 1], got ${p}`);
  assertFloat('dropout', x);
  if (!training || p === 0) return mul(x, 1);
  if (p === 1) return mul(x, 0);
  const be = backendOf('dropout', x), made = be.fused?.uniform;
  if (made && x.numel() > 0) {
    // the backend makes the mask from the generator's numbers in one pass (the same mask as below)
    const f64 = x.dtype === 'float64';
    const mask = wrap(be, made(x.numel(), f64 ? 'float64' : 'float32', reserveBlocks(blocksFor(x.numel(), f64)), { keep: 1 - p, scale: 1 / (1 - p) }), [...x.shape]);
    const out = mul(x, mask);
    mask.dispose();
    return out;
  }
  const u = rand([...x.shape], { dtype: x.dtype });
  const keepMask = cast(lt(u, 1 - p), x.dtype);
  u.dispose();
  const out = mul(x, mul(keepMask, 1 / (1 - p)));
  keepMask.dispose();
  return out;
}));

