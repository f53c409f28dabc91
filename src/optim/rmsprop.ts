// RMSprop with momentum, centering, weight decay and maximize — PyTorch's update:
// v = α·v + (1 − α)·g²; a = √(v − ḡ²) (centered) or √v, plus ε; p −= lr·g/a (or via a momentum buffer).

import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/index.js';
import { zerosLike } from '../tensor/create.js';
import { Optimizer, checkBool, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

export interface RMSpropHyper { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; maximize: boolean }

export interface RMSpropState { squareAvg: Tensor; gradAvg: Tensor | null; momentumBuffer: Tensor | null }

export function rmspropUpdate(p: Tensor, g: Tensor, s: RMSpropState, h: RMSpropHyper): { param: Tensor; state: RMSpropState } {
  let grad = h.maximize ? neg(g) : g;
  if (h.weightDecay !== 0) grad = add(grad, mul(p, h.weightDecay));
  const squareAvg = add(mul(s.squareAvg, h.alpha), mul(mul(grad, grad), 1 - h.alpha));
  let gradAvg: Tensor | null = null;
  let avg: Tensor;
  if (h.centered) {
    gradAvg = add(mul(s.gradAvg!, h.alpha), mul(grad, 1 - h.alpha));
    avg = sqrt(sub(squareAvg, mul(gradAvg, gradAvg)));
  } else avg = sqrt(squareAvg);
  avg = add(avg, h.eps);
  let momentumBuffer: Tensor | null = null;
  let param: Tensor;
  if (h.momentum > 0) {
    momentumBuffer = add(mul(s.momentumBuffer!, h.momentum), div(grad, avg));
    param = sub(p, mul(momentumBuffer, h.lr));
  } else param = sub(p, mul(div(grad, avg), h.lr));
  return { param, state: { squareAvg, gradAvg, momentumBuffer } };
}

export class RMSprop extends Optimizer {
  constructor(params: Params, opts: RMSpropOptions = {}) {
    super('RMSprop', params, {
      lr: opts.lr ?? 1e-2, alpha: opts.alpha ?? 0.99, eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? 0,
      momentum: opts.momentum ?? 0, centered: opts.centered ?? false, maximize: opts.maximize ?? false,
    }, opts);
  }

  protected override stateSpec(group: ParamGroup): { tensors: string[]; numbers: string[]; required: string[] } {
    const h = group as unknown as RMSpropHyper;
    const required = ['step', 'square_avg', ...(h.momentum > 0 ? ['momentum_buffer'] : []), ...(h.centered ? ['grad_avg'] : [])];
    return { tensors: ['square_avg', 'momentum_buffer', 'grad_avg'], numbers: ['step'], required };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('RMSprop', h.lr);
    checkNumber('RMSprop', 'epsilon value', h.eps, 0);
    checkNumber('RMSprop', 'momentum value', h.momentum, 0);
    checkNumber('RMSprop', 'weightDecay value', h.weightDecay, 0);
    checkNumber('RMSprop', 'alpha value', h.alpha, 0);
    checkBool('RMSprop', 'centered', h.centered);
    checkBool('RMSprop', 'maximize', h.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as RMSpropHyper;
    if (state.step === undefined) {
      state.step = 0;
      this.setState(state, 'square_avg', zerosLike(p));
    }
    if (h.momentum > 0 && !state.momentum_buffer) this.setState(state, 'momentum_buffer', zerosLike(p));
    if (h.centered && !state.grad_avg) this.setState(state, 'grad_avg', zerosLike(p));
    const cur: RMSpropState = {
      squareAvg: state.square_avg as Tensor, gradAvg: (state.grad_avg as Tensor | undefined) ?? null,
      momentumBuffer: (state.momentum_buffer as Tensor | undefined) ?? null,
    };
    const { param, state: next } = rmspropUpdate(p, grad, cur, h);
    state.step = (state.step as number) + 1;
    this.setState(state, 'square_avg', next.squareAvg);
    if (next.gradAvg) this.setState(state, 'grad_avg', next.gradAvg);
    if (next.momentumBuffer) this.setState(state, 'momentum_buffer', next.momentumBuffer);
    return param;
  }
}
