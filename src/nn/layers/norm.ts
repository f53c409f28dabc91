// Normalisation layers BatchNorm1d/2d (running statistics, momentum or a cumulative average, eval
// mode), LayerNorm and GroupNorm — composites of differentiable ops, so autograd covers them.

import type { Tensor } from '../../tensor/tensor.js';
import { ones, scalar, zeros } from '../../tensor/create.js';
import { scope } from '../../tensor/memory.js';
import { noGrad } from '../../autograd/graph.js';
import { Module, type Parameter } from '../module.js';
import { add, mul, rsqrt, sub, mean, reshape } from '../../ops/index.js';
import { fmt, prod } from '../../tensor/shape.js';
import * as init from '../init.js';
import { checkInt, expectFloat, expectInput, floatDType, newParam, type DTypeOption } from './util.js';

export interface BatchNormOptions extends DTypeOption {
  /** added to the variance (default 1e-5) */
  eps?: number;
  /** weight of the newest batch in the running statistics (default 0.1); null: a cumulative average */
  momentum?: number | null;
  /** learn a per-channel scale and shift (default true) */
  affine?: boolean;
  /** keep running_mean/running_var and use them in eval mode (default true) */
  trackRunningStats?: boolean;
}

/** (x − mean)/√(var + eps) over dims, with the biased variance (what every norm layer uses). */
function normalize(x: Tensor, dims: number[], eps: number): { y: Tensor; mean: Tensor; varBiased: Tensor } {
  const m = meanOver(x, dims);
  const xc = sub(x, m);
  const v = meanOver(mul(xc, xc), dims);
  const y = mul(xc, rsqrt(add(v, eps)));
  return { y, mean: m, varBiased: v };
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

/** y·w + b with w, b [C] broadcast along dim 1 of an n-D input. */
function affineChannels(y: Tensor, w: Tensor | null, b: Tensor | null, ndim: number): Tensor {
  const shape = [1, -1, ...Array<number>(Math.max(0, ndim - 2)).fill(1)];
  let out = y;
  if (w) out = mul(out, reshape(w, shape));
  if (b) out = add(out, reshape(b, shape));
  return out;
}

/** What BatchNorm1d and BatchNorm2d share (torch.nn.modules.batchnorm._BatchNorm). */
abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(kind: string, numFeatures: number, opts: BatchNormOptions) {
    super();
    this.numFeatures = checkInt(kind, 'numFeatures', numFeatures, 1);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`${kind}: momentum must be in [0, 1] or null, got ${this.momentum}`);
    if (!(this.eps >= 0)) throw new RangeError(`${kind}: eps must be ≥ 0, got ${this.eps}`);
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const dtype = floatDType(kind, opts.dtype);
    this.weight = this.affine ? init.ones_(newParam([numFeatures], dtype)) as Parameter : null;
    this.bias = this.affine ? newParam([numFeatures], dtype) : null;
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], { dtype }));
      this.registerBuffer('running_var', ones([numFeatures], { dtype }));
      // PyTorch's is int64; int32 is the widest integer dtype here (safetensors maps it as I32).
      this.registerBuffer('num_batches_tracked', scalar(0, 'int32'));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }

  get label(): string {
    return `${this.constructor.name}(${this.numFeatures})`;
  }

  protected abstract checkInput(x: Tensor): void;

  /** Running statistics back to mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    init.zeros_(this.getBuffer('running_mean')!);
    init.ones_(this.getBuffer('running_var')!);
    noGrad(() => {
      const z = scalar(0, 'int32');
      this.getBuffer('num_batches_tracked')!._assign(z);
      z.dispose();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    const C = this.numFeatures;
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const n = x.numel() / C;
    const useBatch = this.training || !this.trackRunningStats;
    if (this.training && n <= 1) throw new Error(`${this.label}: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
    return scope(() => {
      let y: Tensor;
      if (useBatch) {
        const r = normalize(x, dims, this.eps);
        y = r.y;
        if (this.training && this.trackRunningStats) this.updateRunningStats(r.mean, r.varBiased, n);
      } else {
        const shape = [1, C, ...Array<number>(x.ndim - 2).fill(1)];
        const rm = reshape(this.getBuffer('running_mean')!, shape);
        const rv = reshape(this.getBuffer('running_var')!, shape);
        y = mul(sub(x, rm), rsqrt(add(rv, this.eps)));
      }
      return affineChannels(y, this.weight, this.bias, x.ndim);
    });
  }

  /** running ← (1 − f)·running + f·batch, with f = momentum or 1/count; the variance unbiased. */
  private updateRunningStats(batchMean: Tensor, batchVarBiased: Tensor, n: number): void {
    noGrad(() => {
      const nbt = this.getBuffer('num_batches_tracked')!;
      const count = nbt.item() + 1;
      const c = scalar(count, 'int32');
      nbt._assign(c);
      c.dispose();
      const f = this.momentum ?? 1 / count;
      const C = this.numFeatures;
      const rm = this.getBuffer('running_mean')!, rv = this.getBuffer('running_var')!;
      const bm = reshape(batchMean.detach(), [C]);
      const bv = mul(reshape(batchVarBiased.detach(), [C]), n / (n - 1));
      const newMean = add(mul(rm, 1 - f), mul(bm, f));
      const newVar = add(mul(rv, 1 - f), mul(bv, f));
      rm._assign(newMean);
      rv._assign(newVar);
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch norm over [N, C] or [N, C, L] (statistics per channel over N and L). */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, opts);
  }
  protected checkInput(x: Tensor): void {
    const C = this.numFeatures;
    expectInput(this.label, x, (x.ndim === 2 || x.ndim === 3) && x.shape[1] === C, `[N, ${C}] or [N, ${C}, L]`);
    expectFloat(this.label, x);
  }
}

