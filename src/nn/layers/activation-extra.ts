// The rest of PyTorch's activation modules (PReLU with its learnable weight, Hardtanh, ReLU6,
// Hardswish, Hardsigmoid, Mish, LogSigmoid, Softmin, Softsign, Tanhshrink, Softshrink, Hardshrink,
// Threshold, CELU, SELU, GLU): thin wrappers of src/ops/activation-extra.ts with PyTorch's defaults.

import type { Tensor } from '../../tensor/tensor.js';
import { full } from '../../tensor/create.js';
import { Module, Parameter } from '../module.js';
import {
  celu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, prelu, relu6, selu, softmin,
  softshrink, softsign, tanhshrink, threshold,
} from '../../ops/activation-extra.js';
import { checkInt, expectFloat, floatDType, type DTypeOption } from './util.js';

/** A number given positionally or as {name: value}; the default when absent. */
function arg<K extends string>(v: number | Partial<Record<K, number>> | undefined, key: K, dflt: number): number {
  return typeof v === 'number' ? v : v?.[key] ?? dflt;
}

export interface PReLUOptions extends DTypeOption {
  /** 1 (one slope shared by all channels) or the number of channels (dim 1 of the input) */
  numParameters?: number;
  /** the initial slope (default 0.25) */
  init?: number;
}

/** x where x > 0, else a·x, with a learnable slope a per channel (state key 'weight'). */
export class PReLU extends Module {
  weight: Parameter;
  /** (PyTorch's num_parameters is weight.shape[0] here: numParameters() is Module's count of parameters) */
  constructor(opts: PReLUOptions = {}) {
    super();
    const n = checkInt('PReLU', 'numParameters', opts.numParameters ?? 1, 1);
    const init = opts.init ?? 0.25;
    if (!Number.isFinite(init)) throw new TypeError(`PReLU: init must be a finite number, got ${String(init)}`);
    const w = full([n], init, { dtype: floatDType('PReLU', opts.dtype) });
    this.weight = new Parameter(w);
    w.dispose();
  }
  override forward(x: Tensor): Tensor {
    expectFloat('PReLU', x);
    return prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `numParameters=${this.weight.shape[0]}`;
  }
}

export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  /** new nn.Hardtanh(-2, 2) or new nn.Hardtanh({minVal: -2, maxVal: 2}); defaults −1, 1 */
  constructor(minVal?: number | { minVal?: number; maxVal?: number }, maxVal?: number) {
    super();
    this.minVal = arg(minVal, 'minVal', -1);
    this.maxVal = typeof minVal === 'object' ? minVal.maxVal ?? 1 : maxVal ?? 1;
    if (!(this.minVal <= this.maxVal)) throw new RangeError(`Hardtanh: minVal (${this.minVal}) must not exceed maxVal (${this.maxVal})`);
  }
  override forward(x: Tensor): Tensor {
    expectFloat('Hardtanh', x);
    return hardtanh(x, this.minVal, this.maxVal);
  }
  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/** min(max(x, 0), 6) */
export class ReLU6 extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('ReLU6', x);
    return relu6(x);
  }
}

/** x·relu6(x + 3)/6 */
export class Hardswish extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('Hardswish', x);
    return hardswish(x);
  }
}

/** relu6(x + 3)/6 */
export class Hardsigmoid extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('Hardsigmoid', x);
    return hardsigmoid(x);
  }
}

/** x·tanh(softplus(x)) */
export class Mish extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('Mish', x);
    return mish(x);
  }
}

/** log σ(x) */
export class LogSigmoid extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('LogSigmoid', x);
    return logsigmoid(x);
  }
}

/** x/(1 + |x|) */
export class Softsign extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('Softsign', x);
    return softsign(x);
  }
}

/** x − tanh(x) */
export class Tanhshrink extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('Tanhshrink', x);
    return tanhshrink(x);
  }
}

