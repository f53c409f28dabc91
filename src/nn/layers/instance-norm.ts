// InstanceNorm1d/2d (torch.nn.InstanceNorm*): each channel of each sample normalised over its
// spatial dims; optional affine and running statistics, state keys as PyTorch's.

import type { Tensor } from '../../tensor/tensor.js';
import { NormBase } from './norm.js';
import { instanceNorm } from '../../ops/norm-functional.js';
import { checkOpts } from '../../ops/sorting.js';
import { squeeze, unsqueeze } from '../../ops/shape.js';
import { fmt } from '../../tensor/shape.js';
import { expectFloat, expectInput, type DTypeOption } from './util.js';

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
abstract class InstanceNorm extends NormBase {
  private readonly kind: string;
  private readonly spatial: number;

  constructor(kind: string, numFeatures: number, spatial: number, opts: InstanceNormOptions) {
    checkOpts(kind, opts, ['eps', 'momentum', 'affine', 'trackRunningStats', 'dtype']);
    // PyTorch keeps num_batches_tracked in the state too, but instance norm never moves it
    super(kind, numFeatures, opts, { affine: false, trackRunningStats: false });
    this.kind = kind;
    this.spatial = spatial;
  }

  get label(): string {
    return `${this.kind}(${this.numFeatures})`;
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
