// nn.EmbeddingBag: an embedding table [numEmbeddings, embeddingDim] (N(0, 1), the padding row
// zeroed) whose lookups are combined per bag by F.embeddingBag — sum, mean or max.

import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/graph.js';
import { Module, type Parameter } from '../module.js';
import { embeddingBag } from '../../ops/embedding-bag.js';
import { checkOpts } from '../../ops/sorting.js';
import { cat, narrow } from '../../ops/shape.js';
import { zeros } from '../../tensor/create.js';
import * as init from '../init.js';
import { checkInt, floatDType, newParam, type DTypeOption } from './util.js';

export interface EmbeddingBagLayerOptions extends DTypeOption {
  /** how a bag's rows combine (default 'mean') */
  mode?: 'sum' | 'mean' | 'max';
  /** this row starts at zero and its indices are left out of their bags; negative counts from the end */
  paddingIdx?: number | null;
  /** offsets has one more entry, the end of the last bag (default false) */
  includeLastOffset?: boolean;
}

export class EmbeddingBag extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly mode: 'sum' | 'mean' | 'max';
  readonly paddingIdx: number | null;
  readonly includeLastOffset: boolean;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingBagLayerOptions = {}) {
    super();
    // PyTorch's maxNorm, scaleGradByFreq and sparse are not here: an error, never silently ignored
    checkOpts('EmbeddingBag', opts, ['mode', 'paddingIdx', 'includeLastOffset', 'dtype']);
    this.numEmbeddings = checkInt('EmbeddingBag', 'numEmbeddings', numEmbeddings, 1);
    this.embeddingDim = checkInt('EmbeddingBag', 'embeddingDim', embeddingDim, 1);
    this.mode = opts.mode ?? 'mean';
    if (!['sum', 'mean', 'max'].includes(this.mode)) throw new TypeError(`EmbeddingBag: mode must be 'sum', 'mean' or 'max', got '${String(this.mode)}'`);
    const p = opts.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings)) {
      throw new RangeError(`EmbeddingBag: paddingIdx must be within [${-numEmbeddings}, ${numEmbeddings - 1}], got ${p}`);
    }
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    this.includeLastOffset = opts.includeLastOffset ?? false;
    this.weight = newParam([numEmbeddings, embeddingDim], floatDType('EmbeddingBag', opts.dtype));
    this.resetParameters();
  }

  /** N(0, 1), then the padding row zeroed (as torch.nn.EmbeddingBag.reset_parameters). */
  resetParameters(): void {
    init.normal_(this.weight);
    const p = this.paddingIdx;
    if (p === null) return;
    noGrad(() => {
      const w = this.weight, n = this.numEmbeddings;
      const parts: Tensor[] = [];
      if (p > 0) parts.push(narrow(w, 0, 0, p));
      parts.push(zeros([1, this.embeddingDim], { dtype: w.dtype }));
      if (p < n - 1) parts.push(narrow(w, 0, p + 1, n - p - 1));
      const out = cat(parts, 0);
      for (const t of parts) t.dispose();
      w._assign(out);
      out.dispose();
    });
  }

  get label(): string {
    return `EmbeddingBag(${this.numEmbeddings}, ${this.embeddingDim})`;
  }

  /** input [B, L] (each row a bag), or 1-D with offsets; perSampleWeights with mode 'sum' → [B, embeddingDim]. */
  override forward(input: Tensor, offsets: Tensor | null = null, perSampleWeights: Tensor | null = null): Tensor {
    try {
      return embeddingBag(input, this.weight, { offsets, perSampleWeights, mode: this.mode, paddingIdx: this.paddingIdx, includeLastOffset: this.includeLastOffset });
    } catch (e) {
      if (e instanceof Error) e.message = `${this.label}: ${e.message}`;
      throw e;
    }
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, mode='${this.mode}'${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`}`;
  }
}
