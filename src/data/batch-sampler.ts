// Batch samplers: what a DataLoader's `batchSampler` gives it instead of consecutive (or shuffled)
// runs of batchSize samples — here, batches of samples of similar length (clips, sentences), so a
// batch pads little and an RNN reads little padding.

import { randperm } from './dataset.js';

/**
 * Which samples form each batch of an epoch (PyTorch's `batch_sampler`). `batches()` is called once
 * when an epoch begins; its random draws (randperm, nb.rand…) come from the loader's stream — the
 * private one of a seeded loader, else the global generator — so the loader's state (and so a
 * checkpoint) captures them and a resumed run sees the same batches.
 */
export interface BatchSampler {
  /** Batches per epoch (batches() must give exactly this many). */
  readonly length: number;
  /** The size of dataset its indices are for, if it knows (a DataLoader checks it against its dataset). */
  readonly numSamples?: number;
  /** One epoch's batches: lists of dataset indices. */
  batches(): number[][];
}

export interface BucketBatchSamplerOptions {
  /** Samples per batch. */
  batchSize: number;
  /** A new grouping and batch order every epoch (default false: batches in order of length). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /**
   * Batches per bucket when shuffling (default 100): each epoch the samples are shuffled, cut into
   * buckets of bucketSize × batchSize, sorted by length within each bucket and cut into batches, and
   * the batches are shuffled. Larger buckets pad less; smaller ones vary the batches more.
   */
  bucketSize?: number;
}

const OPTION_NAMES = ['batchSize', 'shuffle', 'dropLast', 'bucketSize'];

/**
 * Batches of samples of similar length (torchnlp's BucketBatchSampler): without shuffle, every
 * sample in order of length (ties by index) cut into batches — the same every epoch, for evaluation;
 * with shuffle, length-sorted buckets of a fresh permutation, cut into batches whose order is shuffled.
 */
export class BucketBatchSampler implements BatchSampler {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly bucketSize: number;
  private readonly lengths: Float64Array;

  /** `lengths[i]`: the length of sample i (frames, tokens, characters). */
  constructor(lengths: ArrayLike<number>, opts: BucketBatchSamplerOptions) {
    for (const k of Object.keys(opts)) {
      if (!OPTION_NAMES.includes(k)) throw new Error(`BucketBatchSampler: unknown option '${k}' (options: ${OPTION_NAMES.join(', ')})`);
    }
    const { batchSize } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`BucketBatchSampler: batchSize must be a positive integer, got ${batchSize}`);
    const bucketSize = opts.bucketSize ?? 100;
    if (!Number.isInteger(bucketSize) || bucketSize < 1) throw new Error(`BucketBatchSampler: bucketSize must be a positive integer (batches per bucket), got ${bucketSize}`);
    this.lengths = Float64Array.from(lengths);
    this.lengths.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new Error(`BucketBatchSampler: lengths[${i}] is ${v}, not a finite number`);
    });
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.bucketSize = bucketSize;
  }

  get numSamples(): number {
    return this.lengths.length;
  }

  get length(): number {
    const n = this.lengths.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Sorts indices by length, ties in the order given (stable). */
  private byLength(idx: number[]): number[] {
    const L = this.lengths;
    return idx.map((i, pos) => [L[i]!, pos, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((t) => t[2]);
  }

  batches(): number[][] {
    const n = this.lengths.length, bs = this.batchSize;
    let order: number[];
    if (!this.shuffle) {
      order = this.byLength(Array.from({ length: n }, (_, i) => i));
    } else {
      // Buckets hold whole batches, so only the epoch's last batch can be short.
      const perm = randperm(n), span = this.bucketSize * bs;
      order = [];
      for (let s = 0; s < n; s += span) order.push(...this.byLength(perm.slice(s, s + span)));
    }
    const out: number[][] = [];
    for (let s = 0; s < n; s += bs) {
      const b = order.slice(s, s + bs);
      if (b.length < bs && this.dropLast) break;
      out.push(b);
    }
    if (!this.shuffle) return out;
    return randperm(out.length).map((i) => out[i]!);
  }
}
