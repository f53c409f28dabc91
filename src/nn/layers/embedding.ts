// nn.Embedding: a lookup table [numEmbeddings, embeddingDim] initialised from N(0, 1); the row
// at paddingIdx starts at zero and never gets a gradient, as in PyTorch.

import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/graph.js';
import { Module, type Parameter } from '../module.js';
import { embedding, narrow, cat } from '../../ops/index.js';
import { zeros } from '../../tensor/create.js';
import * as init from '../init.js';
import { checkInt, floatDType, newParam, type DTypeOption } from './util.js';

export interface EmbeddingOptions extends DTypeOption {
  /** this row is zero at init and receives no gradient; negative counts from the end */
  paddingIdx?: number | null;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkInt('Embedding', 'numEmbeddings', numEmbeddings, 1);
    this.embeddingDim = checkInt('Embedding', 'embeddingDim', embeddingDim, 0);
    const p = opts.paddingIdx ?? null;
    if (p !== null) {
      if (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings) {
        throw new RangeError(`Embedding: paddingIdx must be within [${-numEmbeddings}, ${numEmbeddings - 1}], got ${p}`);
      }
    }
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = newParam([numEmbeddings, embeddingDim], floatDType('Embedding', opts.dtype));
    this.resetParameters();
  }

  /** N(0, 1), then the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    this.zeroPaddingRow();
  }

  private zeroPaddingRow(): void {
    const p = this.paddingIdx;
    if (p === null) return;
    noGrad(() => {
      const w = this.weight;
      const parts: Tensor[] = [];
      if (p > 0) parts.push(narrow(w, 0, 0, p));
      parts.push(zeros([1, this.embeddingDim], { dtype: w.dtype }));
      if (p < this.numEmbeddings - 1) parts.push(narrow(w, 0, p + 1, this.numEmbeddings - p - 1));
      const out = cat(parts, 0);
      for (const t of parts) t.dispose();
      w._assign(out);
      out.dispose();
    });
  }

  /**
   * An Embedding holding a copy of `embeddings` [numEmbeddings, embeddingDim], frozen unless
   * {freeze: false} (torch.nn.Embedding.from_pretrained; the padding row is kept as given).
   */
  static fromPretrained(embeddings: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new Error(`Embedding.fromPretrained: embeddings must be 2-D [numEmbeddings, embeddingDim], got [${embeddings.shape.join(', ')}]`);
    const [n, d] = embeddings.shape as [number, number];
    const e = new Embedding(n, d, { paddingIdx: opts.paddingIdx, dtype: embeddings.dtype });
    noGrad(() => {
      const c = embeddings.detach().clone();
      e.weight._assign(c);
      c.dispose();
    });
    if (opts.freeze ?? true) e.weight.requiresGrad_(false);
    return e;
  }

  get label(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }

  /** int32 indices of any shape → [...shape, embeddingDim]. */
  override forward(idx: Tensor): Tensor {
    if (idx.dtype !== 'int32') throw new TypeError(`${this.label}: expected int32 indices, got ${idx.dtype} (shape [${idx.shape.join(', ')}])`);
    try {
      return embedding(idx, this.weight, { paddingIdx: this.paddingIdx });
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`${this.label}: ${e.message}`);
      throw e;
    }
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
