// Truncated backpropagation through time over a character stream: the text cut into S contiguous
// streams read side by side in chunks, so a recurrent model carries its state from one batch to the next.

import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { keep } from '../tensor/memory.js';
import type { Dataset } from '../data/dataset.js';
import type { BatchSampler } from '../data/batch-sampler.js';
import type { LMState } from './char-lm.js';

/** Targets past a stream's end: crossEntropy's default ignoreIndex, so they are neither trained on nor scored. */
export const STREAM_PAD = -100;

/** A batch of chunk k of every stream: inputs [S, L], targets [S, L] (STREAM_PAD past the end), k. */
export type StreamBatch = [Tensor, Tensor, number];

/**
 * The targets ids[1 ..] (each given every character before it) cut into `streams` contiguous parts of
 * nearly equal length, each read in chunks of `chunk` characters. Sample k·S + s is chunk k of stream
 * s, so batch k (StreamBatchSampler, or an unshuffled loader with batch size S) is chunk k of every
 * stream: a model that carries each row's state from batch k to batch k + 1 reads every stream from
 * its start, and every character of the text is a target exactly once.
 */
export class CharStreamDataset implements Dataset<StreamBatch> {
  readonly length: number;
  /** chunks per stream (batches per pass) */
  readonly chunks: number;
  private readonly bounds: number[];

  constructor(readonly ids: Int32Array, readonly chunk: number, readonly streams: number) {
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`CharStreamDataset: chunk must be an integer ≥ 1, got ${chunk}`);
    if (!Number.isInteger(streams) || streams < 1) throw new RangeError(`CharStreamDataset: streams must be an integer ≥ 1, got ${streams}`);
    const n = ids.length - 1;
    if (n < streams) throw new Error(`CharStreamDataset: a text of ${ids.length} characters cannot feed ${streams} streams (need at least ${streams + 1})`);
    this.bounds = Array.from({ length: streams + 1 }, (_, i) => 1 + Math.floor((i * n) / streams));
    const longest = Math.max(...this.bounds.slice(1).map((b, i) => b - this.bounds[i]!));
    this.chunks = Math.ceil(longest / chunk);
    this.length = this.chunks * streams;
  }

  get(i: number): StreamBatch {
    const [x, y] = this.getBatch([i]);
    return [x.reshape([this.chunk]), y.reshape([this.chunk]), Math.floor(i / this.streams)];
  }

  /** Rows of the given samples; the number is the chunk index of the first (a pass starts at 0). */
  getBatch(indices: readonly number[]): StreamBatch {
    const L = this.chunk, n = indices.length, last = this.ids.length - 1;
    const x = new Int32Array(n * L), y = new Int32Array(n * L);
    indices.forEach((i, r) => {
      if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`CharStreamDataset: index ${i} is out of range for ${this.length} samples`);
      const k = Math.floor(i / this.streams), s = i % this.streams;
      const start = this.bounds[s]! + k * L, end = this.bounds[s + 1]!;
      for (let t = 0; t < L; t++) {
        const p = start + t;
        // the input of target p is ids[p − 1]; past the end the row is padding and is not a target
        x[r * L + t] = this.ids[Math.min(p, last) - 1]!;
        y[r * L + t] = p < end ? this.ids[p]! : STREAM_PAD;
      }
    });
    const k = n ? Math.floor(indices[0]! / this.streams) : 0;
    return [tensor(x, { shape: [n, L], dtype: 'int32' }), tensor(y, { shape: [n, L], dtype: 'int32' }), k];
  }
}

/** Batch k = chunk k of every stream, in order, every epoch (shuffling would break the carried state). */
export class StreamBatchSampler implements BatchSampler {
  readonly length: number;
  readonly numSamples: number;
  constructor(private readonly data: CharStreamDataset) {
    this.length = data.chunks;
    this.numSamples = data.length;
  }
  batches(): number[][] {
    const S = this.data.streams;
    return Array.from({ length: this.data.chunks }, (_, k) => Array.from({ length: S }, (_, s) => k * S + s));
  }
}

/**
 * The state carried between the batches of one pass: `take(k)` gives the state for chunk k (null at
 * k = 0, or when the previous chunk was not seen — a run resumed mid-epoch starts its rows from zeros),
 * `put(k, state)` keeps a detached copy for chunk k + 1 and frees the one before.
 */
export class CarriedState {
  private state: LMState = null;
  private next = -1;

  take(k: number): LMState {
    if (k !== this.next) this.clear();
    return this.state;
  }

  put(k: number, s: LMState): void {
    const kept = keepState(s);
    this.clear();
    this.state = kept;
    this.next = k + 1;
  }

  clear(): void {
    disposeState(this.state);
    this.state = null;
    this.next = -1;
  }
}

export function keepState(s: LMState): LMState {
  if (s instanceof Tensor) return keep(s.detach());
  if (Array.isArray(s)) return [keep(s[0].detach()), keep(s[1].detach())];
  return null;
}

export function disposeState(s: LMState): void {
  if (s instanceof Tensor) s.dispose();
  else if (Array.isArray(s)) { s[0].dispose(); s[1].dispose(); }
}
