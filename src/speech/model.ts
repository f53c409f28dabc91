// The speech recogniser: a strided 1-D convolutional front end over log-mel frames and a
// bidirectional GRU, giving CTC log-probabilities; its loss and digit-error metric for fit().

import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { Conv1d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { Dropout } from '../nn/layers/dropout.js';
import { BatchNorm1d } from '../nn/layers/norm.js';
import { GRU } from '../nn/rnn.js';
import { tensor } from '../tensor/create.js';
import { relu } from '../ops/elementwise.js';
import { logSoftmax } from '../ops/activation.js';
import { permute } from '../ops/shape.js';
import { ctcLoss } from '../nn/ctc.js';
import type { Metric } from '../train/metrics.js';
import { editDistance, framesOf, greedyDecode } from './decode.js';
import { MAX_DIGITS } from '../data/datasets/spoken-digits.js';

export interface SpeechModelOptions {
  /** log-mel bands in (default 40) */
  nMels?: number;
  /** output classes including the blank (default 11: blank + 10 digits) */
  classes?: number;
  /** channels of the two convolutions (default 96) */
  channels?: number;
  /** GRU hidden size per direction (default 96) */
  hidden?: number;
  /** GRU layers (default 2) */
  layers?: number;
  dropout?: number;
}

/**
 * x [N, nMels, T] → log-probabilities [ceil(T/4), N, classes] (time-major, as ctcLoss takes them):
 * two Conv1d(k 5, stride 2) + BatchNorm + ReLU halve time twice, a bidirectional GRU reads the result, and a
 * linear layer scores each frame.
 */
export class SpeechRecognizer extends Module {
  readonly conv1: Conv1d;
  readonly bn1: BatchNorm1d;
  readonly conv2: Conv1d;
  readonly bn2: BatchNorm1d;
  readonly rnn: GRU;
  readonly drop: Dropout;
  readonly fc: Linear;
  readonly config: Required<SpeechModelOptions>;
  /** how many input frames one output frame covers */
  static readonly STRIDE = 4;

  constructor(opts: SpeechModelOptions = {}) {
    super();
    const c: Required<SpeechModelOptions> = { nMels: 40, classes: 11, channels: 96, hidden: 96, layers: 2, dropout: 0.1, ...opts };
    this.config = c;
    this.conv1 = new Conv1d(c.nMels, c.channels, 5, { stride: 2, padding: 2 });
    this.bn1 = new BatchNorm1d(c.channels);
    this.conv2 = new Conv1d(c.channels, c.channels, 5, { stride: 2, padding: 2 });
    this.bn2 = new BatchNorm1d(c.channels);
    this.rnn = new GRU(c.channels, c.hidden, { numLayers: c.layers, bidirectional: true, dropout: c.layers > 1 ? c.dropout : 0 });
    this.drop = new Dropout(c.dropout);
    this.fc = new Linear(2 * c.hidden, c.classes);
  }

  /** Output frames for an input of `frames` frames. */
  static outputFrames(frames: number): number {
    return Math.ceil(Math.ceil(frames / 2) / 2);
  }

  override forward(x: Tensor): Tensor {
    const h = relu(this.bn2.forward(this.conv2.forward(relu(this.bn1.forward(this.conv1.forward(x))))));
    const [seq] = this.rnn.forward(permute(h, [2, 0, 1]));
    return logSoftmax(this.fc.forward(this.drop.forward(seq)), -1);
  }
}

/** Lengths and labels of a packed target batch y [N, 2 + 7] (see collateSpeech). */
export function unpackTargets(y: Tensor): { frames: number[]; labels: number[][] } {
  if (y.dtype !== 'int32' || y.ndim !== 2 || y.shape[1] !== 2 + MAX_DIGITS) {
    throw new Error(`speech: targets must be int32 [N, ${2 + MAX_DIGITS}] rows [frames, count, labels…] (collateSpeech), got ${y.dtype} [${y.shape.join(', ')}]`);
  }
  const d = y.dataSync() as Int32Array;
  const w = 2 + MAX_DIGITS;
  const frames: number[] = [], labels: number[][] = [];
  for (let n = 0; n < y.shape[0]!; n++) {
    frames.push(d[n * w]!);
    labels.push(Array.from(d.subarray(n * w + 2, n * w + 2 + d[n * w + 1]!)));
  }
  return { frames, labels };
}

/** CTC loss of the model's output against a packed target batch (mean over the batch of loss / digits). */
export function ctcBatchLoss(out: Tensor, y: Tensor): Tensor {
  const { frames, labels } = unpackTargets(y);
  const inLens = frames.map((t) => Math.min(SpeechRecognizer.outputFrames(t), out.shape[0]!));
  const flat = labels.flat();
  return ctcLoss(out, tensor(Int32Array.from(flat), { dtype: 'int32', shape: [flat.length] }), inLens, labels.map((l) => l.length), { zeroInfinity: true });
}

/** Greedy transcripts of a batch: one label list per sample. */
export function decodeBatch(out: Tensor, frames: number[]): number[][] {
  const data = out.dataSync();
  return frames.map((t, n) => greedyDecode(framesOf(data, out.shape, n, Math.min(SpeechRecognizer.outputFrames(t), out.shape[0]!))));
}

/** Digit error rate: (substitutions + insertions + deletions) / reference digits, over an epoch. */
export class DigitErrorRate implements Metric {
  readonly name = 'digitErrorRate';
  readonly higherIsBetter = false;
  private errors = 0;
  private total = 0;
  clone(): DigitErrorRate { return new DigitErrorRate(); }
  reset(): void { this.errors = 0; this.total = 0; }
  update(out: Tensor, y: Tensor): void {
    const { frames, labels } = unpackTargets(y);
    decodeBatch(out, frames).forEach((hyp, n) => {
      this.errors += editDistance(hyp, labels[n]!);
      this.total += labels[n]!.length;
    });
  }
  compute(): number { return this.total ? this.errors / this.total : NaN; }
  /** The counts so far, so a run resumed mid-epoch continues the epoch's value. */
  state(): { errors: number; total: number } { return { errors: this.errors, total: this.total }; }
  loadState(s: unknown): void {
    const o = s as { errors?: unknown; total?: unknown } | null;
    if (!o || typeof o.errors !== 'number' || typeof o.total !== 'number') {
      throw new Error(`${this.name}: a saved state must be {errors, total} numbers, got ${JSON.stringify(s)}`);
    }
    this.errors = o.errors;
    this.total = o.total;
  }
}
