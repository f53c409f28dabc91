// NAdam (Adam with Nesterov momentum and a momentum schedule), with weight decay (L2 or decoupled)
// and maximize — PyTorch's update: μ_t = β1·(1 − ½·0.96^(t·ψ)); m, v as Adam;
// p −= lr·(1 − μ_t)/(1 − Πμ)·g/d + lr·μ_{t+1}/(1 − Πμ·μ_{t+1})·m/d with d = √(v/(1 − β2ᵗ)) + ε.

import { Tensor } from '../tensor/tensor.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { zerosLike } from '../tensor/create.js';
import { checkOptions } from '../options.js';
import { Optimizer, checkBetas, checkBool, checkLr, checkNumber, type OptimizerStateDict, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface NAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** ψ in the momentum schedule (default 4e-3) */
  momentumDecay?: number;
  /** AdamW-style weight decay p·(1 − lr·wd) instead of adding wd·p to the gradient (PyTorch ≥ 2.1) */
  decoupledWeightDecay?: boolean;
  /** ascend the objective (PyTorch ≥ 2.1) */
  maximize?: boolean;
}

export interface NAdamHyper {
  lr: number; betas: [number, number]; eps: number; weightDecay: number; momentumDecay: number; decoupledWeightDecay: boolean; maximize: boolean;
}

export interface NAdamState { expAvg: Tensor; expAvgSq: Tensor; muProduct: number }

/**
 * The pure update at step t (1-based); muProduct is Π μ over the earlier steps. PyTorch keeps that
 * product in a float32 scalar tensor, so it is rounded to float32 here too. Π μ up to t + 1 is
 * muProduct·μ_{t+1}, as in PyTorch ≥ 2.0 (1.13 multiplied by μ_t once more: pytorch/pytorch#92699).
 */
export function nadamUpdate(p: Tensor, g: Tensor, s: NAdamState, step: number, h: NAdamHyper): { param: Tensor; state: NAdamState } {
  const [b1, b2] = h.betas;
  let grad = h.maximize ? neg(g) : g;
  let param = p;
  if (h.weightDecay !== 0) {
    if (h.decoupledWeightDecay) param = mul(p, 1 - h.lr * h.weightDecay);
    else grad = add(grad, mul(p, h.weightDecay));
  }
  const bc2 = 1 - b2 ** step;
  const mu = b1 * (1 - 0.5 * 0.96 ** (step * h.momentumDecay));
  const muNext = b1 * (1 - 0.5 * 0.96 ** ((step + 1) * h.momentumDecay));
  const muProduct = Math.fround(s.muProduct * mu);
  const muProductNext = muProduct * muNext;
  const expAvg = add(mul(s.expAvg, b1), mul(grad, 1 - b1));
  const expAvgSq = add(mul(s.expAvgSq, b2), mul(mul(grad, grad), 1 - b2));
  const denom = add(sqrt(div(expAvgSq, bc2)), h.eps);
  param = sub(param, mul(div(grad, denom), (h.lr * (1 - mu)) / (1 - muProduct)));
  param = sub(param, mul(div(expAvg, denom), (h.lr * muNext) / (1 - muProductNext)));
  return { param, state: { expAvg, expAvgSq, muProduct } };
}

const OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'momentumDecay', 'decoupledWeightDecay', 'maximize'];

export class NAdam extends Optimizer {
  constructor(params: Params, opts: NAdamOptions = {}) {
    checkOptions('NAdam', opts, OPTIONS);
    super('NAdam', params, {
      lr: opts.lr ?? 2e-3, betas: opts.betas ? [...opts.betas] : [0.9, 0.999], eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? 0,
      momentumDecay: opts.momentumDecay ?? 4e-3, decoupledWeightDecay: opts.decoupledWeightDecay ?? false, maximize: opts.maximize ?? false,
    });
  }

  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[]; reals: string[] } {
    return { tensors: ['exp_avg', 'exp_avg_sq'], numbers: ['step'], reals: ['mu_product'], required: ['step', 'mu_product', 'exp_avg', 'exp_avg_sq'] };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('NAdam', h.lr);
    checkNumber('NAdam', 'epsilon value', h.eps, 0);
    checkBetas('NAdam', h.betas);
    checkNumber('NAdam', 'weightDecay value', h.weightDecay, 0);
    checkNumber('NAdam', 'momentumDecay value', h.momentumDecay, 0);
    checkBool('NAdam', 'decoupledWeightDecay', h.decoupledWeightDecay);
    checkBool('NAdam', 'maximize', h.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as NAdamHyper;
    if (state.step === undefined) {
      state.step = 0;
      state.mu_product = 1;
      this.setState(state, 'exp_avg', zerosLike(p));
      this.setState(state, 'exp_avg_sq', zerosLike(p));
    }
    const step = (state.step as number) + 1;
    const cur: NAdamState = { expAvg: state.exp_avg as Tensor, expAvgSq: state.exp_avg_sq as Tensor, muProduct: state.mu_product as number };
    const { param, state: next } = nadamUpdate(p, grad, cur, step, h);
    state.step = step;
    state.mu_product = next.muProduct;
    this.setState(state, 'exp_avg', next.expAvg);
    this.setState(state, 'exp_avg_sq', next.expAvgSq);
    return param;
  }

  /** As Optimizer's; PyTorch's state holds mu_product as a 0-d tensor, which loads as the number it is. */
  override loadStateDict(sd: OptimizerStateDict, opts: { source?: string } = {}): void {
    if (sd && typeof sd === 'object' && sd.state && typeof sd.state === 'object') {
      const state: Record<number, ParamState> = {};
      for (const [k, s] of Object.entries(sd.state)) {
        const mp = s?.mu_product;
        if (mp instanceof Tensor && mp.numel() !== 1) throw new Error(`NAdam.loadStateDict: state 'mu_product' of parameter ${k} must be one number, got a tensor of shape [${mp.shape.join(', ')}]`);
        const v = mp instanceof Tensor ? mp.item() : mp;
        if (mp !== undefined && (typeof v !== 'number' || !(v > 0 && v <= 1))) throw new Error(`NAdam.loadStateDict: state 'mu_product' of parameter ${k} must be a number in (0, 1], got ${String(v)}`);
        state[Number(k)] = mp === undefined ? s : { ...s, mu_product: v as number };
      }
      sd = { ...sd, state };
    }
    super.loadStateDict(sd, opts);
  }
}
