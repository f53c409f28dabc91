// nn.LSTMCell: one LSTM step, with PyTorch's parameter names (weight_ih, weight_hh, bias_ih, bias_hh),
// gate order (i, f, g, o), U(−1/√hidden, 1/√hidden) init, unbatched input and zero default state.

import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { rand, zeros } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { Module, Parameter } from './module.js';
import { add, linear, mul, narrow, sigmoid, squeeze, tanh, unsqueeze } from '../ops/index.js';
import { fmt } from '../tensor/shape.js';

export interface RNNCellOptions {
  /** use bias_ih / bias_hh (default true) */
  bias?: boolean;
  /** parameter dtype (default float32) */
  dtype?: DType;
}

export class LSTMCell extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  declare weight_ih: Parameter;
  declare weight_hh: Parameter;
  declare bias_ih: Parameter | null;
  declare bias_hh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super();
    for (const [name, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`LSTMCell: ${name} must be an integer ≥ 1, got ${v}`);
    }
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`LSTMCell: dtype must be float32 or float64, got ${dtype}`);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = opts.bias ?? true;
    const k = 1 / Math.sqrt(hiddenSize);
    const uniform = (shape: number[]): Parameter => scope(() => noGrad(() => new Parameter(rand(shape, { dtype }).mul(2 * k).sub(k))));
    this.registerParameter('weight_ih', uniform([4 * hiddenSize, inputSize]));
    this.registerParameter('weight_hh', uniform([4 * hiddenSize, hiddenSize]));
    this.registerParameter('bias_ih', this.bias ? uniform([4 * hiddenSize]) : null);
    this.registerParameter('bias_hh', this.bias ? uniform([4 * hiddenSize]) : null);
  }

  /** input [N, in] (or [in]); hx = [h, c], each [N, H] (or [H]), zeros when left out → [h', c']. */
  override forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const label = `LSTMCell(${this.inputSize}→${this.hiddenSize})`;
    const H = this.hiddenSize;
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new Error(`${label}: expected input [N, ${this.inputSize}] or [${this.inputSize}], got ${fmt(input.shape)}`);
    }
    if (input.dtype !== this.weight_ih.dtype) {
      throw new TypeError(`${label}: input is ${input.dtype} but the weights are ${this.weight_ih.dtype} (build the cell with {dtype: '${input.dtype}'})`);
    }
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2)) throw new Error(`${label}: the state must be a pair [h, c]`);
    const batched = input.ndim === 2;
    const x = batched ? input : unsqueeze(input, 0);
    const N = x.shape[0]!;
    let h: Tensor, c: Tensor;
    if (hx == null) {
      h = zeros([N, H], { dtype: x.dtype });
      c = zeros([N, H], { dtype: x.dtype });
    } else {
      const want = batched ? [N, H] : [H];
      for (const [name, t] of [['h', hx[0]], ['c', hx[1]]] as const) {
        if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) throw new Error(`${label}: state ${name} must be ${fmt(want)} for input ${fmt(input.shape)}, got ${fmt(t.shape)}`);
        if (t.dtype !== x.dtype) throw new TypeError(`${label}: state ${name} is ${t.dtype} but the input is ${x.dtype}`);
      }
      h = batched ? hx[0] : unsqueeze(hx[0], 0);
      c = batched ? hx[1] : unsqueeze(hx[1], 0);
    }
    const gates = add(linear(x, this.weight_ih, this.bias_ih), linear(h, this.weight_hh, this.bias_hh));
    const i = sigmoid(narrow(gates, 1, 0, H)), f = sigmoid(narrow(gates, 1, H, H));
    const g = tanh(narrow(gates, 1, 2 * H, H)), o = sigmoid(narrow(gates, 1, 3 * H, H));
    const c2 = add(mul(f, c), mul(i, g));
    const h2 = mul(o, tanh(c2));
    return batched ? [h2, c2] : [squeeze(h2, 0), squeeze(c2, 0)];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}`;
  }
}
