// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize — PyTorch's update:
// d = g + wd·p; b = μ·b + (1 − τ)·d (b = d at the first step); p −= lr·(nesterov ? d + μ·b : b).

import type { Tensor } from '../tensor/tensor.js';
import { add, mul, neg, sub, clone } from '../ops/index.js';
import { defineOp } from '../ops/dispatch.js';
import { Optimizer, checkBool, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

export interface SGDHyper { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean }

/** The pure update: new parameter value and momentum buffer (null without momentum). An op: the rewrite table runs Backend.fused.sgdStep for it. */
export const sgdUpdate = defineOp('sgdUpdate', (p: Tensor, g: Tensor, buf: Tensor | null, h: SGDHyper): { param: Tensor; buf: Tensor | null } => {
  let d = h.maximize ? neg(g) : g;
  if (h.weightDecay !== 0) d = add(d, mul(p, h.weightDecay));
  let newBuf: Tensor | null = null;
  if (h.momentum !== 0) {
    newBuf = buf === null ? clone(d) : add(mul(buf, h.momentum), h.dampening === 0 ? d : mul(d, 1 - h.dampening));
    d = h.nesterov ? add(d, mul(newBuf, h.momentum)) : newBuf;
  }
  return { param: sub(p, mul(d, h.lr)), buf: newBuf };
});


export class SGD extends Optimizer {
  constructor(params: Params, opts: SGDOptions = {}) {
    super('SGD', params, {
      lr: opts.lr ?? 1e-3, momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0, nesterov: opts.nesterov ?? false, maximize: opts.maximize ?? false,
    }, opts);
  }

  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[] } {
    return { tensors: ['momentum_buffer'], numbers: [], required: [] };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr('SGD', h.lr);
    checkNumber('SGD', 'momentum value', h.momentum, 0);
    checkNumber('SGD', 'dampening', h.dampening, -Infinity, 'must be a number');
    checkNumber('SGD', 'weightDecay value', h.weightDecay, 0);
    checkBool('SGD', 'nesterov', h.nesterov);
    checkBool('SGD', 'maximize', h.maximize);
    if (h.nesterov && (!((h.momentum as number) > 0) || h.dampening !== 0)) {
      throw new Error(`SGD: Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum ${String(h.momentum)}, dampening ${String(h.dampening)})`);
    }
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const h = group as unknown as SGDHyper;
    const prev = (state.momentum_buffer as Tensor | undefined) ?? null;
    const { param, buf } = sgdUpdate(p, grad, prev, h);
    if (buf) this.setState(state, 'momentum_buffer', buf);
    return param;
  }
}
