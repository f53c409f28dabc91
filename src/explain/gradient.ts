// Gradient attributions (Captum's Saliency, InputXGradient, IntegratedGradients, GradientShap):
// each a handful of forward/backward passes of the model, batched, freeing everything but the result.

import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { abs, add, mul, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { cat, reshape } from '../ops/shape.js';
import { randint } from '../tensor/create.js';
import { tensor } from '../tensor/create.js';
import { uniformArray } from '../tensor/random.js';
import {
  baselineFor, copiesPerPass, normalNoise, checkInput, checkOptions, checkPositiveInt, evalTarget, forwardOf, inputGrad, sumPerExample, tileRows,
  tileTarget, withFrozenParams, withSeed, type Baseline, type ModelLike, type TargetOptions,
} from './common.js';
import { IG_METHODS, quadrature, type IgMethod } from './quadrature.js';

export interface SaliencyOptions extends TargetOptions {
  /** the absolute value of the gradient (Captum's default), or the signed gradient */
  abs?: boolean;
}

/** |∂ output[target] / ∂ input| — which input elements the output is most sensitive to, locally. */
export function saliency(model: ModelLike, input: Tensor, opts: SaliencyOptions = {}): Tensor {
  const op = 'saliency';
  checkOptions(op, opts, ['target', 'abs']);
  checkInput(op, input);
  return scope(() => withFrozenParams(model, () => {
    const g = inputGrad(op, forwardOf(op, model), input, opts.target);
    return opts.abs === false ? g : abs(g);
  }));
}

/** input ⊙ ∂ output[target] / ∂ input. */
export function inputXGradient(model: ModelLike, input: Tensor, opts: TargetOptions = {}): Tensor {
  const op = 'inputXGradient';
  checkOptions(op, opts, ['target']);
  checkInput(op, input);
  return scope(() => withFrozenParams(model, () => mul(input, inputGrad(op, forwardOf(op, model), input, opts.target))));
}

export interface IntegratedGradientsOptions extends TargetOptions {
  /** the reference input (default zeros): a number, one sample's shape, or the batch's shape */
  baselines?: Baseline;
  /** points on the path from the baseline to the input (default 50) */
  nSteps?: number;
  /** the quadrature rule (default 'gausslegendre', as Captum) */
  method?: IgMethod;
  /** at most this many rows per forward pass (the batch × steps go in chunks of whole steps; default 256, at least one step) */
  internalBatchSize?: number;
  /** multiply the path-averaged gradient by (input − baseline) (default true) */
  multiplyByInputs?: boolean;
  /** also return the completeness gap Σ attributions − (f(input) − f(baseline)) per example */
  returnConvergenceDelta?: boolean;
}

export interface WithDelta {
  attributions: Tensor;
  /** Σ attributions − (f(input) − f(baseline)), one value per example [N] */
  delta: Tensor;
}

const IG_OPTIONS = ['target', 'baselines', 'nSteps', 'method', 'internalBatchSize', 'multiplyByInputs', 'returnConvergenceDelta'];

/**
 * Integrated gradients: (input − baseline) ⊙ ∫₀¹ ∂f(baseline + α(input − baseline))/∂x dα, the
 * integral by a quadrature rule. The attributions add up to f(input) − f(baseline) (completeness);
 * {returnConvergenceDelta: true} returns how far they are from it.
 */
export function integratedGradients(model: ModelLike, input: Tensor, opts: IntegratedGradientsOptions & { returnConvergenceDelta: true }): WithDelta;
export function integratedGradients(model: ModelLike, input: Tensor, opts?: IntegratedGradientsOptions): Tensor;
export function integratedGradients(model: ModelLike, input: Tensor, opts: IntegratedGradientsOptions = {}): Tensor | WithDelta {
  const op = 'integratedGradients';
  checkOptions(op, opts, IG_OPTIONS);
  checkInput(op, input);
  const method = opts.method ?? 'gausslegendre';
  if (!IG_METHODS.includes(method)) throw new Error(`${op}: unknown method '${String(method)}' (methods: ${IG_METHODS.join(', ')})`);
  const nSteps = checkPositiveInt(op, 'nSteps', opts.nSteps ?? 50);
  const q = quadrature(method, nSteps);
  return scope(() => withFrozenParams(model, () => {
    const f = forwardOf(op, model);
    const b = baselineFor(op, input, opts.baselines);
    const diff = sub(input, b);
    const pathGrad = pathIntegral(op, q.alphas, q.weights, input.shape[0]!, opts.internalBatchSize, (alphas) => {
      const scaled = cat(alphas.map((a) => add(b, mul(diff, a))), 0);
      return inputGrad(op, f, scaled, tileTarget(opts.target, alphas.length));
    });
    const attributions = opts.multiplyByInputs === false ? pathGrad : mul(pathGrad, diff);
    if (!opts.returnConvergenceDelta) return attributions;
    return { attributions, delta: convergenceDelta(op, f, attributions, input, b, opts.target) };
  }));
}

/**
 * Σ_k w_k · grads(α_k): `gradsAt` returns the gradients for a chunk of path points, their rows in
 * blocks of n (one block per α). Chunks hold whole steps, at most `batch` rows when given.
 */
export function pathIntegral(op: string, alphas: number[], weights: number[], n: number, batch: number | undefined, gradsAt: (alphas: number[]) => Tensor): Tensor {
  const per = copiesPerPass(op, 'internalBatchSize', batch, n);
  let total: Tensor | null = null;
  for (let s = 0; s < alphas.length; s += per) {
    const chunk = alphas.slice(s, s + per), w = weights.slice(s, s + per);
    const prev: Tensor | null = total;
    total = scope(() => {
      const g = gradsAt(chunk);
      const k = chunk.length;
      const blocks = reshape(g, [k, n, ...g.shape.slice(1)]);
      const wt = reshape(tensor(Float64Array.from(w), { dtype: g.dtype }), [k, ...Array<number>(g.ndim).fill(1)]);
      const part = sum(mul(blocks, wt), 0);
      return prev ? add(prev, part) : part;
    });
    prev?.dispose();
  }
  return total!;
}

/** Σ attributions − (f(input) − f(baseline)) per example. */
export function convergenceDelta(op: string, f: (x: Tensor) => Tensor, attributions: Tensor, input: Tensor, baseline: Tensor, target: TargetOptions['target']): Tensor {
  return scope(() => {
    const fx = evalTarget(op, f, input, target), fb = evalTarget(op, f, baseline, target);
    return sub(sumPerExample(attributions), sub(fx, fb));
  });
}

export interface InputBaselineXGradientOptions extends TargetOptions {
  baselines?: Baseline;
  /** where on the path from baseline to input the gradient is taken, one α per example */
  alphas: readonly number[];
  multiplyByInputs?: boolean;
}

/**
 * (input − baseline) ⊙ ∂f/∂x at baseline + α(input − baseline), one α per example: one sample of
 * integrated gradients' path, what gradientShap averages (Captum's InputBaselineXGradient).
 */
export function inputBaselineXGradient(model: ModelLike, input: Tensor, opts: InputBaselineXGradientOptions): Tensor {
  const op = 'inputBaselineXGradient';
  checkOptions(op, opts, ['target', 'baselines', 'alphas', 'multiplyByInputs']);
  checkInput(op, input);
  const n = input.shape[0]!;
  if (!opts.alphas || opts.alphas.length !== n) throw new Error(`${op}: give one alpha per example (${n}), got ${opts.alphas?.length ?? 'none'}`);
  return scope(() => withFrozenParams(model, () => {
    const b = baselineFor(op, input, opts.baselines);
    const diff = sub(input, b);
    const a = reshape(tensor(Float64Array.from(opts.alphas), { dtype: input.dtype }), [n, ...Array<number>(input.ndim - 1).fill(1)]);
    const g = inputGrad(op, forwardOf(op, model), add(b, mul(diff, a)), opts.target);
    return opts.multiplyByInputs === false ? g : mul(g, diff);
  }));
}

export interface GradientShapOptions extends TargetOptions {
  /** the baseline distribution: baselines [B, …] with each row shaped like one sample */
  baselines: Tensor;
  /** samples per example (default 5) */
  nSamples?: number;
  /** standard deviation of Gaussian noise added to the input for each sample (default 0) */
  stdevs?: number;
  /** seeds the draws (baselines, α, noise) without moving the global generator */
  seed?: number;
  multiplyByInputs?: boolean;
}

/**
 * GradientShap: the expected (x' − b) ⊙ ∂f/∂x at b + α(x' − b), over baselines b drawn from a
 * distribution, α ~ U(0, 1) and x' = input + noise — an estimate of SHAP values (Captum's
 * GradientShap, the same draws per sample). Samples run in batches of up to 256 rows.
 */
export function gradientShap(model: ModelLike, input: Tensor, opts: GradientShapOptions): Tensor {
  const op = 'gradientShap';
  checkOptions(op, opts, ['target', 'baselines', 'nSamples', 'stdevs', 'seed', 'multiplyByInputs']);
  checkInput(op, input);
  const dist = opts?.baselines;
  if (!dist || typeof dist !== 'object' || dist.ndim !== input.ndim || dist.shape.slice(1).some((d, i) => d !== input.shape[i + 1])) {
    throw new Error(`${op}: baselines must be a distribution of references [B, ${input.shape.slice(1).join(', ')}], got ${dist ? `[${dist.shape.join(', ')}]` : 'none'}`);
  }
  const nSamples = checkPositiveInt(op, 'nSamples', opts.nSamples ?? 5);
  const stdev = opts.stdevs ?? 0;
  if (!(stdev >= 0)) throw new RangeError(`${op}: stdevs must be ≥ 0, got ${stdev}`);
  const n = input.shape[0]!;
  return scope(() => withSeed(opts.seed, () => withFrozenParams(model, () => {
    // Every draw first (so chunking cannot change them), sample-major: sample s of example i is row s·n + i.
    const rows = n * nSamples;
    const noise = stdev > 0 ? normalNoise([rows, ...input.shape.slice(1)], stdev, input.dtype) : null;
    const pick = randint(0, dist.shape[0]!, [rows]);
    const alphas = Array.from(uniformArray(rows, input.dtype === 'float64'));
    const per = copiesPerPass(op, 'rows', undefined, n);
    let total: Tensor | null = null;
    for (let s = 0; s < nSamples; s += per) {
      const k = Math.min(per, nSamples - s), r0 = s * n, r1 = (s + k) * n;
      const prev: Tensor | null = total;
      total = scope((): Tensor => {
        const x = tileRows(input, k);
        const noisy = noise ? add(x, noise.narrow(0, r0, r1 - r0)) : x;
        const b = dist.indexSelect(0, pick.narrow(0, r0, r1 - r0));
        const attr = inputBaselineXGradient(model, noisy, { baselines: b, alphas: alphas.slice(r0, r1), target: tileTarget(opts.target, k), multiplyByInputs: opts.multiplyByInputs });
        const part = sum(reshape(attr, [k, n, ...input.shape.slice(1)]), 0);
        return prev ? add(prev, part) : part;
      });
      prev?.dispose();
    }
    return mul(total!, 1 / nSamples);
  })));
}
