// Fashion-MNIST for the task: the IDX files (Debian's package, --data, $NABLA_DATA, the cache, or the
// shipped sample) as normalised [n, 1, 28, 28] tensors, a seeded validation split, and augmentation.

import * as nb from '../../index.js';
import { fashionMnistSync, FASHION_MNIST_SAMPLE_DIR, type ImageDataset } from '../../node.js';
import type { Options, TaskData, TaskIO } from '../task.js';

/** Fashion-MNIST's training-set mean and standard deviation of x/255 (measured over all 60,000 images). */
export const FMNIST_MEAN = 0.286;
export const FMNIST_STD = 0.353;

/** What a checkpoint keeps to read new images the way the model was trained. */
export interface FashionMeta {
  [k: string]: nb.train.JsonValue;
  classes: string[];
  mean: number;
  std: number;
}

export function normalise(pixels: Uint8Array, mean: number, std: number): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i]! / 255 - mean) / std;
  return out;
}

/** Images idx of a split as a TensorDataset [n, 1, 28, 28] (normalised) and labels [n] (int32). */
function take(d: ImageDataset, idx: readonly number[], meta: FashionMeta): nb.data.TensorDataset {
  const px = 28 * 28;
  const raw = new Uint8Array(idx.length * px);
  const y = new Int32Array(idx.length);
  idx.forEach((i, k) => {
    raw.set(d.images.subarray(i * px, (i + 1) * px), k * px);
    y[k] = d.labels[i]!;
  });
  // Columns, not tensors: the dataset keeps plain arrays, and each batch becomes a tensor when loaded.
  return new nb.data.TensorDataset({ data: normalise(raw, meta.mean, meta.std), shape: [idx.length, 1, 28, 28] }, { data: y, shape: [idx.length] });
}

/** A permutation of 0..n-1 from its own stream (seeded), leaving the global generator where it was. */
function seededPermutation(n: number, seed: number): number[] {
  const saved = nb.getRngState();
  try {
    nb.manualSeed(seed);
    return nb.data.randperm(n);
  } finally {
    nb.setRngState(saved);
  }
}

/**
 * The splits: `val-size` training images (chosen by the seed) are held out for validation; `limit`
 * (> 0) keeps only that many of the rest for training (quick runs). For eval only the test split is read.
 */
export function loadFashion(o: Options, io: TaskIO, saved?: FashionMeta): TaskData<FashionMeta> {
  const root = o.sample ? FASHION_MNIST_SAMPLE_DIR : (o.data as string | undefined);
  const opts = { root, log: io.log };
  const testSet = fashionMnistSync({ ...opts, split: 'test' });
  const meta: FashionMeta = saved ?? { classes: [...testSet.classes], mean: FMNIST_MEAN, std: FMNIST_STD };
  const test = take(testSet, [...Array(testSet.n).keys()], meta);
  const source = `${testSet.source}: ${testSet.location}`;
  if (io.purpose === 'eval') return { train: new nb.data.ArrayDataset([]), val: null, test, meta, source };
  const trainSet = fashionMnistSync({ ...opts, split: 'train' });
  const order = seededPermutation(trainSet.n, (o.seed as number) + 7919);
  const nVal = Math.min(o['val-size'] as number, Math.floor(trainSet.n / 5));
  const valIdx = order.slice(0, nVal).sort((a, b) => a - b);
  let trainIdx = order.slice(nVal).sort((a, b) => a - b);
  if ((o.limit as number) > 0) trainIdx = trainIdx.slice(0, o.limit as number);
  return { train: take(trainSet, trainIdx, meta), val: nVal > 0 ? take(trainSet, valIdx, meta) : null, test, meta, source };
}

/**
 * A batch [n, 1, 28, 28] augmented (a new tensor): a random shift of up to `shift` pixels (zero padded,
 * as a padded random crop) and a horizontal flip with probability ½, drawn from nabla's generator.
 */
export function augmentBatch(x: nb.Tensor, meta: FashionMeta, shift = 2): nb.Tensor {
  const n = x.shape[0]!, H = 28, W = 28, px = H * W;
  const src = x.dataSync();
  const out = new Float32Array(n * px);
  const shifts = nb.randint(0, 2 * shift + 1, [n, 2]).dataSync();
  const flips = nb.randint(0, 2, [n]).dataSync();
  const bg = -meta.mean / meta.std; // a zero pixel after normalisation
  for (let b = 0; b < n; b++) {
    const dy = shifts[2 * b]! - shift, dx = shifts[2 * b + 1]! - shift, flip = flips[b] === 1;
    for (let i = 0; i < H; i++) {
      const si = i + dy;
      for (let j = 0; j < W; j++) {
        const sj = (flip ? W - 1 - j : j) + dx;
        out[b * px + i * W + j] = si >= 0 && si < H && sj >= 0 && sj < W ? src[b * px + si * W + sj]! : bg;
      }
    }
  }
  return nb.tensor(out, { shape: x.shape });
}

/** The 28×28 grey pixels of row `row` of a normalised batch (for pictures in the report). */
export function pixelsOf(x: nb.Tensor, row: number, meta: FashionMeta): Uint8Array {
  const px = 28 * 28;
  const v = x.dataSync().subarray(row * px, (row + 1) * px);
  const out = new Uint8Array(px);
  for (let i = 0; i < px; i++) out[i] = Math.max(0, Math.min(255, Math.round((v[i]! * meta.std + meta.mean) * 255)));
  return out;
}
