// InstanceNorm1d/2d (torch.nn.InstanceNorm*): each channel of each sample normalised over its
// spatial dims; optional affine and running statistics, state keys as PyTorch's.

import type { Tensor } from '../../tensor/tensor.js';
import { ones, scalar, zeros } from '../../tensor/create.js';
import { Module, type Parameter } from '../module.js';
import { instanceNorm } from '../../ops/norm-functional.js';
import { checkOpts } from '../../ops/sorting.js';
import { squeeze, unsqueeze } from '../../ops/shape.js';
import { fmt } from '../../tensor/shape.js';
import * as init from '../init.js';
import { checkInt, expectFloat, expectInput, floatDType, newParam, type DTypeOption } from './util.js';

export interface InstanceNormOptions extends DTypeOption {
  /** added to the variance (default 1e-5) */
  eps?: number;
  /** weight of the newest batch in the running statistics (default 0.1); null: they do not move */
  momentum?: number | null;
  /** learn a per-channel scale and shift (default false) */
  affine?: boolean;
  /** keep running_mean/running_var and use them in eval mode (default false) */
  trackRunningStats?: boolean;
}

/** What InstanceNorm1d and InstanceNorm2d share (torch.nn.modules.instancenorm._InstanceNorm). */
abstract class InstanceNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  private readonly kind: string;
  private readonly spatial: number;

  constructor(kind: string, numFeatures: number, spatial: number, opts: InstanceNormOptions) {
    super();
    checkOpts(kind, opts, ['eps', 'momentum', 'affine', 'trackRunningStats', 'dtype']);
    this.kind = kind;
    this.spatial = spatial;
    this.numFeatures = checkInt(kind, 'numFeatures', numFeatures, 1);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`${kind}: momentum must be in [0, 1] or null, got ${this.momentum}`);
    if (!(this.eps >= 0)) throw new RangeError(`${kind}: eps must be ≥ 0, got ${this.eps}`);
    this.affine = opts.affine ?? false;
    this.trackRunningStats = opts.trackRunningStats ?? false;
    const dtype = floatDType(kind, opts.dtype);
    this.weight = this.affine ? init.ones_(newParam([numFeatures], dtype)) as Parameter : null;
    this.bias = this.affine ? newParam([numFeatures], dtype) : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    // PyTorch keeps the count in the state (int64 there, int32 here) but instance norm never moves it.
    this.registerBuffer('num_batches_tracked', track ? scalar(0, 'int32') : null);
  }

  get label(): string {
    return `${this.kind}(${this.numFeatures})`;
  }

  resetParameters(): void {
    if (this.trackRunningStats) {
      init.zeros_(this.getBuffer('running_mean')!);
      init.ones_(this.getBuffer('running_var')!);
    }
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    const s = this.spatial, C = this.numFeatures;
    const dims = s === 1 ? 'L' : 'H, W';
    expectInput(this.label, x, x.ndim === s + 1 || x.ndim === s + 2, `[N, C, ${dims}] or [C, ${dims}]`);
    expectFloat(this.label, x);
    const batched = x.ndim === s + 2;
    const c = x.shape[batched ? 1 : 0]!;
    // PyTorch refuses a channel count that differs only where it matters (affine, running stats).
    if (c !== C && (this.affine || this.trackRunningStats)) {
      throw new Error(`${this.label}: expected input with ${C} channels, got ${fmt(x.shape)} (${c} channels)`);
    }
    const xb = batched ? x : unsqueeze(x, 0);
    const useRunning = !this.training || this.trackRunningStats;
    const out = instanceNorm(xb, {
      runningMean: useRunning ? this.getBuffer('running_mean') : null, runningVar: useRunning ? this.getBuffer('running_var') : null,
      weight: this.weight, bias: this.bias, useInputStats: this.training || !this.trackRunningStats, momentum: this.momentum ?? 0, eps: this.eps,
    });
    if (batched) return out;
    xb.dispose();
    const r = squeeze(out, 0);
    out.dispose();
    return r;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Instance norm over [N, C, L] or [C, L]. */
export class InstanceNorm1d extends InstanceNorm {
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super('InstanceNorm1d', numFeatures, 1, opts);
  }
}

/** Instance norm over [N, C, H, W] or [C, H, W]. */
export class InstanceNorm2d extends InstanceNorm {
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super('InstanceNorm2d', numFeatures, 2, opts);
  }
}
