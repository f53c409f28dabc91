// nn.CosineSimilarity and nn.PairwiseDistance: the functional forms (../../ops/distance.ts) as layers.

import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { checkOpts } from '../../ops/sorting.js';
import { cosineSimilarity, pairwiseDistance, type CosineSimilarityOptions, type PairwiseDistanceOptions } from '../../ops/distance.js';

export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;
  /** defaults dim 1, eps 1e-8 */
  constructor(opts: CosineSimilarityOptions = {}) {
    super();
    checkOpts('CosineSimilarity', opts, ['dim', 'eps']);
    this.dim = opts.dim ?? 1;
    this.eps = opts.eps ?? 1e-8;
  }
  override forward(x1: Tensor, x2: Tensor): Tensor {
    return cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps });
  }
  override extraRepr(): string {
    return `dim=${this.dim}, eps=${this.eps}`;
  }
}

export class PairwiseDistance extends Module {
  readonly p: number;
  readonly eps: number;
  readonly keepdim: boolean;
  /** defaults p 2, eps 1e-6, keepdim false */
  constructor(opts: PairwiseDistanceOptions = {}) {
    super();
    checkOpts('PairwiseDistance', opts, ['p', 'eps', 'keepdim']);
    this.p = opts.p ?? 2;
    this.eps = opts.eps ?? 1e-6;
    this.keepdim = opts.keepdim ?? false;
  }
  override forward(x1: Tensor, x2: Tensor): Tensor {
    return pairwiseDistance(x1, x2, { p: this.p, eps: this.eps, keepdim: this.keepdim });
  }
  override extraRepr(): string {
    return `p=${this.p}, eps=${this.eps}, keepdim=${this.keepdim}`;
  }
}
