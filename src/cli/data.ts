// Data for the CLI: Fashion-MNIST (Debian's files, $NABLA_DATA, the cache, or the shipped sample)
// as normalised float tensors, a seeded validation split, and batch augmentation.

import { fashionMnistSync, DATASET_SPECS } from '../data/datasets/fashion-mnist-node.js';
import type { ImageDataset } from '../data/datasets/fashion-mnist.js';
import { randomInt } from '../tensor/random.js';
import { withRngState, seededState } from '../data/rng.js';
import { randperm } from '../data/dataset.js';

/** Fashion-MNIST's training-set mean and standard deviation of x/255 (measured over all 60,000 images). */
export const FMNIST_MEAN = 0.286;
export const FMNIST_STD = 0.353;

export interface Split {
  x: Float32Array; // [n, 1, 28, 28], normalised
  y: Int32Array;
  raw: Uint8Array; // [n, 28, 28] pixels, for the report's images
  n: number;
}

export interface LoadedData {
  train: Split;
  val: Split | null;
  test: Split;
  classes: readonly string[];
  source: string;
}

export function normalise(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i]! / 255 - FMNIST_MEAN) / FMNIST_STD;
  return out;
}

function take(d: ImageDataset, idx: readonly number[]): Split {
  const px = 28 * 28;
  const raw = new Uint8Array(idx.length * px);
  const y = new Int32Array(idx.length);
  idx.forEach((i, k) => {
    raw.set(d.images.subarray(i * px, (i + 1) * px), k * px);
    y[k] = d.labels[i]!;
  });
  return { x: normalise(raw), y, raw, n: idx.length };
}

export interface DataOptions {
  dataset: string;
  sample: boolean;
  limit: number;
  valSize: number;
  seed: number;
  root?: string;
}

/**
 * Loads the train and test splits; `valSize` images of the training set (chosen by the seed) are held
 * out for validation; `limit` (> 0) keeps only that many training images (for quick runs).
 */
export function loadData(o: DataOptions, log: (s: string) => void): LoadedData {
  if (o.dataset !== 'fashion-mnist') throw new Error(`unknown dataset '${o.dataset}' (available: fashion-mnist)`);
  const root = (o.sample ? DATASET_SPECS.fashionMnist.sampleDir : o.root) ?? undefined;
  const opts = { root, log };
  const trainSet = fashionMnistSync({ ...opts, split: 'train' });
  const testSet = fashionMnistSync({ ...opts, split: 'test' });
  const order = withRngState(seededState(o.seed + 7919), () => randperm(trainSet.n)).result;
  const nVal = Math.min(o.valSize, Math.floor(trainSet.n / 5));
  const valIdx = order.slice(0, nVal).sort((a, b) => a - b);
  let trainIdx = order.slice(nVal).sort((a, b) => a - b);
  if (o.limit > 0) trainIdx = trainIdx.slice(0, o.limit);
  return {
    train: take(trainSet, trainIdx),
    val: nVal > 0 ? take(trainSet, valIdx) : null,
    test: take(testSet, [...Array(testSet.n).keys()]),
    classes: trainSet.classes,
    source: `${trainSet.source}: ${trainSet.location}`,
  };
}

/**
 * Augments a batch [n, 1, 28, 28] in place: a random shift of up to `shift` pixels (zero padded, as a
 * padded random crop) and a horizontal flip with probability ½, drawn from nabla's generator.
 */
export function augmentBatch(x: Float32Array, n: number, shift = 2): void {
  const H = 28, W = 28, px = H * W;
  const tmp = new Float32Array(px);
  const bg = -FMNIST_MEAN / FMNIST_STD; // a zero pixel after normalisation
  for (let b = 0; b < n; b++) {
    const img = x.subarray(b * px, (b + 1) * px);
    const dy = randomInt(2 * shift + 1) - shift, dx = randomInt(2 * shift + 1) - shift;
    const flip = randomInt(2) === 1;
    for (let i = 0; i < H; i++) {
      const si = i + dy;
      for (let j = 0; j < W; j++) {
        const sj = (flip ? W - 1 - j : j) + dx;
        tmp[i * W + j] = si >= 0 && si < H && sj >= 0 && sj < W ? img[si * W + sj]! : bg;
      }
    }
    img.set(tmp);
  }
}
