// Normalisation layers BatchNorm1d/2d (running statistics, momentum or a cumulative average, eval
// mode), LayerNorm and GroupNorm — each calls its functional form (../../ops/norm-functional.ts).

import type { Tensor } from '../../tensor/tensor.js';
import { ones, scalar, zeros } from '../../tensor/create.js';
import { noGrad } from '../../autograd/graph.js';
import { Module, type Parameter } from '../module.js';
import { batchNorm, groupNorm, layerNorm } from '../../ops/norm-functional.js';
import { fmt } from '../../tensor/shape.js';
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

/**
 * What batch and instance norm share (torch.nn.modules.batchnorm._NormBase): the checked options,
 * the affine weight and bias, and the running statistics as buffers with PyTorch's keys.
 */
export abstract class NormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(kind: string, numFeatures: number, opts: BatchNormOptions, defaults: { affine: boolean; trackRunningStats: boolean }) {
    super();
    this.numFeatures = checkInt(kind, 'numFeatures', numFeatures, 1);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`${kind}: momentum must be in [0, 1] or null, got ${this.momentum}`);
    if (!(this.eps >= 0)) throw new RangeError(`${kind}: eps must be ≥ 0, got ${this.eps}`);
    this.affine = opts.affine ?? defaults.affine;
    this.trackRunningStats = opts.trackRunningStats ?? defaults.trackRunningStats;
    const dtype = floatDType(kind, opts.dtype);
    this.weight = this.affine ? init.ones_(newParam([numFeatures], dtype)) as Parameter : null;
    this.bias = this.affine ? newParam([numFeatures], dtype) : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    // PyTorch's is int64; int32 is the widest integer dtype here (safetensors maps it as I32).
    this.registerBuffer('num_batches_tracked', track ? scalar(0, 'int32') : null);
  }

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
}

/** What BatchNorm1d and BatchNorm2d share (torch.nn.modules.batchnorm._BatchNorm). */
abstract class BatchNorm extends NormBase {
  constructor(kind: string, numFeatures: number, opts: BatchNormOptions) {
    super(kind, numFeatures, opts, { affine: true, trackRunningStats: true });
  }

  get label(): string {
    return `${this.constructor.name}(${this.numFeatures})`;
  }

  protected abstract checkInput(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    const n = x.numel() / this.numFeatures;
    if (this.training && n <= 1) throw new Error(`${this.label}: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
    // As torch.nn.modules.batchnorm._BatchNorm.forward: count the batch, then the factor it moves by.
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats) {
      const nbt = this.getBuffer('num_batches_tracked')!;
      const count = nbt.item() + 1;
      noGrad(() => {
        const c = scalar(count, 'int32');
        nbt._assign(c);
        c.dispose();
      });
      factor = this.momentum ?? 1 / count;
    }
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, useRunning ? this.getBuffer('running_mean') : null, useRunning ? this.getBuffer('running_var') : null, {
      weight: this.weight, bias: this.bias, training: this.training || !this.trackRunningStats, momentum: factor, eps: this.eps,
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
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
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
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}
