// RAdam (Adam with the variance of its adaptive rate rectified), with weight decay (L2 or
// decoupled) and maximize — PyTorch's update: with ρ∞ = 2/(1 − β2) − 1 and
// ρ_t = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ), p −= lr·m̂·r_t·√(1 − β2ᵗ)/(√v + ε) when ρ_t > 5, else p −= lr·m̂.

import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { zerosLike } from '../tensor/create.js';
import { checkOptions } from '../options.js';
import { Optimizer, checkBetas, checkBool, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface RAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** AdamW-style weight decay p·(1 − lr·wd) instead of adding wd·p to the gradient (PyTorch ≥ 2.1) */
  decoupledWeightDecay?: boolean;
  /** ascend the objective (PyTorch ≥ 2.1) */
  maximize?: boolean;
}

export interface RAdamHyper { lr: number; betas: [number, number]; eps: number; weightDecay: number; decoupledWeightDecay: boolean; maximize: boolean }

export interface RAdamState { expAvg: Tensor; expAvgSq: Tensor }

/** The pure update at step t (1-based). */
export function radamUpdate(p: Tensor, g: Tensor, s: RAdamState, step: number, h: RAdamHyper): { param: Tensor; state: RAdamState } {
  const [b1, b2] = h.betas;
  let grad = h.maximize ? neg(g) : g;
  let param = p;
  if (h.weightDecay !== 0) {
    if (h.decoupledWeightDecay) param = mul(p, 1 - h.lr * h.weightDecay);
    else grad = add(grad, mul(p, h.weightDecay));
  }
  const bc1 = 1 - b1 ** step;
  const bc2 = 1 - b2 ** step;
  const expAvg = add(mul(s.expAvg, b1), mul(grad, 1 - b1));
  const expAvgSq = add(mul(s.expAvgSq, b2), mul(mul(grad, grad), 1 - b2));
  const corrected = div(expAvg, bc1);
  const rhoInf = 2 / (1 - b2) - 1;
  const rhoT = rhoInf - (2 * step * b2 ** step) / bc2;
  let upd: Tensor;
  if (rhoT > 5) {
    const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
    const adaptive = div(Math.sqrt(bc2), add(sqrt(expAvgSq), h.eps));
    upd = mul(mul(mul(corrected, h.lr), adaptive), rect);
  } else upd = mul(corrected, h.lr);
  return { param: sub(param, upd), state: { expAvg, expAvgSq } };
}

const OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'decoupledWeightDecay', 'maximize'];

export class RAdam extends Optimizer {
  constructor(params: Params, opts: RAdamOptions = {}) {
    checkOptions('RAdam', opts, OPTIONS);
    super('RAdam', params, {
      lr: opts.lr ?? 1e-3, betas: opts.betas ? [...opts.betas] : [0.9, 0.999], eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? 0,
      decoupledWeightDecay: opts.decoupledWeightDecay ?? false, maximize: opts.maximize ?? false,
    });
  }

  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[] } {
    return { tensors: ['exp_avg', 'exp_avg_sq'], numbers: ['step'], required: ['step', 'exp_avg', 'exp_avg_sq'] };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('RAdam', h.lr);
    checkNumber('RAdam', 'epsilon value', h.eps, 0);
    checkBetas('RAdam', h.betas);
    checkNumber('RAdam', 'weightDecay value', h.weightDecay, 0);
    checkBool('RAdam', 'decoupledWeightDecay', h.decoupledWeightDecay);
    checkBool('RAdam', 'maximize', h.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as RAdamHyper;
    if (state.step === undefined) {
      state.step = 0;
      this.setState(state, 'exp_avg', zerosLike(p));
      this.setState(state, 'exp_avg_sq', zerosLike(p));
    }
    const step = (state.step as number) + 1;
    const { param, state: next } = radamUpdate(p, grad, { expAvg: state.exp_avg as Tensor, expAvgSq: state.exp_avg_sq as Tensor }, step, h);
    state.step = step;
    this.setState(state, 'exp_avg', next.expAvg);
    this.setState(state, 'exp_avg_sq', next.expAvgSq);
    return param;
  }
}
