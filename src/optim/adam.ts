// Adam and AdamW (decoupled weight decay), with amsgrad and maximize — PyTorch's update:
// m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; p −= lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + ε).

import type { Tensor } from '../tensor/tensor.js';
import { add, div, maximum, mul, neg, sqrt, sub } from '../ops/index.js';
import { zerosLike } from '../tensor/create.js';
import { defineOp } from '../ops/dispatch.js';
import { Optimizer, checkBetas, checkBool, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

export interface AdamHyper { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean }

export interface AdamState { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq: Tensor | null }

/**
 * The pure update (state.step already counts this step). decoupled: AdamW's p·(1 − lr·wd)
 * instead of Adam's L2 term g + wd·p. An op: the rewrite table runs Backend.fused.adamStep for it.
 */
export const adamUpdate = defineOp('adamUpdate', (p: Tensor, g: Tensor, s: AdamState, h: AdamHyper, decoupled: boolean): { param: Tensor; state: AdamState } => {
  const [b1, b2] = h.betas;
  let grad = h.maximize ? neg(g) : g;
  let param = p;
  if (h.weightDecay !== 0) {
    if (decoupled) param = mul(p, 1 - h.lr * h.weightDecay);
    else grad = add(grad, mul(p, h.weightDecay));
  }
  const expAvg = add(mul(s.expAvg, b1), mul(grad, 1 - b1));
  const expAvgSq = add(mul(s.expAvgSq, b2), mul(mul(grad, grad), 1 - b2));
  const bc1 = 1 - b1 ** s.step;
  const bc2 = 1 - b2 ** s.step;
  const stepSize = h.lr / bc1;
  const maxExpAvgSq = h.amsgrad ? maximum(s.maxExpAvgSq!, expAvgSq) : null;
  const denom = add(div(sqrt(maxExpAvgSq ?? expAvgSq), Math.sqrt(bc2)), h.eps);
  return { param: sub(param, mul(div(expAvg, denom), stepSize)), state: { step: s.step, expAvg, expAvgSq, maxExpAvgSq } };
});


abstract class AdamBase extends Optimizer {
  protected abstract readonly decoupled: boolean;

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr(this.name, h.lr);
    checkNumber(this.name, 'epsilon value', h.eps, 0);
    checkBetas(this.name, h.betas);
    checkNumber(this.name, 'weightDecay value', h.weightDecay, 0);
    checkBool(this.name, 'amsgrad', h.amsgrad);
    checkBool(this.name, 'maximize', h.maximize);
  }

  protected override stateSpec(group: ParamGroup): { tensors: string[]; numbers: string[]; required: string[] } {
    const amsgrad = (group as unknown as AdamHyper).amsgrad;
    return { tensors: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'], numbers: ['step'], required: ['step', 'exp_avg', 'exp_avg_sq', ...(amsgrad ? ['max_exp_avg_sq'] : [])] };
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as AdamHyper;
    if (state.step === undefined) {
      state.step = 0;
      this.setState(state, 'exp_avg', zerosLike(p));
      this.setState(state, 'exp_avg_sq', zerosLike(p));
      if (h.amsgrad) this.setState(state, 'max_exp_avg_sq', zerosLike(p));
    }
    if (h.amsgrad && !state.max_exp_avg_sq) this.setState(state, 'max_exp_avg_sq', zerosLike(p));
    const step = (state.step as number) + 1;
    const cur: AdamState = {
      step, expAvg: state.exp_avg as Tensor, expAvgSq: state.exp_avg_sq as Tensor,
      maxExpAvgSq: (state.max_exp_avg_sq as Tensor | undefined) ?? null,
    };
    const { param, state: next } = adamUpdate(p, grad, cur, h, this.decoupled);
    state.step = step;
    this.setState(state, 'exp_avg', next.expAvg);
    this.setState(state, 'exp_avg_sq', next.expAvgSq);
    if (next.maxExpAvgSq) this.setState(state, 'max_exp_avg_sq', next.maxExpAvgSq);
    return param;
  }
}

function adamDefaults(opts: AdamOptions, weightDecay: number): Record<string, unknown> {
  return {
    lr: opts.lr ?? 1e-3, betas: opts.betas ? [...opts.betas] : [0.9, 0.999], eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? weightDecay, amsgrad: opts.amsgrad ?? false, maximize: opts.maximize ?? false,
  };
}

/** Adam; weightDecay adds wd·p to the gradient (L2 regularisation). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Params, opts: AdamOptions = {}) {
    super('Adam', params, adamDefaults(opts, 0), opts);
  }
}

/** AdamW: weight decay applied to the parameter directly (p·(1 − lr·wd)), default 1e-2. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params, opts: AdamOptions = {}) {
    super('AdamW', params, adamDefaults(opts, 1e-2), opts);
  }
}
