// Dropout (elements) and Dropout2d (whole channels): zero with probability p and scale the rest
// by 1/(1−p) in training mode; the identity in eval mode. Masks come from nb's seeded generator.

import type { Tensor } from '../../tensor/tensor.js';
import { rand } from '../../tensor/create.js';
import { scope } from '../../tensor/memory.js';
import { Module } from '../module.js';
import { dropout, cast, lt, mul } from '../../ops/index.js';
import { checkProb, expectFloat, expectInput } from './util.js';

export interface DropoutOptions {
  p?: number;
}

function probOf(layer: string, p: number | DropoutOptions | undefined): number {
  return checkProb(layer, typeof p === 'number' ? p : p?.p ?? 0.5);
}

export class Dropout extends Module {
  readonly p: number;
  /** new nn.Dropout(0.2) or new nn.Dropout({p: 0.2}); p defaults to 0.5 */
  constructor(p?: number | DropoutOptions) {
    super();
    this.p = probOf('Dropout', p);
  }
  override forward(x: Tensor): Tensor {
    expectFloat(`Dropout(p=${this.p})`, x);
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Zeroes whole channels: one draw per (sample, channel) of [N, C, H, W], shared over H×W. A 3-D
 * input is taken as [N, C, L] (one draw per channel of each sample), which is what PyTorch 1.13+
 * does with a warning.
 */
export class Dropout2d extends Module {
  readonly p: number;
  constructor(p?: number | DropoutOptions) {
    super();
    this.p = probOf('Dropout2d', p);
  }
  override forward(x: Tensor): Tensor {
    const label = `Dropout2d(p=${this.p})`;
    expectInput(label, x, x.ndim === 3 || x.ndim === 4, '[N, C, H, W] or [N, C, L]');
    expectFloat(label, x);
    if (!this.training || this.p === 0) return mul(x, 1);
    if (this.p === 1) return mul(x, 0);
    return scope(() => {
      const maskShape = [x.shape[0]!, x.shape[1]!, ...Array<number>(x.ndim - 2).fill(1)];
      const keep = cast(lt(rand(maskShape, { dtype: x.dtype }), 1 - this.p), x.dtype);
      return mul(x, mul(keep, 1 / (1 - this.p)));
    });
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
