// The spoken-digits data set, browser-safe part: clips (8 kHz PCM with their digit strings and
// voices), the log-mel features, noise augmentation, and length-bucketed batches for CTC training.

import { tensor } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { normalArray, uniformArray } from '../../tensor/random.js';
import { withRng } from '../rng.js';
import type { Dataset } from '../dataset.js';
import { MelSpectrogram } from '../audio/mel.js';

/** CTC classes: 0 is the blank, digit d is class d + 1. */
export const DIGIT_CLASSES = Object.freeze(['<blank>', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
export const DIGIT_WORDS = Object.freeze(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
export const MAX_DIGITS = 7;

/** One clip: where its samples are in the split's audio, what is said, and by which voice. */
export interface ClipInfo {
  offset: number;
  length: number;
  /** the digits said, e.g. '3141' */
  digits: string;
  /** espeak-ng language voice (accent), e.g. 'en-gb-scotland' */
  accent: string;
  /** espeak-ng voice variant, e.g. 'f3' — the "speaker" the splits keep apart */
  variant: string;
  /** words per minute, pitch 0–99, gap between words in 10 ms units */
  speed: number;
  pitch: number;
  gap: number;
}

export type SpeechSplit = 'train' | 'val' | 'test';

/** One split: mono 16-bit PCM at `sampleRate`, and its clips. */
export interface SpokenDigitsSplit {
  split: SpeechSplit;
  sampleRate: number;
  audio: Int16Array;
  clips: ClipInfo[];
  /** the voice variants in this split (disjoint between splits) */
  voices: string[];
  /** where it came from, for messages */
  location: string;
}

/** The feature extractor's settings (8 kHz audio: 32 ms FFT, 25 ms window, 10 ms hop, 40 mels). */
export const SPEECH_FEATURES = Object.freeze({
  sampleRate: 8000, nFft: 256, winLength: 200, hopLength: 80, nMels: 40, fMin: 20, fMax: 4000,
});

let melCache: MelSpectrogram | null = null;

/**
 * Log-mel features [nMels, frames] of a signal in [-1, 1] at SPEECH_FEATURES.sampleRate, each band
 * normalised to zero mean and unit variance over the clip (so loudness and channel do not matter).
 * `warp` stretches the frequency axis (augmentation: another vocal tract length, see MelOptions.warp).
 */
export function speechFeatures(signal: ArrayLike<number>, warp = 1): { data: Float32Array; shape: [number, number] } {
  melCache ??= new MelSpectrogram({ ...SPEECH_FEATURES, window: 'hann', log: true, logOffset: 1e-6 });
  const s = melCache.compute(signal, warp);
  const [m, t] = s.shape;
  for (let b = 0; b < m; b++) {
    const row = s.data.subarray(b * t, (b + 1) * t);
    let mean = 0;
    for (let i = 0; i < t; i++) mean += row[i]!;
    mean /= t;
    let v = 0;
    for (let i = 0; i < t; i++) v += (row[i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / t + 1e-5);
    for (let i = 0; i < t; i++) row[i] = (row[i]! - mean) * inv;
  }
  return s;
}

/** A clip's samples as float in [-1, 1]. */
export function clipSignal(split: SpokenDigitsSplit, i: number): Float32Array {
  const c = split.clips[i]!;
  const out = new Float32Array(c.length);
  for (let k = 0; k < c.length; k++) out[k] = split.audio[c.offset + k]! / 32768;
  return out;
}

export interface NoiseOptions {
  /** signal-to-noise ratio range in dB, drawn uniformly per clip */
  snrDb: [number, number];
}

/** Noise excerpts are cut from one bank of white and brown-ish noise, made once from nabla's generator. */
const BANK = 1 << 18;
let noiseBank: { white: Float32Array; brown: Float32Array } | null = null;

function bank(): { white: Float32Array; brown: Float32Array } {
  if (noiseBank) return noiseBank;
  // its own seed, so the bank is the same whichever stream first asks for it
  const white = Float32Array.from(withRng(0x5eed, () => normalArray(BANK, false)));
  const brown = new Float32Array(BANK);
  let acc = 0;
  for (let k = 0; k < BANK; k++) {
    acc = 0.98 * acc + white[k]! * 0.2; // leaky integrator: energy towards low frequencies
    brown[k] = acc * 3;
  }
  return (noiseBank = { white, brown });
}

/**
 * Adds noise at a signal-to-noise ratio drawn from snrDb: an excerpt (at a random offset) of a random
 * mix of white and brown-ish noise, scaled against the clip's power. Draws from nabla's generator.
 */
export function addNoise(signal: Float32Array, opts: NoiseOptions): Float32Array {
  const n = signal.length;
  const { white, brown } = bank();
  const [u, m, o] = uniformArray(3, false);
  const [lo, hi] = opts.snrDb;
  const snr = lo + (hi - lo) * u!;
  const mix = m!;
  const off = Math.floor(o! * BANK);
  const noise = new Float32Array(n);
  let pn = 0, ps = 0;
  for (let k = 0; k < n; k++) {
    const j = (off + k) & (BANK - 1);
    const v = (1 - mix) * white[j]! + mix * brown[j]!;
    noise[k] = v;
    pn += v * v;
    ps += signal[k]! * signal[k]!;
  }
  const scale = pn > 0 && ps > 0 ? Math.sqrt(ps / pn / 10 ** (snr / 10)) : 0;
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = signal[k]! + scale * noise[k]!;
  return out;
}

/**
 * A vocal-tract-length warp for augmentation: one of 24 factors spaced evenly in log between 0.7 and
 * 1.45 (voices with formants from 0.7× to 1.45× those heard; espeak-ng's variants span about that).
 */
export function randomWarp(): number {
  const [u] = uniformArray(1, false);
  const i = Math.floor(u! * 24);
  return Math.exp(Math.log(0.7) + (i / 23) * (Math.log(1.45) - Math.log(0.7)));
}

/**
 * Training-time augmentation: a random gain, a speed change by resampling, then noise — except for a
 * fraction `clean` of the clips (default 0), left without noise: a model that only ever heard noise
 * fails on a clean recording (the digital silence between words of a synthetic WAV reads as
 * log(1e-6), far below any noise floor it learnt). With clean 0 it draws two numbers per clip, as
 * before the option existed, so runs measured then replay exactly.
 */
export function augment(signal: Float32Array, snrDb: [number, number] = [5, 30], clean = 0): Float32Array {
  if (!(clean >= 0 && clean <= 1)) throw new RangeError(`augment: clean must be a fraction between 0 and 1, got ${clean}`);
  const [g, r, c] = uniformArray(clean > 0 ? 3 : 2, false);
  const gain = 10 ** ((g! * 12 - 6) / 20);
  const rate = 0.9 + 0.2 * r!; // > 1: faster (shorter)
  const n = Math.max(2, Math.floor(signal.length / rate));
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const x = k * rate, i = Math.floor(x), f = x - i;
    const a = signal[Math.min(i, signal.length - 1)]!, b = signal[Math.min(i + 1, signal.length - 1)]!;
    out[k] = gain * (a + f * (b - a));
  }
  return c !== undefined && c < clean ? out : addNoise(out, { snrDb });
}


/**
 * A batch for fit(): x [N, nMels, T] (padded with 0, the normalised mean) and y [N, 2 + 7] int32,
 * each row [feature frames, digit count, classes of the digits…, 0 padding]; ctcBatchLoss and the
 * digit-error metric read the lengths from y.
 */
export type SpeechBatch = [Tensor, Tensor];

export function collateSpeech(items: { features: { data: Float32Array; shape: [number, number] }; digits: string }[]): SpeechBatch {
  const nMels = items[0]!.features.shape[0];
  const T = Math.max(...items.map((s) => s.features.shape[1]));
  const N = items.length;
  const x = new Float32Array(N * nMels * T);
  const y = new Int32Array(N * (2 + MAX_DIGITS));
  items.forEach((s, n) => {
    const t = s.features.shape[1];
    for (let m = 0; m < nMels; m++) x.set(s.features.data.subarray(m * t, (m + 1) * t), (n * nMels + m) * T);
    const row = n * (2 + MAX_DIGITS);
    y[row] = t;
    y[row + 1] = s.digits.length;
    for (let j = 0; j < s.digits.length; j++) y[row + 2 + j] = s.digits.charCodeAt(j) - 47; // '0' → class 1
  });
  return [tensor(x, { shape: [N, nMels, T] }), tensor(y, { dtype: 'int32', shape: [N, 2 + MAX_DIGITS] })];
}

export interface SpeechDatasetOptions {
  batchSize?: number;
  /** fresh noise, gain and speed per clip each time a batch is made (training); otherwise fixed noise */
  augment?: boolean;
  /** with augment: the fraction of clips left without noise each time they are read (default 0) */
  clean?: number;
  /** noise added to every clip once (seeded by noiseSeed), when not augmenting; null: clean (default [10, 30] dB) */
  fixedNoiseDb?: [number, number] | null;
  noiseSeed?: number;
}

/** One clip as a dataset item: its features, what is said, and which clip of the split it is. */
export interface SpeechItem {
  features: { data: Float32Array; shape: [number, number] };
  digits: string;
  index: number;
}

/**
 * A split's clips one by one (for a DataLoader with collateSpeech, and a BucketBatchSampler over
 * `lengths` so clips of similar length share a batch). Without augmentation the features, with the
 * split's fixed noise, are computed once and kept; with it, every get() draws fresh noise, gain,
 * speed and warp from nabla's generator (get() is synchronous, so the draws follow the step order).
 */
export class SpeechClips implements Dataset<SpeechItem> {
  private readonly fixed: ({ data: Float32Array; shape: [number, number] })[] | null = null;

  constructor(readonly split: SpokenDigitsSplit, readonly opts: Omit<SpeechDatasetOptions, 'batchSize'> = {}) {
    if (split.clips.length === 0) throw new Error(`spoken-digits: the ${split.split} split of ${split.location} has no clips`);
    if (!opts.augment) {
      const noise = opts.fixedNoiseDb === undefined ? ([10, 30] as [number, number]) : opts.fixedNoiseDb;
      this.fixed = withRng(opts.noiseSeed ?? 2024, () => split.clips.map((_, i) => {
        const s = clipSignal(split, i);
        return speechFeatures(noise ? addNoise(s, { snrDb: noise }) : s);
      }));
    }
  }

  get length(): number {
    return this.split.clips.length;
  }

  /** Each clip's length in samples (what batches group by). */
  get lengths(): number[] {
    return this.split.clips.map((c) => c.length);
  }

  /** The features of clip i as the model sees them (fixed, or freshly augmented). */
  features(i: number): { data: Float32Array; shape: [number, number] } {
    if (this.fixed) return this.fixed[i]!;
    const signal = augment(clipSignal(this.split, i), undefined, this.opts.clean ?? 0);
    return speechFeatures(signal, randomWarp());
  }

  get(i: number): SpeechItem {
    const c = this.split.clips[i];
    if (!c) throw new RangeError(`SpeechClips: clip ${i} is out of range for the ${this.split.clips.length} clips of the ${this.split.split} split`);
    return { features: this.features(i), digits: c.digits, index: i };
  }
}

/**
 * A map-style dataset whose items are whole batches of clips of similar length, fixed once (sorted by
 * length, then cut): the DataLoader (batchSize 1, collate: (b) => b[0]) shuffles the batches each
 * epoch. The CLI's task uses SpeechClips with a BucketBatchSampler instead, which also varies which
 * clips share a batch from epoch to epoch.
 */
export class SpeechBatches implements Dataset<SpeechBatch> {
  readonly batches: number[][];
  readonly clips: SpeechClips;

  constructor(readonly split: SpokenDigitsSplit, readonly opts: SpeechDatasetOptions = {}) {
    const bs = opts.batchSize ?? 32;
    if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`SpeechBatches: batchSize must be a positive integer, got ${bs}`);
    this.clips = new SpeechClips(split, { augment: opts.augment, clean: opts.clean, fixedNoiseDb: opts.fixedNoiseDb, noiseSeed: opts.noiseSeed });
    const order = split.clips.map((c, i) => [c.length, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((p) => p[1]);
    this.batches = [];
    for (let i = 0; i < order.length; i += bs) this.batches.push(order.slice(i, i + bs));
  }

  get length(): number {
    return this.batches.length;
  }

  /** The features of clip i as the model sees them (fixed, or freshly augmented). */
  features(i: number): { data: Float32Array; shape: [number, number] } {
    return this.clips.features(i);
  }

  get(b: number): SpeechBatch {
    const idx = this.batches[b];
    if (!idx) throw new RangeError(`SpeechBatches: batch ${b} is out of range for ${this.batches.length} batches`);
    return collateSpeech(idx.map((i) => this.clips.get(i)));
  }
}
