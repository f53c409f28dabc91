// SmoothGrad — Captum's NoiseTunnel: any attribution method averaged over copies of the input with
// Gaussian noise added (smoothgrad), its mean square (smoothgrad_sq) or its variance (vargrad).

import { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { add, mul, sub, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { cat, reshape, select } from '../ops/shape.js';
import { saliency } from './gradient.js';
import { checkInput, checkOptions, checkPositiveInt, copiesPerPass, normalNoise, tileRows, tileTarget, withSeed, type ModelLike, type TargetOptions } from './common.js';
import { fmt } from '../tensor/shape.js';

/** Any attribution method of this module: (model, input [N, …], options) → attributions [N, …]. */
export type AttributionMethod = (model: ModelLike, input: Tensor, opts: never) => Tensor;

export const NT_TYPES = ['smoothgrad', 'smoothgrad_sq', 'vargrad'] as const;
export type NtType = (typeof NT_TYPES)[number];

export interface SmoothGradOptions extends TargetOptions {
  /** the method to smooth (default saliency), e.g. explain.integratedGradients */
  method?: AttributionMethod;
  /** the method's own options (target is passed on from here) */
  methodOptions?: Record<string, unknown>;
  /** noisy copies per example (default 5) */
  nSamples?: number;
  /** copies per call of the method (default: as many as fit in 256 rows, at least one) */
  nSamplesBatchSize?: number;
  /** standard deviation of the noise (default 1, Captum's; choose it on your input's scale) */
  stdevs?: number;
  /** the average (smoothgrad, default), the average of squares (smoothgrad_sq) or the variance (vargrad) */
  ntType?: NtType;
  /** seeds the noise without moving the global generator */
  seed?: number;
  /** the noise itself, [nSamples, …input.shape] (stdevs is then not used) — to reproduce draws made elsewhere */
  noise?: Tensor;
}

const OPTIONS = ['target', 'method', 'methodOptions', 'nSamples', 'nSamplesBatchSize', 'stdevs', 'ntType', 'seed', 'noise'];

export function smoothGrad(model: ModelLike, input: Tensor, opts: SmoothGradOptions = {}): Tensor {
  const op = 'smoothGrad';
  checkOptions(op, opts, OPTIONS);
  checkInput(op, input);
  const nSamples = checkPositiveInt(op, 'nSamples', opts.nSamples ?? 5);
  const n = input.shape[0]!;
  // Copies per call of the method: the caller's, or as many as fit in 256 rows (at least one).
  const per = Math.min(nSamples, opts.nSamplesBatchSize !== undefined ? checkPositiveInt(op, 'nSamplesBatchSize', opts.nSamplesBatchSize) : copiesPerPass(op, 'rows', undefined, n));
  const ntType = opts.ntType ?? 'smoothgrad';
  if (!NT_TYPES.includes(ntType)) throw new Error(`${op}: unknown ntType '${String(ntType)}' (types: ${NT_TYPES.join(', ')})`);
  const stdev = opts.stdevs ?? 1;
  if (!(stdev >= 0)) throw new RangeError(`${op}: stdevs must be ≥ 0, got ${stdev}`);
  if (opts.noise && !(opts.noise instanceof Tensor && fmt(opts.noise.shape) === fmt([nSamples, ...input.shape]))) {
    throw new Error(`${op}: noise must have shape ${fmt([nSamples, ...input.shape])} ([nSamples, …input]), got ${opts.noise instanceof Tensor ? fmt(opts.noise.shape) : typeof opts.noise}`);
  }
  const method = (opts.method ?? saliency) as (m: ModelLike, x: Tensor, o: Record<string, unknown>) => Tensor;
  if (typeof method !== 'function') throw new TypeError(`${op}: method must be an attribution function such as explain.integratedGradients`);
  const mo = { ...(opts.methodOptions ?? {}) };
  if (mo.returnConvergenceDelta) throw new Error(`${op}: returnConvergenceDelta is not available through smoothGrad`);
  if ('target' in mo) throw new Error(`${op}: give target to smoothGrad itself, not in methodOptions`);
  return scope(() => withSeed(opts.seed, () => {
    let total: Tensor | null = null, totalSq: Tensor | null = null;
    for (let s = 0; s < nSamples; s += per) {
      const k = Math.min(per, nSamples - s);
      const prev: [Tensor | null, Tensor | null] = [total, totalSq];
      [total, totalSq] = scope(() => {
        const noisy = cat(Array.from({ length: k }, (_, j) => add(input, opts.noise ? select(opts.noise, 0, s + j) : normalNoise(input.shape, stdev, input.dtype))), 0);
        const o: Record<string, unknown> = { ...mo, target: tileTarget(opts.target, k) };
        for (const key of ['baselines', 'featureMask'] as const) {
          const v = mo[key];
          if (v instanceof Tensor && v.ndim === input.ndim && v.shape[0] === n && n > 1) o[key] = tileRows(v, k);
        }
        const attr = method(model, noisy, o);
        const blocks = reshape(attr, [k, n, ...attr.shape.slice(1)]);
        const s1 = sum(blocks, 0), s2 = sum(square(blocks), 0);
        return [prev[0] ? add(prev[0], s1) : s1, prev[1] ? add(prev[1], s2) : s2] as [Tensor, Tensor];
      });
      prev[0]?.dispose();
      prev[1]?.dispose();
    }
    const mean = mul(total!, 1 / nSamples), meanSq = mul(totalSq!, 1 / nSamples);
    if (ntType === 'smoothgrad') return mean;
    if (ntType === 'smoothgrad_sq') return meanSq;
    return sub(meanSq, square(mean));
  }));
}
