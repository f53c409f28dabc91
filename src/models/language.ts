// Language modelling with a CharLanguageModel: training windows of a character stream, bits per
// character on held-out text (state carried through the stream, or sliding windows for transformers),
// and seeded text generation with temperature and top-k.

import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { crossEntropy } from '../nn/loss.js';
import { reshape, narrow } from '../ops/shape.js';
import { logSoftmax } from '../ops/activation.js';
import type { Dataset } from '../data/dataset.js';
import { withRng } from '../data/rng.js';
import { bitsPerChar } from '../text/metrics.js';
import { sampleLogits, checkSampleOptions, type SampleOptions } from '../text/decode.js';
import type { CharVocab } from '../text/vocab.js';
import type { CharLanguageModel, LMState } from './char-lm.js';
import { keepState, disposeState } from './char-streams.js';

/**
 * Non-overlapping windows of a character stream as [input, target] pairs: input ids[s .. s+L),
 * target ids[s+1 .. s+L+1). A shuffled DataLoader over it visits the text in a new order each epoch.
 */
export class CharWindowDataset implements Dataset<[Tensor, Tensor]> {
  readonly length: number;
  constructor(readonly ids: Int32Array, readonly seqLength: number) {
    if (!Number.isInteger(seqLength) || seqLength < 1) throw new RangeError(`CharWindowDataset: seqLength must be an integer ≥ 1, got ${seqLength}`);
    this.length = Math.floor((ids.length - 1) / seqLength);
    if (this.length < 1) throw new Error(`CharWindowDataset: a text of ${ids.length} characters holds no window of ${seqLength} + 1`);
  }

  get(i: number): [Tensor, Tensor] {
    return this.getBatch([i]).map((t) => reshape(t, [this.seqLength])) as [Tensor, Tensor];
  }

  getBatch(indices: readonly number[]): [Tensor, Tensor] {
    const L = this.seqLength, n = indices.length;
    const x = new Int32Array(n * L), y = new Int32Array(n * L);
    indices.forEach((w, r) => {
      if (!Number.isInteger(w) || w < 0 || w >= this.length) throw new RangeError(`CharWindowDataset: index ${w} is out of range for ${this.length} windows`);
      x.set(this.ids.subarray(w * L, w * L + L), r * L);
      y.set(this.ids.subarray(w * L + 1, w * L + L + 1), r * L);
    });
    return [tensor(x, { shape: [n, L], dtype: 'int32' }), tensor(y, { shape: [n, L], dtype: 'int32' })];
  }
}

/** Mean next-character cross-entropy (nats) of logits [N, L, V] against targets [N, L]. */
export function lmLoss(logits: Tensor, target: Tensor): Tensor {
  const V = logits.shape[logits.ndim - 1]!;
  return crossEntropy(reshape(logits, [-1, V]), reshape(target, [-1]));
}

export interface LMEvalOptions {
  /** parallel streams a recurrent model reads the text in (default 16) */
  streams?: number;
  /** characters fed per step (default 256; a transformer's window is its context) */
  chunk?: number;
  /** windows per forward pass for a transformer (default 32) */
  batch?: number;
}

/**
 * Bits per character of ids[1 ..] given everything before each (ids[0] is the start, e.g. a newline).
 * A recurrent model reads the text as `streams` contiguous parts, carrying its state through each; a
 * transformer scores sliding windows of its context, overlapping by half, each character once.
 */
export function evaluateCharLM(model: CharLanguageModel, ids: Int32Array, opts: LMEvalOptions = {}): { bitsPerChar: number; chars: number; nats: number } {
  if (ids.length < 2) throw new Error(`evaluateCharLM: need at least 2 characters, got ${ids.length}`);
  const wasTraining = model.training;
  model.eval();
  try {
    const nats = noGrad(() => (Number.isFinite(model.contextLength) ? windowNats(model, ids, opts) : streamNats(model, ids, opts)));
    const chars = ids.length - 1;
    return { bitsPerChar: bitsPerChar(nats, chars), chars, nats };
  } finally {
    model.train(wasTraining);
  }
}

/** Sum of −log p over every target, summed as float64 on the host. */
function sumNll(logits: Tensor, targets: Int32Array, rows: { row: number; from: number; to: number }[], L: number): number {
  return scope(() => {
    const V = logits.shape[2]!;
    const lp = logSoftmax(logits, -1).dataSync();
    let s = 0;
    for (const { row, from, to } of rows) for (let t = from; t < to; t++) s -= lp[(row * L + t) * V + targets[row * L + t]!]!;
    return s;
  });
}

