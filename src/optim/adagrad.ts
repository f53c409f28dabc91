// Adagrad with learning-rate decay, weight decay, an initial accumulator and maximize — PyTorch's
// update: s += g²; p −= lr/(1 + (t − 1)·lrDecay) · g / (√s + ε).

import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/index.js';
import { fullLike } from '../tensor/create.js';
import { Optimizer, checkBool, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}

export interface AdagradHyper { lr: number; lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number; maximize: boolean }

/** The pure update at step t (1-based). */
export function adagradUpdate(p: Tensor, g: Tensor, sum: Tensor, step: number, h: AdagradHyper): { param: Tensor; sum: Tensor } {
  let grad = h.maximize ? neg(g) : g;
  if (h.weightDecay !== 0) grad = add(grad, mul(p, h.weightDecay));
  const clr = h.lr / (1 + (step - 1) * h.lrDecay);
  const newSum = add(sum, mul(grad, grad));
  const std = add(sqrt(newSum), h.eps);
  return { param: sub(p, mul(div(grad, std), clr)), sum: newSum };
}

export class Adagrad extends Optimizer {
  constructor(params: Params, opts: AdagradOptions = {}) {
    super('Adagrad', params, {
      lr: opts.lr ?? 1e-2, lrDecay: opts.lrDecay ?? 0, weightDecay: opts.weightDecay ?? 0,
      initialAccumulatorValue: opts.initialAccumulatorValue ?? 0, eps: opts.eps ?? 1e-10, maximize: opts.maximize ?? false,
    }, opts);
  }

  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[] } {
    return { tensors: ['sum'], numbers: ['step'], required: ['step', 'sum'] };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('Adagrad', h.lr);
    checkNumber('Adagrad', 'lrDecay value', h.lrDecay, 0);
    checkNumber('Adagrad', 'weightDecay value', h.weightDecay, 0);
    checkNumber('Adagrad', 'initialAccumulatorValue', h.initialAccumulatorValue, 0);
    checkNumber('Adagrad', 'epsilon value', h.eps, 0);
    checkBool('Adagrad', 'maximize', h.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as AdagradHyper;
    if (state.step === undefined) {
      // PyTorch creates the accumulator when the optimizer is built; creating it at the first step is the same.
      state.step = 0;
      this.setState(state, 'sum', fullLike(p, h.initialAccumulatorValue));
    }
    const step = (state.step as number) + 1;
    const { param, sum } = adagradUpdate(p, grad, state.sum as Tensor, step, h);
    state.step = step;
    this.setState(state, 'sum', sum);
    return param;
  }
}
