// RNN, LSTM and GRU over a PackedSequence: each layer and direction runs on the running prefix of
// the batch (sorted longest first), so a sequence's state stops at its own length (forward) or
// starts there (reverse), as PyTorch's packed recurrences do.

import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { fmt } from '../tensor/shape.js';
import { add, cat, indexSelect, linear, narrow, relu, reshape, select, split, stack, tanh } from '../ops/index.js';
import { matmulT } from '../ops/linalg.js';
import { gru, lstm } from '../ops/recurrent.js';
import { dropout as dropoutFn } from '../ops/activation.js';
import type { PackedSequence } from './packed.js';

export type RecurrentMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
export interface RecurrentCell { wih: Tensor; whh: Tensor; bih: Tensor | null; bhh: Tensor | null }

export interface PackedRun {
  mode: RecurrentMode;
  label: string;
  inputSize: number;
  hiddenSize: number;
  /** cells[layer][direction] */
  cells: readonly (readonly RecurrentCell[])[];
  dropout: number;
  training: boolean;
}

/**
 * rows [Σ sizes, …] cut into pieces of the given sizes. Two levels (blocks of ~√T pieces, then
 * pieces) because each slice's backward writes a zero tensor the size of what it was cut from.
 */
function splitRows(x: Tensor, sizes: readonly number[]): Tensor[] {
  const T = sizes.length;
  if (T <= 4) return split(x, sizes, 0);
  const B = Math.ceil(Math.sqrt(T));
  const blocks: number[][] = [];
  for (let i = 0; i < T; i += B) blocks.push(sizes.slice(i, i + B));
  return split(x, blocks.map((b) => b.reduce((a, v) => a + v, 0)), 0).flatMap((blk, k) => split(blk, blocks[k]!, 0));
}

/** The first b rows of s (all of it when b is its size). */
function head(s: Tensor, b: number): Tensor {
  return b === s.shape[0] ? s : narrow(s, 0, 0, b);
}

/** s with its first rows replaced by top. */
function replaceHead(s: Tensor, top: Tensor): Tensor {
  const b = top.shape[0]!, n = s.shape[0]!;
  return b === n ? top : cat([top, narrow(s, 0, b, n - b)], 0);
}

/**
 * Runs every layer over packed input; h0/c0 are [layers·D, N, H] in the batch's original order (or
 * null). Returns the last layer's packed output data and the final states in the original order.
 */
export function runPacked(spec: PackedRun, input: PackedSequence, h0: Tensor | null, c0: Tensor | null): { data: Tensor; h: Tensor; c: Tensor | null } {
  const { data } = input;
  if (data.ndim !== 2 || data.shape[1] !== spec.inputSize) {
    throw new Error(`${spec.label}: expected packed data [Σ lengths, ${spec.inputSize}], got ${fmt(data.shape)}`);
  }
  if (data.dtype !== 'float32' && data.dtype !== 'float64') throw new TypeError(`${spec.label}: expected a floating-point input, got ${data.dtype}`);
  const sizes = input._sizes;
  const N = sizes[0]!, H = spec.hiddenSize;
  const isLSTM = spec.mode === 'LSTM';
  return scope(() => {
    const sortState = (s: Tensor | null): Tensor | null => s && input.sortedIndices ? indexSelect(s, 1, input.sortedIndices) : s;
    const hs = sortState(h0), cs = sortState(c0);
    let x = data;
    const hOut: Tensor[] = [], cOut: Tensor[] = [];
    spec.cells.forEach((row, l) => {
      const outs = row.map((cell, d) => {
        const idx = l * row.length + d;
        const h = hs ? select(hs, 0, idx) : zeros([N, H], { dtype: x.dtype });
        const c = isLSTM ? (cs ? select(cs, 0, idx) : zeros([N, H], { dtype: x.dtype })) : null;
        const r = runDirection(spec, x, sizes, cell, h, c, d === 1);
        hOut.push(r.h);
        if (r.c) cOut.push(r.c);
        return r.output;
      });
      x = outs.length === 2 ? cat(outs, 1) : outs[0]!;
      if (spec.dropout > 0 && spec.training && l < spec.cells.length - 1) x = dropoutFn(x, spec.dropout, true);
    });
    const unsort = (s: Tensor): Tensor => input.unsortedIndices ? indexSelect(s, 1, input.unsortedIndices) : s;
    return { data: x, h: unsort(stack(hOut, 0)), c: isLSTM ? unsort(stack(cOut, 0)) : null };
  });
}

/**
 * One layer and direction over packed rows x [Σ sizes, in]: packed output [Σ sizes, H] and final
 * states [N, H]. Time steps with the same batch size form a segment whose rows are one [len, b, ·]
 * block, so LSTM and GRU run each segment as one recurrence op; between segments the running
 * prefix of the state shrinks (forward) or grows, new sequences starting from h0 (reverse).
 */
function runDirection(spec: PackedRun, x: Tensor, sizes: readonly number[], cell: RecurrentCell, h: Tensor, c: Tensor | null, reverse: boolean): { output: Tensor; h: Tensor; c: Tensor | null } {
  const { wih, whh, bih, bhh } = cell;
  const G = whh.shape[0]!, H = spec.hiddenSize;
  // As the padded path: b_hh joins the input projection except in GRU, whose r·(W_hn h + b_hn) needs it apart.
  const inBias = spec.mode === 'GRU' ? bih : bih && bhh ? add(bih, bhh) : bih ?? bhh;
  const segs: { b: number; len: number }[] = [];
  for (const b of sizes) {
    const last = segs[segs.length - 1];
    if (last && last.b === b) last.len++;
    else segs.push({ b, len: 1 });
  }
  const pieces = splitRows(linear(x, wih, inBias), segs.map((g) => g.b * g.len));
  const outs = new Array<Tensor>(segs.length);
  for (let s = 0; s < segs.length; s++) {
    const k = reverse ? segs.length - 1 - s : s;
    const { b, len } = segs[k]!;
    // Each segment in its own scope: only its output and the new state survive it.
    const next = scope(() => {
      const xs = reshape(pieces[k]!, [len, b, G]);
      const hb = head(h, b), cb = c ? head(c, b) : null;
      let r: { output: Tensor; h: Tensor; c?: Tensor | null };
      if (spec.mode === 'LSTM') r = lstm(xs, hb, cb!, whh, reverse);
      else if (spec.mode === 'GRU') r = gru(xs, hb, whh, bhh, reverse);
      else r = elman(spec.mode, xs, hb, whh, reverse);
      return { out: reshape(r.output, [len * b, H]), h: replaceHead(h, r.h), c: c && r.c ? replaceHead(c, r.c) : null };
    });
    outs[k] = next.out;
    h = next.h;
    c = next.c;
  }
  return { output: cat(outs, 0), h, c };
}

/** The Elman recurrence over xs [L, b, H] (input projection with both biases): output [L, b, H], final h. */
function elman(mode: RecurrentMode, xs: Tensor, h: Tensor, whh: Tensor, reverse: boolean): { output: Tensor; h: Tensor } {
  const L = xs.shape[0]!;
  const steps = L === 1 ? [xs] : split(xs, 1, 0);
  const outs = new Array<Tensor>(L);
  for (let s = 0; s < L; s++) {
    const t = reverse ? L - 1 - s : s;
    const z = add(reshape(steps[t]!, [xs.shape[1]!, xs.shape[2]!]), matmulT(h, whh, false, true, 'rnn'));
    h = mode === 'RNN_TANH' ? tanh(z) : relu(z);
    outs[t] = h;
  }
  return { output: stack(outs, 0), h };
}
