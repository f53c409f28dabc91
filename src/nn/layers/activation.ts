// Activation modules (ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax,
// LogSoftmax): thin wrappers of the functional forms with PyTorch's arguments and defaults.

import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { relu, sigmoid, tanh, elu, gelu, leakyRelu, logSoftmax, silu, softmax, softplus } from '../../ops/index.js';
import { expectFloat } from './util.js';

export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  /** new nn.LeakyReLU(0.2) or new nn.LeakyReLU({negativeSlope: 0.2}); default 0.01 */
  constructor(negativeSlope?: number | { negativeSlope?: number }) {
    super();
    this.negativeSlope = typeof negativeSlope === 'number' ? negativeSlope : negativeSlope?.negativeSlope ?? 0.01;
  }
  override forward(x: Tensor): Tensor {
    expectFloat('LeakyReLU', x);
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class ELU extends Module {
  readonly alpha: number;
  /** new nn.ELU(0.5) or new nn.ELU({alpha: 0.5}); default 1 */
  constructor(alpha?: number | { alpha?: number }) {
    super();
    this.alpha = typeof alpha === 'number' ? alpha : alpha?.alpha ?? 1;
  }
  override forward(x: Tensor): Tensor {
    expectFloat('ELU', x);
    return elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  /** {approximate: 'tanh'} for the tanh approximation; exact (erf) by default */
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got '${String(this.approximate)}'`);
  }
  override forward(x: Tensor): Tensor {
    expectFloat('GELU', x);
    return gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('SiLU', x);
    return silu(x);
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  /** log(1 + exp(βx))/β, linear above threshold; defaults β = 1, threshold = 20 */
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super();
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
  }
  override forward(x: Tensor): Tensor {
    expectFloat('Softplus', x);
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** PyTorch's implicit dim when none is given (legacy): 0 for 0-, 1- and 3-D input, else 1. */
function implicitDim(ndim: number): number {
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

export class Softmax extends Module {
  readonly dim: number | null;
  /** new nn.Softmax(1) or new nn.Softmax({dim: 1}) */
  constructor(dim?: number | { dim?: number | null } | null) {
    super();
    this.dim = typeof dim === 'number' ? dim : dim?.dim ?? null;
  }
  override forward(x: Tensor): Tensor {
    return softmax(x, this.dim ?? implicitDim(x.ndim));
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  readonly dim: number | null;
  constructor(dim?: number | { dim?: number | null } | null) {
    super();
    this.dim = typeof dim === 'number' ? dim : dim?.dim ?? null;
  }
  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim ?? implicitDim(x.ndim));
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