function streamNats(model: CharLanguageModel, ids: Int32Array, opts: LMEvalOptions): number {
  const n = ids.length - 1; // targets 1..n
  const S = Math.max(1, Math.min(opts.streams ?? 16, n));
  const C = opts.chunk ?? 256;
  const bounds = Array.from({ length: S + 1 }, (_, i) => 1 + Math.floor((i * n) / S));
  const longest = Math.max(...bounds.slice(1).map((b, i) => b - bounds[i]!));
  let state: LMState = null;
  let nats = 0;
  for (let off = 0; off < longest; off += C) {
    const L = Math.min(C, longest - off);
    const x = new Int32Array(S * L), y = new Int32Array(S * L);
    const rows: { row: number; from: number; to: number }[] = [];
    for (let s = 0; s < S; s++) {
      const start = bounds[s]! + off, end = bounds[s + 1]!;
      const len = Math.max(0, Math.min(L, end - start));
      // input of target t is ids[t−1]; past the stream's end the row is padding and is not scored
      for (let t = 0; t < L; t++) {
        const p = Math.min(start + t, ids.length - 1);
        x[s * L + t] = ids[p - 1]!;
        y[s * L + t] = ids[p]!;
      }
      if (len > 0) rows.push({ row: s, from: 0, to: len });
    }
    const next = scope(() => {
      const r = model.forwardWithState(tensor(x, { shape: [S, L], dtype: 'int32' }), state);
      nats += sumNll(r.logits, y, rows, L);
      return r.state;
    });
    const kept = keepState(next);
    disposeState(next);
    disposeState(state);
    state = kept;
  }
  disposeState(state);
  return nats;
}

function windowNats(model: CharLanguageModel, ids: Int32Array, opts: LMEvalOptions): number {
  const C = Math.min(model.contextLength, opts.chunk ?? model.contextLength);
  const B = opts.batch ?? 32;
  const n = ids.length - 1;
  // window w reads inputs ids[a .. a+C) for targets a+1 .. a+C and scores those after `scored`
  const windows: { a: number; from: number }[] = [];
  let scored = 0; // targets 1..scored are done
  const stride = Math.max(1, Math.floor(C / 2));
  for (let a = 0; scored < n; a += stride) {
    const start = Math.min(a, Math.max(0, n - C));
    windows.push({ a: start, from: scored - start });
    scored = Math.min(n, start + C);
  }
  let nats = 0;
  for (let i = 0; i < windows.length; i += B) {
    const group = windows.slice(i, i + B);
    const L = Math.min(C, n);
    const x = new Int32Array(group.length * L), y = new Int32Array(group.length * L);
    group.forEach((w, r) => {
      x.set(ids.subarray(w.a, w.a + L), r * L);
      y.set(ids.subarray(w.a + 1, w.a + L + 1), r * L);
    });
    nats += scope(() => {
      const logits = model.forward(tensor(x, { shape: [group.length, L], dtype: 'int32' }));
      return sumNll(logits, y, group.map((w, r) => ({ row: r, from: w.from, to: L })), L);
    });
  }
  return nats;
}

export interface GenerateOptions extends SampleOptions {
  /** characters to generate after the prompt (default 300) */
  tokens?: number;
  /** seed of the sampling (default 0): the same seed, model and prompt give the same text */
  seed?: number;
}

/**
 * Continues `prompt` by sampling one character at a time (temperature, top-k) from nabla's generator
 * under a private stream seeded by `seed`; returns the generated characters (without the prompt).
 */
export function generateText(model: CharLanguageModel, vocab: CharVocab, prompt: string, opts: GenerateOptions = {}): string {
  checkSampleOptions('generateText', opts);
  const n = opts.tokens ?? 300;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generateText: tokens must be an integer ≥ 0, got ${opts.tokens}`);
  // a prompt starts a line, as the text does after a newline
  const ids = Array.from(vocab.encode('\n' + prompt));
  const wasTraining = model.training;
  model.eval();
  try {
    return withRng(opts.seed ?? 0, () => noGrad(() => {
      const out: number[] = [];
      const recurrent = !Number.isFinite(model.contextLength);
      let state: LMState = null;
      let last: Float32Array | Float64Array;
      const run = (input: number[]): Float32Array | Float64Array => scope(() => {
        const x = tensor(Int32Array.from(input), { shape: [1, input.length], dtype: 'int32' });
        const r = model.forwardWithState(x, state);
        const row = narrow(r.logits, 1, input.length - 1, 1).dataSync() as Float32Array | Float64Array;
        const kept = keepState(r.state);
        disposeState(state);
        state = kept;
        return row;
      });
      last = recurrent ? run(ids) : run(ids.slice(-model.contextLength));
      for (let i = 0; i < n; i++) {
        const next = sampleLogits(last, opts);
        out.push(next);
        ids.push(next);
        if (i + 1 < n) last = recurrent ? run([next]) : run(ids.slice(-model.contextLength));
      }
      disposeState(state);
      return vocab.decode(out);
    }));
  } finally {
    model.train(wasTraining);
  }
}
