// SparseAdam (torch.optim.SparseAdam): Adam on the rows an nn.Embedding({sparse: true}) looked up —
// the moments and weights of other rows stay as they are ("lazy" Adam). Parameters with dense
// gradients (the rest of a model) get the ordinary Adam update, so one optimizer trains a recommender.

import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, sqrt, sub } from '../ops/elementwise.js';
import { indexAdd, indexSelect } from '../ops/indexing.js';
import { tensor, zerosLike } from '../tensor/create.js';
import { enableGrad, noGrad } from '../autograd/graph.js';
import { scope } from '../tensor/memory.js';
import { takeSparseGrad } from '../nn/sparse-grad.js';
import { adamUpdate } from './adam.js';
import { Optimizer, checkBetas, checkLr, checkNumber, type ParamGroup, type ParamState, type Params } from './optimizer.js';

export interface SparseAdamOptions { lr?: number; betas?: [number, number]; eps?: number }

export class SparseAdam extends Optimizer {
  constructor(params: Params, opts: SparseAdamOptions = {}) {
    super('SparseAdam', params, { lr: opts.lr ?? 1e-3, betas: opts.betas ? [...opts.betas] : [0.9, 0.999], eps: opts.eps ?? 1e-8 }, opts);
  }

  protected override stateSpec(): { tensors: string[]; numbers: string[]; required: string[] } {
    return { tensors: ['exp_avg', 'exp_avg_sq'], numbers: ['step'], required: ['step', 'exp_avg', 'exp_avg_sq'] };
  }

  protected override checkHyper(h: Record<string, unknown>): void {
    checkLr(this.name, h.lr);
    checkNumber(this.name, 'epsilon value', h.eps, 0);
    checkBetas(this.name, h.betas);
  }

  /** Dense gradients: Adam's update (no weight decay). */
  protected override update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): Tensor {
    const step = this.begin(p, state);
    const { param, state: next } = adamUpdate(p, grad, { step, expAvg: state.exp_avg as Tensor, expAvgSq: state.exp_avg_sq as Tensor, maxExpAvgSq: null },
      { lr: group.lr, betas: group.betas as [number, number], eps: group.eps as number, weightDecay: 0, amsgrad: false, maximize: false }, false);
    this.setState(state, 'exp_avg', next.expAvg);
    this.setState(state, 'exp_avg_sq', next.expAvgSq);
    return param;
  }

  private begin(p: Tensor, state: ParamState): number {
    if (state.step === undefined) {
      state.step = 0;
      this.setState(state, 'exp_avg', zerosLike(p));
      this.setState(state, 'exp_avg_sq', zerosLike(p));
    }
    return (state.step = (state.step as number) + 1);
  }

  /** Sparse gradients first (row updates, as PyTorch computes them), then the dense ones. */
  override step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          scope(() => {
            const g = takeSparseGrad(p);
            if (!g) return;
            p._live('SparseAdam.step');
            let state = this.state.get(p);
            if (!state) this.state.set(p, (state = {}));
            const step = this.begin(p, state);
            const [b1, b2] = group.betas as [number, number];
            const at = tensor(g.indices);
            const m = state.exp_avg as Tensor, v = state.exp_avg_sq as Tensor;
            const mOld = indexSelect(m, 0, at), vOld = indexSelect(v, 0, at);
            const mUpd = mul(sub(g.values, mOld), 1 - b1);
            const vUpd = mul(sub(mul(g.values, g.values), vOld), 1 - b2);
            this.setState(state, 'exp_avg', indexAdd(m, 0, at, mUpd));
            this.setState(state, 'exp_avg_sq', indexAdd(v, 0, at, vUpd));
            const numer = add(mUpd, mOld);
            const denom = add(sqrt(add(vUpd, vOld)), group.eps as number);
            const stepSize = (group.lr * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step);
            p._assign(indexAdd(p, 0, at, mul(div(numer, denom), -stepSize)));
          });
        }
      }
    });
    super.step();
    return loss;
  }
}
