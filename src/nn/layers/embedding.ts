// nn.Embedding: a lookup table [numEmbeddings, embeddingDim] initialised from N(0, 1); the row
// at paddingIdx starts at zero and never gets a gradient, as in PyTorch. With {sparse: true} the
// gradient covers only the rows a step looked up (see ../sparse-grad.ts; optim.SparseAdam uses it).

import type { Tensor } from '../../tensor/tensor.js';
import { isGradEnabled, noGrad } from '../../autograd/graph.js';
import { indexSelect } from '../../ops/indexing.js';
import { tensor } from '../../tensor/create.js';
import { addSparseLookup } from '../sparse-grad.js';
import { Module, type Parameter } from '../module.js';
import { embedding, narrow, cat } from '../../ops/index.js';
import { zeros } from '../../tensor/create.js';
import * as init from '../init.js';
import { checkInt, floatDType, newParam, type DTypeOption } from './util.js';

export interface EmbeddingOptions extends DTypeOption {
  /** this row is zero at init and receives no gradient; negative counts from the end */
  paddingIdx?: number | null;
  /**
   * Sparse gradients (PyTorch's sparse=True): backward gives the rows looked up, not a dense table;
   * train the weight with optim.SparseAdam (dense optimizers refuse it, as PyTorch's do).
   */
  sparse?: boolean;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly sparse: boolean;
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
    this.sparse = opts.sparse ?? false;
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
      if (this.sparse && isGradEnabled() && this.weight.requiresGrad) return this.sparseLookup(idx);
      return embedding(idx, this.weight, { paddingIdx: this.paddingIdx });
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`${this.label}: ${e.message}`);
      throw e;
    }
  }

  /**
   * The rows this lookup touches, copied into a leaf that stands in for the weight in the graph:
   * backward fills that leaf's [rows, dim] gradient, which the optimizer takes as the sparse one.
   */
  private sparseLookup(idx: Tensor): Tensor {
    const n = this.numEmbeddings;
    const data = idx.dataSync();
    const touched = new Set<number>();
    for (const v of data) {
      if (!(v >= 0 && v < n)) throw new RangeError(`embedding: index ${v} is out of range for an embedding of ${n} rows`);
      touched.add(v);
    }
    const rowsIdx = Int32Array.from([...touched].sort((a, b) => a - b));
    const at = new Map<number, number>();
    rowsIdx.forEach((v, k) => at.set(v, k));
    const local = tensor(Int32Array.from(data, (v) => at.get(v)!), { shape: idx.shape });
    const sel = tensor(rowsIdx);
    const rows = noGrad(() => indexSelect(this.weight, 0, sel)).requiresGrad_();
    sel.dispose();
    addSparseLookup(this.weight, rowsIdx, rows);
    const p = this.paddingIdx;
    const out = embedding(local, rows, { paddingIdx: p === null ? null : at.get(p) ?? null });
    local.dispose();
    return out;
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}${this.sparse ? ', sparse=True' : ''}`;
  }
}
