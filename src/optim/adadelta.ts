// Adadelta with weight decay and maximize — PyTorch's update: v = ρ·v + (1 − ρ)·g²;
// Δ = √(u + ε) / √(v + ε) · g; u = ρ·u + (1 − ρ)·Δ²; p −= lr·Δ.

import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { zerosLike } from '../tensor/create.js';
import { checkOptions } from '../options.js';
import { Optimizer, checkBool, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export interface AdadeltaHyper { lr: number; rho: number; eps: number; weightDecay: number; maximize: boolean }

export interface AdadeltaState { squareAvg: Tensor; accDelta: Tensor }

/** The pure update: the new parameter and the two running averages. */
export function adadeltaUpdate(p: Tensor, g: Tensor, s: AdadeltaState, h: AdadeltaHyper): { param: Tensor; state: AdadeltaState } {
  let grad = h.maximize ? neg(g) : g;
  if (h.weightDecay !== 0) grad = add(grad, mul(p, h.weightDecay));
  const squareAvg = add(mul(s.squareAvg, h.rho), mul(mul(grad, grad), 1 - h.rho));
  const std = sqrt(add(squareAvg, h.eps));
  const delta = mul(div(sqrt(add(s.accDelta, h.eps)), std), grad);
  const accDelta = add(mul(s.accDelta, h.rho), mul(mul(delta, delta), 1 - h.rho));
  return { param: sub(p, mul(delta, h.lr)), state: { squareAvg, accDelta } };
}

const OPTIONS = ['lr', 'rho', 'eps', 'weightDecay', 'maximize'];

export class Adadelta extends Optimizer {
  constructor(params: Params, opts: AdadeltaOptions = {}) {
    checkOptions('Adadelta', opts, OPTIONS);
    super('Adadelta', params, {
      lr: opts.lr ?? 1, rho: opts.rho ?? 0.9, eps: opts.eps ?? 1e-6, weightDecay: opts.weightDecay ?? 0, maximize: opts.maximize ?? false,
    });
  }

  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[] } {
    return { tensors: ['square_avg', 'acc_delta'], numbers: ['step'], required: ['step', 'square_avg', 'acc_delta'] };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('Adadelta', h.lr);
    checkNumber('Adadelta', 'rho value', h.rho, 0);
    if ((h.rho as number) > 1) throw new RangeError(`Adadelta: invalid rho value ${String(h.rho)} (must be in [0, 1])`);
    checkNumber('Adadelta', 'epsilon value', h.eps, 0);
    checkNumber('Adadelta', 'weightDecay value', h.weightDecay, 0);
    checkBool('Adadelta', 'maximize', h.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as AdadeltaHyper;
    if (state.step === undefined) {
      state.step = 0;
      this.setState(state, 'square_avg', zerosLike(p));
      this.setState(state, 'acc_delta', zerosLike(p));
    }
    const { param, state: next } = adadeltaUpdate(p, grad, { squareAvg: state.square_avg as Tensor, accDelta: state.acc_delta as Tensor }, h);
    state.step = (state.step as number) + 1;
    this.setState(state, 'square_avg', next.squareAvg);
    this.setState(state, 'acc_delta', next.accDelta);
    return param;
  }
}
