// Loss modules (torch.nn's MSELoss, CrossEntropyLoss, …): hold the options, forward(input, target)
// calls the functional form in ./loss.ts. Class weights are registered as buffers, as in PyTorch.

import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import * as L from './loss.js';
import * as LM from './loss-margin.js';
import * as LL from './loss-likelihood.js';
import { checkOptions } from '../options.js';

type Red = { reduction?: L.Reduction };

/** Base: the reduction, and weight / pos_weight buffers under PyTorch's names. */
abstract class Loss extends Module {
  readonly reduction: L.Reduction;
  constructor(opts: Red = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
  }
  abstract override forward(input: Tensor, target: Tensor, ...rest: Tensor[]): Tensor;
}

export class MSELoss extends Loss {
  constructor(opts: Red = {}) {
    checkOptions('MSELoss', opts, ['reduction']);
    super(opts);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(opts: Red = {}) {
    checkOptions('L1Loss', opts, ['reduction']);
    super(opts);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: Red & { beta?: number } = {}) {
    checkOptions('SmoothL1Loss', opts, ['reduction', 'beta']);
    super(opts);
    this.beta = opts.beta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: Red & { delta?: number } = {}) {
    checkOptions('HuberLoss', opts, ['reduction', 'delta']);
    super(opts);
    this.delta = opts.delta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export class NLLLoss extends Loss {
  readonly ignoreIndex: number;
  constructor(opts: L.NllOptions = {}) {
    checkOptions('NLLLoss', opts, ['reduction', 'weight', 'ignoreIndex']);
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.registerBuffer('weight', opts.weight ?? null);
  }
  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

export class CrossEntropyLoss extends Loss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: L.CrossEntropyOptions = {}) {
    checkOptions('CrossEntropyLoss', opts, ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    this.registerBuffer('weight', opts.weight ?? null);
  }
  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.crossEntropy(input, target, {
      reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing,
    });
  }
}

export class BCELoss extends Loss {
  constructor(opts: Red & { weight?: Tensor | null } = {}) {
    checkOptions('BCELoss', opts, ['reduction', 'weight']);
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
  }
  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

export class BCEWithLogitsLoss extends Loss {
  constructor(opts: L.BceWithLogitsOptions = {}) {
    checkOptions('BCEWithLogitsLoss', opts, ['reduction', 'weight', 'posWeight']);
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }
  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
  get posWeight(): Tensor | null {
    return this.getBuffer('pos_weight');
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}

export class KLDivLoss extends Module {
  readonly reduction: L.Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(opts: { reduction?: L.Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    checkOptions('KLDivLoss', opts, ['reduction', 'logTarget']);
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.logTarget = opts.logTarget ?? false;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return L.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: Red & { margin?: number } = {}) {
    checkOptions('CosineEmbeddingLoss', opts, ['reduction', 'margin']);
    super(opts);
    this.margin = opts.margin ?? 0;
  }
  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return L.cosineEmbeddingLoss(input1, input2, target, { reduction: this.reduction, margin: this.margin });
  }
}

// ---- margin, embedding and likelihood losses (./loss-margin.ts, ./loss-likelihood.ts) ----

export class MarginRankingLoss extends Loss {
  readonly margin: number;
  constructor(opts: LM.MarginOptions = {}) {
    checkOptions('MarginRankingLoss', opts, ['margin', 'reduction']);
    super(opts);
    this.margin = opts.margin ?? 0;
  }
  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return LM.marginRankingLoss(input1, input2, target, { reduction: this.reduction, margin: this.margin });
  }
}

export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: LM.MarginOptions = {}) {
    checkOptions('HingeEmbeddingLoss', opts, ['margin', 'reduction']);
    super(opts);
    this.margin = opts.margin ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return LM.hingeEmbeddingLoss(input, target, { reduction: this.reduction, margin: this.margin });
  }
}

export class TripletMarginLoss extends Loss {
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(opts: LM.TripletMarginOptions = {}) {
    checkOptions('TripletMarginLoss', opts, ['margin', 'p', 'eps', 'swap', 'reduction']);
    super(opts);
    this.margin = opts.margin ?? 1;
    this.p = opts.p ?? 2;
    this.eps = opts.eps ?? 1e-6;
    this.swap = opts.swap ?? false;
  }
  override forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return LM.tripletMarginLoss(anchor, positive, negative, { reduction: this.reduction, margin: this.margin, p: this.p, eps: this.eps, swap: this.swap });
  }
}

export class MultiMarginLoss extends Loss {
  readonly p: 1 | 2;
  readonly margin: number;
  constructor(opts: LM.MultiMarginOptions = {}) {
    checkOptions('MultiMarginLoss', opts, ['p', 'margin', 'weight', 'reduction']);
    super(opts);
    this.p = opts.p ?? 1;
    this.margin = opts.margin ?? 1;
    this.registerBuffer('weight', opts.weight ?? null);
  }
  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return LM.multiMarginLoss(input, target, { reduction: this.reduction, p: this.p, margin: this.margin, weight: this.weight });
  }
}

export class MultiLabelSoftMarginLoss extends Loss {
  constructor(opts: LM.MultiLabelSoftMarginOptions = {}) {
    checkOptions('MultiLabelSoftMarginLoss', opts, ['weight', 'reduction']);
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
  }
  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return LM.multiLabelSoftMarginLoss(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(opts: LL.PoissonNllOptions = {}) {
    checkOptions('PoissonNLLLoss', opts, ['logInput', 'full', 'eps', 'reduction']);
    super(opts);
    this.logInput = opts.logInput ?? true;
    this.full = opts.full ?? false;
    this.eps = opts.eps ?? 1e-8;
  }
  override forward(logInput: Tensor, target: Tensor): Tensor {
    return LL.poissonNllLoss(logInput, target, { reduction: this.reduction, logInput: this.logInput, full: this.full, eps: this.eps });
  }
}

export class GaussianNLLLoss extends Loss {
  readonly full: boolean;
  readonly eps: number;
  constructor(opts: LL.GaussianNllOptions = {}) {
    checkOptions('GaussianNLLLoss', opts, ['full', 'eps', 'reduction']);
    super(opts);
    this.full = opts.full ?? false;
    this.eps = opts.eps ?? 1e-6;
  }
  override forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return LL.gaussianNllLoss(input, target, variance, { reduction: this.reduction, full: this.full, eps: this.eps });
  }
}
