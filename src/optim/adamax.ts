// Adamax (Adam with the infinity norm), with weight decay and maximize — PyTorch's update:
// m = β1·m + (1 − β1)·g; u = max(β2·u, |g| + ε); p −= lr/(1 − β1ᵗ) · m/u.

import type { Tensor } from '../tensor/tensor.js';
import { abs, add, div, maximum, mul, neg, sub } from '../ops/elementwise.js';
import { zerosLike } from '../tensor/create.js';
import { checkOptions } from '../options.js';
import { Optimizer, checkBetas, checkBool, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface AdamaxOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export interface AdamaxHyper { lr: number; betas: [number, number]; eps: number; weightDecay: number; maximize: boolean }

export interface AdamaxState { expAvg: Tensor; expInf: Tensor }

/** The pure update at step t (1-based). */
export function adamaxUpdate(p: Tensor, g: Tensor, s: AdamaxState, step: number, h: AdamaxHyper): { param: Tensor; state: AdamaxState } {
  const [b1, b2] = h.betas;
  let grad = h.maximize ? neg(g) : g;
  if (h.weightDecay !== 0) grad = add(grad, mul(p, h.weightDecay));
  const expAvg = add(mul(s.expAvg, b1), mul(grad, 1 - b1));
  const expInf = maximum(mul(s.expInf, b2), add(abs(grad), h.eps));
  const clr = h.lr / (1 - b1 ** step);
  return { param: sub(p, mul(div(expAvg, expInf), clr)), state: { expAvg, expInf } };
}

const OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'maximize'];

export class Adamax extends Optimizer {
  constructor(params: Params, opts: AdamaxOptions = {}) {
    checkOptions('Adamax', opts, OPTIONS);
    super('Adamax', params, {
      lr: opts.lr ?? 2e-3, betas: opts.betas ? [...opts.betas] : [0.9, 0.999], eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0, maximize: opts.maximize ?? false,
    });
  }

  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[] } {
    return { tensors: ['exp_avg', 'exp_inf'], numbers: ['step'], required: ['step', 'exp_avg', 'exp_inf'] };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('Adamax', h.lr);
    checkNumber('Adamax', 'epsilon value', h.eps, 0);
    checkBetas('Adamax', h.betas);
    checkNumber('Adamax', 'weightDecay value', h.weightDecay, 0);
    checkBool('Adamax', 'maximize', h.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as AdamaxHyper;
    if (state.step === undefined) {
      state.step = 0;
      this.setState(state, 'exp_avg', zerosLike(p));
      this.setState(state, 'exp_inf', zerosLike(p));
    }
    const step = (state.step as number) + 1;
    const { param, state: next } = adamaxUpdate(p, grad, { expAvg: state.exp_avg as Tensor, expInf: state.exp_inf as Tensor }, step, h);
    state.step = step;
    this.setState(state, 'exp_avg', next.expAvg);
    this.setState(state, 'exp_inf', next.expInf);
    return param;
  }
}
