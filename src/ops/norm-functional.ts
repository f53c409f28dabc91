// The functional normalisations (torch.nn.functional): layerNorm, batchNorm, groupNorm,
// instanceNorm and normalize — plain composites of ops (DESIGN: composites are functions of ops), so a
// trace sees their parts (the norm layers call them, and traced op by op they export to ONNX as before).

import type { Tensor } from '../tensor/tensor.js';
import { fmt, normDim, prod } from '../tensor/shape.js';
import { isFloat } from '../tensor/dtype.js';
import { scope } from '../tensor/memory.js';
import { isGradEnabled, noGrad } from '../autograd/graph.js';
import { add, clamp, div, mul, neg, rsqrt, sub } from './elementwise.js';
import { mean, norm } from './reduce.js';
import { sum } from './broadcast.js';
import { cast, reshape } from './layout.js';
import { checkOpts } from './sorting.js';
import { defineOp } from './dispatch.js';
import { record } from './util.js';

function assertFloatInput(op: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: expected a floating-point input, got ${x.dtype}`);
}

/** A per-channel tensor (weight, bias, running statistics) must be [C]. */
function checkChannels(op: string, name: string, t: Tensor | null | undefined, c: number): void {
  if (t == null) return;
  if (t.ndim !== 1 || t.shape[0] !== c) throw new Error(`${op}: ${name} must have shape [${c}] (one per channel of the input), got ${fmt(t.shape)}`);
}

/**
 * Mean over dims with keepdim. Batch norm's dims [0, 2, 3…] are not adjacent, which would make the
 * reduction copy the whole tensor into a permuted layout; the trailing block first, then dim 0,
 * reads it in place (equal block sizes, so the mean of means is the mean).
 */
function meanOver(x: Tensor, dims: number[]): Tensor {
  if (dims.length > 1 && dims[0] === 0 && dims[1] === 2 && dims.every((d, i) => i === 0 || d === i + 1) && dims.length === x.ndim - 1) {
    const inner = mean(x, dims.slice(1), true);
    const out = mean(inner, 0, true);
    inner.dispose();
    return out;
  }
  return mean(x, dims, true);
}

/** Sum over batch norm's dims [0, 2, 3…] with keepdim: the trailing block first, then dim 0 (as meanOver). */
function sumOver(x: Tensor, dims: number[]): Tensor {
  if (dims.length > 1) {
    const inner = sum(x, dims.slice(1), true);
    const out = sum(inner, 0, true);
    inner.dispose();
    return out;
  }
  return sum(x, dims, true);
}

/**
 * Batch norm in training mode, y = (x − μ)·rstd·w + b per channel, as one recorded node whose backward
 * is the closed form dx = w·rstd·(g − Σg/n − x̂·Σ(g·x̂)/n), dw = Σ(g·x̂), db = Σg (x̂ = (x − μ)·rstd):
 * about a third of the element-wise passes of the composite's graph (sub, square, mean, rsqrt, mul,
 * mul, add, each with its own backward), the same numbers to rounding. The forward is the
 * composite's standardize folded into one scale and shift per channel. Under createGraph the backward
 * recomputes μ and rstd from x with ops, so that gradients of gradients see their dependence on x.
 * An op of its own so that a backend's fused kernel can run it (src/ops/fused/channels.ts); mean and
 * varBiased are [1, C, 1…] (the reductions' keepdim shape).
 */
export const batchNormTrain = defineOp('batchNormTrain', (x: Tensor, w: Tensor | null | undefined, b: Tensor | null | undefined, dims: number[], eps: number):
  { y: Tensor; mean: Tensor; varBiased: Tensor } => {
  const cshape = [1, -1, ...Array<number>(Math.max(0, x.ndim - 2)).fill(1)];
  const n = x.numel() / x.shape[1]!;
  const stats = noGrad(() => {
    const m = meanOver(x, dims);
    const xc = sub(x, m);
    const v = meanOver(mul(xc, xc), dims);
    xc.dispose();
    const rstd = rsqrt(add(v, eps));
    const scale = w ? mul(rstd, reshape(w, cshape)) : rstd;
    const shift = b ? sub(reshape(b, cshape), mul(m, scale)) : neg(mul(m, scale));
    return { m, v, rstd, y: add(mul(x, scale), shift) };
  });
  const saved = w ? [x, stats.m, stats.rstd, w] : [x, stats.m, stats.rstd];
  const y = record(stats.y, 'batchNorm', [x, w, b], saved, (g, [sx, sm, sr, sw], needs) => {
    let m = sm!, rstd = sr!;
    if (isGradEnabled()) {
      // createGraph: μ and rstd as functions of x
      m = meanOver(sx!, dims);
      const xc = sub(sx!, m);
      rstd = rsqrt(add(meanOver(mul(xc, xc), dims), eps));
    }
    const xhat = mul(sub(sx!, m), rstd);
    const gb = sumOver(g, dims), gw = sumOver(mul(g, xhat), dims);
    let gx: Tensor | null = null;
    if (needs[0]) {
      const inner = sub(sub(g, div(gb, n)), mul(xhat, div(gw, n)));
      gx = mul(inner, sw ? mul(rstd, reshape(sw, cshape)) : rstd);
    }
    return [gx, needs[1] ? reshape(gw, [-1]) : null, needs[2] ? reshape(gb, [-1]) : null];
  });
  return { y, mean: stats.m, varBiased: stats.v };
});

/** (x − mean)/√(var + eps) over dims, with the biased variance (what every norm uses). */
function standardize(x: Tensor, dims: number[], eps: number): { y: Tensor; mean: Tensor; varBiased: Tensor } {
  const m = meanOver(x, dims);
  const xc = sub(x, m);
  const v = meanOver(mul(xc, xc), dims);
  const y = mul(xc, rsqrt(add(v, eps)));
  return { y, mean: m, varBiased: v };
}

/** y·w + b with w, b [C] broadcast along dim 1 of an n-D input. */
function affineChannels(y: Tensor, w: Tensor | null | undefined, b: Tensor | null | undefined, ndim: number): Tensor {
  const shape = [1, -1, ...Array<number>(Math.max(0, ndim - 2)).fill(1)];
  let out = y;
  if (w) out = mul(out, reshape(w, shape));
  if (b) out = add(out, reshape(b, shape));
  return out;
}

/** running ← (1 − f)·running + f·batch, in place, outside the graph. */
function moveRunning(running: Tensor | null | undefined, batch: Tensor, f: number): void {
  if (!running) return;
  noGrad(() => {
    const next = cast(add(mul(running, 1 - f), mul(reshape(batch.detach(), running.shape), f)), running.dtype);
    running._assign(next);
    next.dispose();
  });
}

function checkEps(op: string, eps: number): number {
  if (typeof eps !== 'number' || !(eps >= 0)) throw new RangeError(`${op}: eps must be a number ≥ 0, got ${String(eps)}`);
  return eps;
}

function checkMomentum(op: string, m: number): number {
  if (typeof m !== 'number' || !(m >= 0 && m <= 1)) throw new RangeError(`${op}: momentum must be in [0, 1], got ${String(m)}`);
  return m;
}

export interface LayerNormFnOptions { weight?: Tensor | null; bias?: Tensor | null; eps?: number }

/** Normalises over the trailing dims normalizedShape (statistics per sample), then ·weight + bias. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], opts: LayerNormFnOptions = {}): Tensor {
  checkOpts('layerNorm', opts, ['weight', 'bias', 'eps']);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (k === 0 || ns.some((d) => !Number.isInteger(d) || d < 1)) throw new RangeError(`layerNorm: normalizedShape must be positive integers, got ${fmt(ns)}`);
  const ok = x.ndim >= k && x.shape.slice(x.ndim - k).every((d, i) => d === ns[i]);
  if (!ok) throw new Error(`layerNorm: input ${fmt(x.shape)} does not end in normalizedShape ${fmt(ns)}`);
  assertFloatInput('layerNorm', x);
  for (const [name, t] of [['weight', opts.weight], ['bias', opts.bias]] as const) {
    if (t && (t.ndim !== k || t.shape.some((d, i) => d !== ns[i]))) throw new Error(`layerNorm: ${name} must have shape ${fmt(ns)}, got ${fmt(t.shape)}`);
  }
  const eps = checkEps('layerNorm', opts.eps ?? 1e-5);
  return layerNormRows(x, k, opts.weight ?? null, opts.bias ?? null, eps);
}

/**
 * layerNorm's computation once its arguments are checked: x normalised over its trailing k dims, then
 * ·weight + bias. An op of its own so that a backend's fused kernel can run it (src/ops/fused/rows.ts).
 */
export const layerNormRows = defineOp('layerNormRows', (x: Tensor, k: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor => scope(() => {
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  let y = standardize(x, dims, eps).y;
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}));

export interface BatchNormFnOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** normalise with the batch's statistics and move the running ones (default false) */
  training?: boolean;
  /** weight of this batch in the running statistics (default 0.1) */
  momentum?: number;
  eps?: number;
}

/**
 * Batch norm of [N, C, *] per channel. Training: the batch's statistics, and runningMean/runningVar
 * (when given) move toward them in place — the variance unbiased, as in PyTorch. Else: the running ones.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormFnOptions = {}): Tensor {
  checkOpts('batchNorm', opts, ['weight', 'bias', 'training', 'momentum', 'eps']);
  if (x.ndim < 2) throw new Error(`batchNorm: expected input [N, C, *], got ${fmt(x.shape)}`);
  assertFloatInput('batchNorm', x);
  const C = x.shape[1]!;
  checkChannels('batchNorm', 'runningMean', runningMean, C);
  checkChannels('batchNorm', 'runningVar', runningVar, C);
  checkChannels('batchNorm', 'weight', opts.weight, C);
  checkChannels('batchNorm', 'bias', opts.bias, C);
  const eps = checkEps('batchNorm', opts.eps ?? 1e-5);
  const momentum = checkMomentum('batchNorm', opts.momentum ?? 0.1);
  const training = opts.training ?? false;
  const n = C === 0 ? 0 : x.numel() / C;
  if (training && n <= 1) throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
  if (!training && (!runningMean || !runningVar)) throw new Error('batchNorm: runningMean and runningVar are needed when not training (pass {training: true} to use the batch statistics)');
  return scope(() => {
    let y: Tensor;
    if (training) {
      const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
      const r = batchNormTrain(x, opts.weight, opts.bias, dims, eps);
      moveRunning(runningMean, r.mean, momentum);
      if (runningVar) moveRunning(runningVar, noGrad(() => mul(r.varBiased, n / (n - 1))), momentum);
      return r.y;
    } else {
      const shape = [1, C, ...Array<number>(x.ndim - 2).fill(1)];
      y = mul(sub(x, reshape(runningMean!, shape)), rsqrt(add(reshape(runningVar!, shape), eps)));
    }
    return affineChannels(y, opts.weight, opts.bias, x.ndim);
  });
}

export interface GroupNormFnOptions { weight?: Tensor | null; bias?: Tensor | null; eps?: number }

/** Splits the channels of [N, C, *] into numGroups groups and normalises each group of each sample. */
export function groupNorm(x: Tensor, numGroups: number, opts: GroupNormFnOptions = {}): Tensor {
  checkOpts('groupNorm', opts, ['weight', 'bias', 'eps']);
  if (x.ndim < 2) throw new Error(`groupNorm: expected input [N, C, *], got ${fmt(x.shape)}`);
  assertFloatInput('groupNorm', x);
  const C = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1 || C % numGroups !== 0) {
    throw new Error(`groupNorm: the input's ${C} channels (input ${fmt(x.shape)}) must divide into numGroups ${numGroups}`);
  }
  checkChannels('groupNorm', 'weight', opts.weight, C);
  checkChannels('groupNorm', 'bias', opts.bias, C);
  const eps = checkEps('groupNorm', opts.eps ?? 1e-5);
  return scope(() => {
    const N = x.shape[0]!;
    const g = reshape(x, [N, numGroups, prod(x.shape.slice(1)) / numGroups]);
    const y = reshape(standardize(g, [2], eps).y, x.shape);
    return affineChannels(y, opts.weight, opts.bias, x.ndim);
  });
}