/** scale·elu(x, α) with PyTorch's α and scale */
export class SELU extends Module {
  override forward(x: Tensor): Tensor {
    expectFloat('SELU', x);
    return selu(x);
  }
}


/** softmax(−x) over dim; without a dim, PyTorch's legacy choice (0 for 0-, 1- and 3-D input, else 1). */
export class Softmin extends Module {
  readonly dim: number | null;
  /** new nn.Softmin(1) or new nn.Softmin({dim: 1}) */
  constructor(dim?: number | { dim?: number | null } | null) {
    super();
    this.dim = typeof dim === 'number' ? dim : dim?.dim ?? null;
  }
  override forward(x: Tensor): Tensor {
    const nd = x.ndim;
    return softmin(x, this.dim ?? (nd === 0 || nd === 1 || nd === 3 ? 0 : 1));
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class Softshrink extends Module {
  readonly lambd: number;
  /** new nn.Softshrink(0.3) or new nn.Softshrink({lambd: 0.3}); default 0.5 */
  constructor(lambd?: number | { lambd?: number }) {
    super();
    this.lambd = arg(lambd, 'lambd', 0.5);
    if (!(this.lambd >= 0)) throw new RangeError(`Softshrink: lambd must be ≥ 0, got ${this.lambd}`);
  }
  override forward(x: Tensor): Tensor {
    expectFloat('Softshrink', x);
    return softshrink(x, this.lambd);
  }
  override extraRepr(): string {
    return `lambd=${this.lambd}`;
  }
}

export class Hardshrink extends Module {
  readonly lambd: number;
  /** new nn.Hardshrink(0.3) or new nn.Hardshrink({lambd: 0.3}); default 0.5 */
  constructor(lambd?: number | { lambd?: number }) {
    super();
    this.lambd = arg(lambd, 'lambd', 0.5);
    if (!(this.lambd >= 0)) throw new RangeError(`Hardshrink: lambd must be ≥ 0, got ${this.lambd}`);
  }
  override forward(x: Tensor): Tensor {
    expectFloat('Hardshrink', x);
    return hardshrink(x, this.lambd);
  }
  override extraRepr(): string {
    return `lambd=${this.lambd}`;
  }
}

export class Threshold extends Module {
  readonly threshold: number;
  readonly value: number;
  /** new nn.Threshold(0.1, 20) or new nn.Threshold({threshold: 0.1, value: 20}): x where x > threshold, else value */
  constructor(thresholdOrOpts: number | { threshold: number; value: number }, value?: number) {
    super();
    const o = typeof thresholdOrOpts === 'object' ? thresholdOrOpts : { threshold: thresholdOrOpts, value };
    if (typeof o.threshold !== 'number' || typeof o.value !== 'number') throw new TypeError('Threshold: needs both threshold and value (numbers)');
    this.threshold = o.threshold;
    this.value = o.value;
  }
  override forward(x: Tensor): Tensor {
    expectFloat('Threshold', x);
    return threshold(x, this.threshold, this.value);
  }
  override extraRepr(): string {
    return `threshold=${this.threshold}, value=${this.value}`;
  }
}

export class CELU extends Module {
  readonly alpha: number;
  /** new nn.CELU(0.5) or new nn.CELU({alpha: 0.5}); default 1 */
  constructor(alpha?: number | { alpha?: number }) {
    super();
    this.alpha = arg(alpha, 'alpha', 1);
    if (this.alpha === 0) throw new RangeError('CELU: alpha must not be 0');
  }
  override forward(x: Tensor): Tensor {
    expectFloat('CELU', x);
    return celu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class GLU extends Module {
  readonly dim: number;
  /** new nn.GLU(1) or new nn.GLU({dim: 1}); default −1 */
  constructor(dim?: number | { dim?: number }) {
    super();
    this.dim = arg(dim, 'dim', -1);
  }
  override forward(x: Tensor): Tensor {
    expectFloat('GLU', x);
    return glu(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
