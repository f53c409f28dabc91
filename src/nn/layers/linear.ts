// nn.Linear: y = x·Wᵀ + b with W [out, in], initialised as PyTorch does (Kaiming-uniform with
// a = √5, i.e. U(−1/√in, 1/√in), and the bias from the same bound).

import type { Tensor } from '../../tensor/tensor.js';
import { Module, type Parameter } from '../module.js';
import { linear } from '../../ops/index.js';
import * as init from '../init.js';
import { checkInt, expectFloat, expectInput, floatDType, newParam, type DTypeOption } from './util.js';

export interface LinearOptions extends DTypeOption {
  /** learn an additive bias (default true) */
  bias?: boolean;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt('Linear', 'inFeatures', inFeatures, 0);
    this.outFeatures = checkInt('Linear', 'outFeatures', outFeatures, 0);
    const dtype = floatDType('Linear', opts.dtype);
    this.weight = newParam([outFeatures, inFeatures], dtype);
    this.bias = opts.bias ?? true ? newParam([outFeatures], dtype) : null;
    this.resetParameters();
  }

  /** PyTorch's reset_parameters: kaiming_uniform_(a=√5) for W, U(−1/√fanIn, 1/√fanIn) for b. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const fanIn = this.inFeatures;
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  get label(): string {
    return `Linear(${this.inFeatures}→${this.outFeatures})`;
  }

  override forward(x: Tensor): Tensor {
    expectInput(this.label, x, x.ndim >= 1 && x.shape[x.ndim - 1] === this.inFeatures, `[..., ${this.inFeatures}]`);
    expectFloat(this.label, x);
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
