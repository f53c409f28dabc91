// Recurrent layers RNN, LSTM and GRU with PyTorch's parameter names, gate order, shapes and init.
// The input projection of a whole sequence is one matmul per layer and direction; the recurrence
// of LSTM and GRU is one op each (src/ops/recurrent.ts), the Elman RNN's loops here.

import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { rand, zeros } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { Module, Parameter } from './module.js';
import { add, tanh, relu, linear, cat, reshape, select, squeeze, stack, transpose, unsqueeze } from '../ops/index.js';
import { matmulT } from '../ops/linalg.js';
import { gru, lstm, splitSteps } from '../ops/recurrent.js';
import { dropout as dropoutFn } from '../ops/activation.js';
import { fmt } from '../tensor/shape.js';
import { PackedSequence } from './packed.js';
import { runPacked } from './rnn-packed.js';

export interface RNNBaseOptions {
  /** stacked layers (default 1) */
  numLayers?: number;
  /** use bias_ih / bias_hh (default true) */
  bias?: boolean;
  /** input and output are [N, L, features] instead of [L, N, features] (h0/hN never are) */
  batchFirst?: boolean;
  /** dropout on the outputs of every layer but the last, in training mode only (default 0) */
  dropout?: number;
  /** a second, reversed direction per layer; outputs are concatenated (default false) */
  bidirectional?: boolean;
  /** parameter dtype (default float32) */
  dtype?: DType;
}

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: 'tanh' | 'relu';
}

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** One layer and direction's weights: W_ih [G·H, in], W_hh [G·H, H], b_ih, b_hh [G·H]. */
interface Cell { wih: Parameter; whh: Parameter; bih: Parameter | null; bhh: Parameter | null }

