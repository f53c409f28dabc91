// The model family for tables: an MLP over standardised numeric columns and categorical columns
// (one-hot in the input, or embedded here), with dropout; no hidden layers is logistic (or linear)
// regression — the baseline trained by the same code.

import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast } from '../ops/layout.js';
import { cat, narrow, reshape } from '../ops/shape.js';
import type { Preprocessor } from '../data/tabular/preprocess.js';
import { featureWidth } from '../data/tabular/preprocess.js';

export interface TabularModelOptions {
  /** hidden layer widths; [] is a linear model (logistic regression for classes) */
  hidden: readonly number[];
  dropout?: number;
  /** embedding width per categorical column (embedding encoding); default min(16, ⌈1.6·levels^0.56⌉), fast.ai's rule */
  embeddingDim?: number;
}

/** An embedding width for a column with `levels` values (fast.ai's rule of thumb, capped at 16). */
export function embeddingWidth(levels: number): number {
  return Math.min(16, Math.ceil(1.6 * levels ** 0.56));
}

export class TabularModel extends nn.Module {
  readonly numNumeric: number;
  readonly embeddings: nn.ModuleList;
  readonly mlp: nn.Sequential;
  readonly outputs: number;

  /** Input: [N, featureWidth(pp)] as transformRows gives; output: class logits [N, C] or [N, 1] for regression. */
  constructor(pp: Preprocessor, opts: TabularModelOptions) {
    super();
    const dropout = opts.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1)) throw new Error(`TabularModel: dropout must be in [0, 1), got ${dropout}`);
    for (const h of opts.hidden) if (!Number.isInteger(h) || h < 1) throw new Error(`TabularModel: hidden widths must be whole numbers ≥ 1, got [${opts.hidden.join(', ')}]`);
    this.numNumeric = pp.numeric.length;
    this.outputs = pp.task === 'classification' ? pp.classes!.length : 1;
    this.embeddings = new nn.ModuleList();
    let width = featureWidth(pp);
    if (pp.encoding === 'embedding') {
      width = this.numNumeric;
      for (const c of pp.categorical) {
        const d = opts.embeddingDim ?? embeddingWidth(c.levels.length);
        this.embeddings.append(new nn.Embedding(c.levels.length, d));
        width += d;
      }
    }
    if (width === 0) throw new Error('TabularModel: no input features');
    const layers: nn.Module[] = [];
    for (const h of opts.hidden) {
      layers.push(new nn.Linear(width, h), new nn.ReLU());
      if (dropout > 0) layers.push(new nn.Dropout(dropout));
      width = h;
    }
    layers.push(new nn.Linear(width, this.outputs));
    this.mlp = new nn.Sequential(...layers);
  }

  override forward(x: Tensor): Tensor {
    const k = this.embeddings.length;
    if (k === 0) return this.mlp.forward(x) as Tensor;
    const parts: Tensor[] = [];
    if (this.numNumeric > 0) parts.push(narrow(x, 1, 0, this.numNumeric));
    for (let i = 0; i < k; i++) {
      const col = reshape(narrow(x, 1, this.numNumeric + i, 1), [x.shape[0]!]);
      parts.push((this.embeddings.at(i) as nn.Embedding).forward(cast(col, 'int32')));
    }
    return this.mlp.forward(cat(parts, 1)) as Tensor;
  }
}