/** Batch norm over [N, C, H, W] (statistics per channel over N, H and W). */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, opts);
  }
  protected checkInput(x: Tensor): void {
    const C = this.numFeatures;
    expectInput(this.label, x, x.ndim === 4 && x.shape[1] === C, `[N, ${C}, H, W]`);
    expectFloat(this.label, x);
  }
}

export interface LayerNormOptions extends DTypeOption {
  eps?: number;
  /** learn a scale (ones) and shift (zeros) of normalizedShape (default true) */
  elementwiseAffine?: boolean;
  /** with elementwiseAffine, learn the shift too (default true; PyTorch ≥ 2.1's `bias`) */
  bias?: boolean;
}

/** Normalises over the trailing dims given by normalizedShape (statistics per sample). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) checkInt('LayerNorm', 'normalizedShape entries', d, 1);
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const dtype = floatDType('LayerNorm', opts.dtype);
    this.weight = this.elementwiseAffine ? init.ones_(newParam(this.normalizedShape, dtype)) as Parameter : null;
    this.bias = this.elementwiseAffine && (opts.bias ?? true) ? newParam(this.normalizedShape, dtype) : null;
  }

  get label(): string {
    return `LayerNorm(${fmt(this.normalizedShape)})`;
  }

  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.ndim - k);
    const ok = x.ndim >= k && tail.every((d, i) => d === this.normalizedShape[i]);
    expectInput(this.label, x, ok, `[*, ${this.normalizedShape.join(', ')}]`);
    expectFloat(this.label, x);
    return scope(() => {
      const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
      let y = normalize(x, dims, this.eps).y;
      if (this.weight) y = mul(y, this.weight);
      if (this.bias) y = add(y, this.bias);
      return y;
    });
  }

  override extraRepr(): string {
    return `${fmt(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

export interface GroupNormOptions extends DTypeOption {
  eps?: number;
  /** learn a per-channel scale and shift (default true) */
  affine?: boolean;
}

/** Splits the channels of [N, C, *] into groups and normalises each group of each sample. */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    this.numGroups = checkInt('GroupNorm', 'numGroups', numGroups, 1);
    this.numChannels = checkInt('GroupNorm', 'numChannels', numChannels, 1);
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    const dtype = floatDType('GroupNorm', opts.dtype);
    this.weight = this.affine ? init.ones_(newParam([numChannels], dtype)) as Parameter : null;
    this.bias = this.affine ? newParam([numChannels], dtype) : null;
  }

  get label(): string {
    return `GroupNorm(${this.numGroups}, ${this.numChannels})`;
  }

  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    const C = this.numChannels;
    expectInput(this.label, x, x.ndim >= 2 && x.shape[1] === C, `[N, ${C}, *]`);
    expectFloat(this.label, x);
    return scope(() => {
      const N = x.shape[0]!;
      const g = reshape(x, [N, this.numGroups, prod(x.shape.slice(1)) / this.numGroups]);
      const y = reshape(normalize(g, [2], this.eps).y, x.shape);
      return affineChannels(y, this.weight, this.bias, x.ndim);
    });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}