function checkCount(layer: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${layer}: ${name} must be an integer ≥ ${min}, got ${v}`);
}

/** The shared machinery of RNN, LSTM and GRU (like torch.nn.RNNBase). */
export abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  protected readonly mode: Mode;
  /** cells[layer][direction] */
  private readonly cells: Cell[][] = [];

  constructor(mode: Mode, inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super();
    const kind = mode === 'LSTM' || mode === 'GRU' ? mode : 'RNN';
    checkCount(kind, 'inputSize', inputSize, 1);
    checkCount(kind, 'hiddenSize', hiddenSize, 1);
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    checkCount(kind, 'numLayers', this.numLayers, 1);
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new RangeError(`${kind}: dropout must be in [0, 1], got ${this.dropout}`);
    this.bidirectional = opts.bidirectional ?? false;
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${kind}: dtype must be float32 or float64, got ${dtype}`);
    // PyTorch initialises every weight and bias from U(-1/√hidden, 1/√hidden).
    const k = 1 / Math.sqrt(hiddenSize);
    const uniform = (shape: number[]): Parameter =>
      scope(() => noGrad(() => new Parameter(rand(shape, { dtype }).mul(2 * k).sub(k))));
    const G = GATES[mode] * hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      const row: Cell[] = [];
      const layerIn = l === 0 ? inputSize : hiddenSize * D;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const wih = this.registerParameter(`weight_ih${sfx}`, uniform([G, layerIn]))!;
        const whh = this.registerParameter(`weight_hh${sfx}`, uniform([G, hiddenSize]))!;
        const bih = this.bias ? this.registerParameter(`bias_ih${sfx}`, uniform([G])) : null;
        const bhh = this.bias ? this.registerParameter(`bias_hh${sfx}`, uniform([G])) : null;
        row.push({ wih, whh, bih, bhh });
      }
      this.cells.push(row);
    }
  }

  /** 'LSTM(64→256)', the name errors use. */
  protected get label(): string {
    const kind = this.mode === 'LSTM' || this.mode === 'GRU' ? this.mode : 'RNN';
    return `${kind}(${this.inputSize}→${this.hiddenSize})`;
  }

  /** PyTorch's cuDNN weight compaction; nothing to do here (kept so ported code runs unchanged). */
  flattenParameters(): void {}

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (this.mode === 'RNN_RELU') parts.push(`nonlinearity='relu'`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }

  private checkInput(input: Tensor): void {
    const want = this.batchFirst ? `[N, L, ${this.inputSize}]` : `[L, N, ${this.inputSize}]`;
    const how = this.batchFirst ? ' (batchFirst)' : '';
    if ((input.ndim !== 2 && input.ndim !== 3) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new Error(`${this.label}: expected input ${want}${how} or unbatched [L, ${this.inputSize}], got ${fmt(input.shape)}`);
    }
    if (input.dtype !== 'float32' && input.dtype !== 'float64') throw new TypeError(`${this.label}: expected a floating-point input, got ${input.dtype}`);
  }

  /** A state h0/c0 as [layers·D, N, H] (unsqueezed when unbatched), checked against the input. */
  private checkState(what: string, s: Tensor, batched: boolean, N: number): Tensor {
    const D = this.bidirectional ? 2 : 1;
    const want = batched ? [this.numLayers * D, N, this.hiddenSize] : [this.numLayers * D, this.hiddenSize];
    if (s.ndim !== want.length || s.shape.some((v, i) => v !== want[i])) {
      const note = batched ? '' : ' (the input is unbatched)';
      throw new Error(`${this.label}: expected ${what} of shape ${fmt(want)}${note}, got ${fmt(s.shape)}`);
    }
    return batched ? s : unsqueeze(s, 1);
  }

  /** Runs all layers; states are [layers·D, N, H] or null; returns output [L, N, D·H] (time-major) and final states. */
  protected run(input: Tensor, h0: Tensor | null, c0: Tensor | null): { output: Tensor; h: Tensor; c: Tensor | null } {
    this.checkInput(input);
    const batched = input.ndim === 3;
    return scope(() => {
      let x = !batched ? unsqueeze(input, 1) : this.batchFirst ? transpose(input, 0, 1) : input;
      const N = x.shape[1]!;
      const D = this.bidirectional ? 2 : 1;
      const H = this.hiddenSize;
      const hs = h0 ? this.checkState(this.mode === 'LSTM' ? 'h0' : 'hx', h0, batched, N) : null;
      const cs = c0 ? this.checkState('c0', c0, batched, N) : null;
      const isLSTM = this.mode === 'LSTM';
      const hOut: Tensor[] = [];
      const cOut: Tensor[] = [];
      for (let l = 0; l < this.numLayers; l++) {
        const dirOuts: Tensor[] = [];
        for (let d = 0; d < D; d++) {
          const idx = l * D + d;
          const h = hs ? select(hs, 0, idx) : zeros([N, H], { dtype: x.dtype });
          const c = isLSTM ? (cs ? select(cs, 0, idx) : zeros([N, H], { dtype: x.dtype })) : null;
          const r = this.runDirection(x, this.cells[l]![d]!, h, c, d === 1);
          dirOuts.push(r.output);
          hOut.push(r.h);
          if (r.c) cOut.push(r.c);
        }
        x = D === 2 ? cat(dirOuts, 2) : dirOuts[0]!;
        if (this.dropout > 0 && this.training && l < this.numLayers - 1) x = dropoutFn(x, this.dropout, true);
      }
      let output = x;
      let h = stack(hOut, 0);
      let c = isLSTM ? stack(cOut, 0) : null;
      if (!batched) {
        output = squeeze(output, 1);
        h = squeeze(h, 1);
        if (c) c = squeeze(c, 1);
      } else if (this.batchFirst) {
        output = transpose(output, 0, 1);
      }
      return { output, h, c };
    });
  }

  /** run() for a PackedSequence too: a packed input gives a packed output (states as run's). */
  protected runAny(input: Tensor | PackedSequence, h0: Tensor | null, c0: Tensor | null): { output: Tensor | PackedSequence; h: Tensor; c: Tensor | null } {
    if (!(input instanceof PackedSequence)) return this.run(input, h0, c0);
    const N = input._sizes[0]!;
    const hs = h0 ? this.checkState(this.mode === 'LSTM' ? 'h0' : 'hx', h0, true, N) : null;
    const cs = c0 ? this.checkState('c0', c0, true, N) : null;
    const r = runPacked({
      mode: this.mode, label: this.label, inputSize: this.inputSize, hiddenSize: this.hiddenSize,
      cells: this.cells, dropout: this.dropout, training: this.training,
    }, input, hs, cs);
    return { output: input.withData(r.data), h: r.h, c: r.c };
  }

  /** One layer in one direction over x [L, N, in]: output [L, N, H], final h (and c). */
  private runDirection(x: Tensor, cell: Cell, h: Tensor, c: Tensor | null, reverse: boolean): { output: Tensor; h: Tensor; c: Tensor | null } {
    const [L, N] = [x.shape[0]!, x.shape[1]!];
    const G = GATES[this.mode] * this.hiddenSize;
    const { wih, whh, bih, bhh } = cell;
    // For RNN and LSTM b_hh joins b_ih in the projection of the whole sequence; GRU needs b_hn inside r·(…).
    const inBias = this.mode === 'GRU' ? bih : bih && bhh ? add(bih, bhh) : bih ?? bhh;
    const xp = linear(x, wih, inBias);
    // LSTM and GRU: the whole recurrence is one op (a backend may run it fused).
    if (this.mode === 'LSTM') return lstm(xp, h, c!, whh, reverse);
    if (this.mode === 'GRU') return { ...gru(xp, h, whh, bhh, reverse), c: null };
    const steps = splitSteps(xp);
    const outs: Tensor[] = new Array<Tensor>(L);
    for (let s = 0; s < L; s++) {
      const t = reverse ? L - 1 - s : s;
      // Each step in its own scope: only the new state survives it.
      const next = scope(() => {
        const xt = reshape(steps[t]!, [N, G]);
        const hw = matmulT(h, whh, false, true, 'rnn');
        switch (this.mode) {
          case 'RNN_TANH':
            return { h: tanh(add(xt, hw)), c: null };
          case 'RNN_RELU':
            return { h: relu(add(xt, hw)), c: null };
          case 'LSTM':
          case 'GRU':
            throw new Error(`internal: ${this.mode} runs in ops/recurrent.ts`);
        }
      });
      h = next.h;
      c = next.c;
      outs[t] = h;
    }
    const output = L > 0 ? stack(outs, 0) : zeros([0, N, this.hiddenSize], { dtype: x.dtype });
    return { output, h, c };
  }
}

/** Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu). */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNN: nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }

  /** input [L, N, in] ([N, L, in] with batchFirst, or [L, in]) or a PackedSequence; hx [layers·D, N, H] → [output, hN]. */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const r = this.runAny(input, hx ?? null, null);
    return [r.output, r.h];
  }
}

/** LSTM with PyTorch's gate order i, f, g, o: c' = f·c + i·g, h' = o·tanh(c'). */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }

  /** input [L, N, in] ([N, L, in] with batchFirst, or [L, in]) or a PackedSequence; hx = [h0, c0] → [output, [hN, cN]]. */
  override forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  override forward(input: PackedSequence, hx?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  override forward(input: Tensor | PackedSequence, hx?: readonly [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new Error(`${this.label}: the initial state must be a pair [h0, c0]`);
    }
    const r = this.runAny(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [r.output, [r.h, r.c!]];
  }
}

/** GRU with PyTorch's gate order r, z, n: n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1−z)·n + z·h. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }

  /** input [L, N, in] ([N, L, in] with batchFirst, or [L, in]) or a PackedSequence; hx [layers·D, N, H] → [output, hN]. */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  override forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const r = this.runAny(input, hx ?? null, null);
    return [r.output, r.h];
  }
}