export interface InstanceNormFnOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** normalise with each instance's statistics (default true); false: with the running ones */
  useInputStats?: boolean;
  /** weight of this batch in the running statistics (default 0.1) */
  momentum?: number;
  eps?: number;
}

/**
 * Instance norm of [N, C, *]: each channel of each sample over its spatial dims. With input
 * statistics, given running statistics move toward their mean over the batch (variance unbiased).
 */
export function instanceNorm(x: Tensor, opts: InstanceNormFnOptions = {}): Tensor {
  checkOpts('instanceNorm', opts, ['runningMean', 'runningVar', 'weight', 'bias', 'useInputStats', 'momentum', 'eps']);
  if (x.ndim < 3) throw new Error(`instanceNorm: expected input [N, C, *] with at least one spatial dim, got ${fmt(x.shape)}`);
  assertFloatInput('instanceNorm', x);
  const C = x.shape[1]!;
  for (const k of ['runningMean', 'runningVar', 'weight', 'bias'] as const) checkChannels('instanceNorm', k, opts[k], C);
  const eps = checkEps('instanceNorm', opts.eps ?? 1e-5);
  const momentum = checkMomentum('instanceNorm', opts.momentum ?? 0.1);
  const useInput = opts.useInputStats ?? true;
  const n = prod(x.shape.slice(2));
  const { runningMean, runningVar } = opts;
  if (useInput && n <= 1) throw new Error(`instanceNorm: expected more than 1 spatial element when training, got input ${fmt(x.shape)}`);
  if (!useInput && (!runningMean || !runningVar)) throw new Error('instanceNorm: runningMean and runningVar are needed when useInputStats is false');
  return scope(() => {
    let y: Tensor;
    if (useInput) {
      const dims = Array.from({ length: x.ndim - 2 }, (_, i) => i + 2);
      const r = standardize(x, dims, eps);
      y = r.y;
      if (runningMean) moveRunning(runningMean, noGrad(() => mean(reshape(r.mean, [x.shape[0]!, C]), 0)), momentum);
      if (runningVar) moveRunning(runningVar, noGrad(() => mul(mean(reshape(r.varBiased, [x.shape[0]!, C]), 0), n / (n - 1))), momentum);
    } else {
      const shape = [1, C, ...Array<number>(x.ndim - 2).fill(1)];
      y = mul(sub(x, reshape(runningMean!, shape)), rsqrt(add(reshape(runningVar!, shape), eps)));
    }
    return affineChannels(y, opts.weight, opts.bias, x.ndim);
  });
}

export interface NormalizeOptions {
  /** the norm's exponent (default 2) */
  p?: number;
  /** the dim normalised (default 1) */
  dim?: number;
  /** the smallest divisor (default 1e-12) */
  eps?: number;
}

/** x / max(‖x‖_p over dim, eps): unit vectors along dim. */
export function normalize(x: Tensor, opts: NormalizeOptions = {}): Tensor {
  checkOpts('normalize', opts, ['p', 'dim', 'eps']);
  assertFloatInput('normalize', x);
  const p = opts.p ?? 2;
  const d = normDim('normalize', opts.dim ?? 1, x.ndim);
  const eps = checkEps('normalize', opts.eps ?? 1e-12);
  return scope(() => div(x, clamp(norm(x, p, d, true), eps)));
}
