// Recommender model families over (user, item) pairs given as int32 [B, 2]: matrix factorisation
// with biases (μ + b_u + b_i + p_u·q_i) and neural collaborative filtering (NeuMF: a generalised
// MF branch beside an MLP over user and item embeddings). Embeddings are sparse (train with SparseAdam).

import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, mul, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { cat, narrow, reshape } from '../ops/shape.js';
import { tensor } from '../tensor/create.js';

function checkPairs(name: string, x: Tensor): void {
  if (x.dtype !== 'int32' || x.ndim !== 2 || x.shape[1] !== 2) throw new TypeError(`${name}: expects int32 (user, item) pairs of shape [B, 2], got ${x.dtype} [${x.shape.join(', ')}]`);
}
const column = (x: Tensor, j: number): Tensor => reshape(narrow(x, 1, j, 1), [x.shape[0]!]);

function normal(e: nn.Embedding, std: number): nn.Embedding {
  nn.init.normal_(e.weight, 0, std);
  return e;
}

export interface RecommenderShape { users: number; items: number }

/** μ + b_u + b_i + p_u·q_i; `penalty()` is the last forward's mean ‖p_u‖² + ‖q_i‖² (L2 on the rows used). */
export class MatrixFactorization extends nn.Module {
  readonly userFactors: nn.Embedding;
  readonly itemFactors: nn.Embedding;
  readonly userBias: nn.Embedding;
  readonly itemBias: nn.Embedding;
  private lastPenalty: Tensor | null = null;

  constructor(shape: RecommenderShape, opts: { dim: number; globalMean?: number; sparse?: boolean }) {
    super();
    const sparse = opts.sparse ?? true;
    this.userFactors = normal(new nn.Embedding(shape.users, opts.dim, { sparse }), 0.01);
    this.itemFactors = normal(new nn.Embedding(shape.items, opts.dim, { sparse }), 0.01);
    this.userBias = new nn.Embedding(shape.users, 1, { sparse });
    this.itemBias = new nn.Embedding(shape.items, 1, { sparse });
    nn.init.zeros_(this.userBias.weight);
    nn.init.zeros_(this.itemBias.weight);
    this.registerBuffer('global_mean', tensor([opts.globalMean ?? 0]));
  }

  override forward(x: Tensor): Tensor {
    checkPairs('MatrixFactorization', x);
    const u = column(x, 0), i = column(x, 1);
    const p = this.userFactors.forward(u), q = this.itemFactors.forward(i);
    const b = add(reshape(this.userBias.forward(u), [u.shape[0]!]), reshape(this.itemBias.forward(i), [i.shape[0]!]));
    if (this.training) this.lastPenalty = add(sum(square(p)), sum(square(q))).div(u.shape[0]!);
    return add(add(sum(mul(p, q), 1), b), this.getBuffer('global_mean')!);
  }

  /** The L2 term of the last training forward (to add to the loss, times the regularisation weight). */
  penalty(): Tensor {
    if (!this.lastPenalty) throw new Error('MatrixFactorization.penalty: call forward in training mode first');
    return this.lastPenalty;
  }
}

/**
 * NeuMF (He et al., 2017): GMF(p_u ⊙ q_i) beside MLP([p'_u, q'_i]) through hidden layers, joined by
 * one linear layer; plus the global mean for ratings (0 for ranking logits).
 */
export class NeuralCF extends nn.Module {
  readonly gmfUser: nn.Embedding;
  readonly gmfItem: nn.Embedding;
  readonly mlpUser: nn.Embedding;
  readonly mlpItem: nn.Embedding;
  readonly mlp: nn.Sequential;
  readonly out: nn.Linear;

  constructor(shape: RecommenderShape, opts: { dim: number; hidden?: readonly number[]; dropout?: number; globalMean?: number; sparse?: boolean }) {
    super();
    const sparse = opts.sparse ?? true;
    const hidden = opts.hidden ?? [64, 32, 16];
    this.gmfUser = normal(new nn.Embedding(shape.users, opts.dim, { sparse }), 0.01);
    this.gmfItem = normal(new nn.Embedding(shape.items, opts.dim, { sparse }), 0.01);
    this.mlpUser = normal(new nn.Embedding(shape.users, opts.dim, { sparse }), 0.01);
    this.mlpItem = normal(new nn.Embedding(shape.items, opts.dim, { sparse }), 0.01);
    const layers: nn.Module[] = [];
    let w = 2 * opts.dim;
    for (const h of hidden) {
      layers.push(new nn.Linear(w, h), new nn.ReLU());
      if (opts.dropout) layers.push(new nn.Dropout(opts.dropout));
      w = h;
    }
    this.mlp = new nn.Sequential(...layers);
    this.out = new nn.Linear(opts.dim + w, 1);
    this.registerBuffer('global_mean', tensor([opts.globalMean ?? 0]));
  }

  override forward(x: Tensor): Tensor {
    checkPairs('NeuralCF', x);
    const u = column(x, 0), i = column(x, 1);
    const g = mul(this.gmfUser.forward(u), this.gmfItem.forward(i));
    const h = this.mlp.forward(cat([this.mlpUser.forward(u), this.mlpItem.forward(i)], 1)) as Tensor;
    return add(reshape(this.out.forward(cat([g, h], 1)), [u.shape[0]!]), this.getBuffer('global_mean')!);
  }
}

