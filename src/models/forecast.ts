// Sequence-to-one forecasters over rolling windows [N, L, features] → [N, outputs]: an LSTM (the last
// hidden state through a linear layer) and a temporal convolution network (causal dilated Conv1d
// blocks with residual connections, the last time step through a linear layer).

import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, relu } from '../ops/elementwise.js';
import { pad, reshape, select, transpose } from '../ops/shape.js';

function checkWindow(name: string, x: Tensor, features: number): void {
  if (x.ndim !== 3 || x.shape[2] !== features) throw new Error(`${name}: expects windows [N, L, ${features}], got [${x.shape.join(', ')}]`);
}

export class LSTMForecaster extends nn.Module {
  readonly lstm: nn.LSTM;
  readonly head: nn.Linear;
  readonly dropout: nn.Dropout;
  constructor(readonly features: number, outputs: number, opts: { hidden?: number; layers?: number; dropout?: number } = {}) {
    super();
    const h = opts.hidden ?? 32;
    this.lstm = new nn.LSTM(features, h, { batchFirst: true, numLayers: opts.layers ?? 1 });
    this.dropout = new nn.Dropout(opts.dropout ?? 0);
    this.head = new nn.Linear(h, outputs);
  }
  override forward(x: Tensor): Tensor {
    checkWindow('LSTMForecaster', x, this.features);
    const [out] = this.lstm.forward(x);
    return this.head.forward(this.dropout.forward(select(out, 1, x.shape[1]! - 1))) as Tensor;
  }
}

/** Two causal dilated convolutions (left padding only: output t sees inputs ≤ t) and a residual. */
class TemporalBlock extends nn.Module {
  readonly conv1: nn.Conv1d;
  readonly conv2: nn.Conv1d;
  readonly skip: nn.Conv1d | null;
  readonly dropout: nn.Dropout;
  constructor(cin: number, cout: number, readonly kernel: number, readonly dilation: number, dropout: number) {
    super();
    this.conv1 = new nn.Conv1d(cin, cout, kernel, { dilation });
    this.conv2 = new nn.Conv1d(cout, cout, kernel, { dilation });
    this.skip = cin === cout ? null : new nn.Conv1d(cin, cout, 1);
    this.dropout = new nn.Dropout(dropout);
  }
  private causal(conv: nn.Conv1d, x: Tensor): Tensor {
    return conv.forward(pad(x, [(this.kernel - 1) * this.dilation, 0])) as Tensor;
  }
  override forward(x: Tensor): Tensor {
    const h = this.dropout.forward(relu(this.causal(this.conv1, x)));
    const h2 = this.dropout.forward(relu(this.causal(this.conv2, h)));
    return relu(add(h2, this.skip ? (this.skip.forward(x) as Tensor) : x));
  }
}

export class TCNForecaster extends nn.Module {
  readonly blocks: nn.Sequential;
  readonly head: nn.Linear;
  /** how many past steps the last output sees: 1 + 2·(kernel − 1)·Σ dilations */
  readonly receptiveField: number;
  constructor(readonly features: number, outputs: number, opts: { channels?: number; kernel?: number; dilations?: readonly number[]; dropout?: number } = {}) {
    super();
    const c = opts.channels ?? 16, k = opts.kernel ?? 3, dil = opts.dilations ?? [1, 2, 4, 8];
    this.blocks = new nn.Sequential(...dil.map((d, i) => new TemporalBlock(i === 0 ? features : c, c, k, d, opts.dropout ?? 0)));
    this.head = new nn.Linear(c, outputs);
    this.receptiveField = 1 + 2 * (k - 1) * dil.reduce((a, b) => a + b, 0);
  }
  override forward(x: Tensor): Tensor {
    checkWindow('TCNForecaster', x, this.features);
    const h = this.blocks.forward(transpose(x, 1, 2)) as Tensor; // [N, C, L]
    return this.head.forward(reshape(select(h, 2, x.shape[1]! - 1), [x.shape[0]!, h.shape[1]!])) as Tensor;
  }
}
