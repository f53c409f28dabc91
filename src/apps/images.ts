// Training a classifier on a folder of images (one sub-folder per class): a stratified hold-out split,
// the small CNN trained with fit, accuracy on the held-out images, and predictions for new files.

import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { manualSeed } from '../tensor/random.js';
import { noGrad } from '../autograd/graph.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { fit } from '../train/fit.js';
import { crossEntropy } from '../nn/loss.js';
import { AdamW, OneCycleLR } from '../optim/index.js';
import { softmax } from '../ops/activation.js';
import { trainTestSplit } from '../data/splits.js';
import { imageCnn } from '../models/image.js';

export interface ImageSet { x: Float32Array; labels: Int32Array; n: number; channels: number; size: number; classes: string[] }

function pick(d: ImageSet, rows: readonly number[]): ImageSet {
  const per = d.channels * d.size * d.size;
  const x = new Float32Array(rows.length * per);
  rows.forEach((r, i) => x.set(d.x.subarray(r * per, (r + 1) * per), i * per));
  return { ...d, x, labels: Int32Array.from(rows, (r) => d.labels[r]!), n: rows.length };
}

/** A stratified split of the images: `testFraction` of each class held out. */
export function splitImages(d: ImageSet, testFraction: number, seed: number): { train: ImageSet; test: ImageSet } {
  const s = trainTestSplit(d.n, { testFraction, seed, stratify: d.labels });
  return { train: pick(d, s.train), test: pick(d, s.test) };
}

export async function trainImages(train: ImageSet, opts: { epochs: number; lr?: number; batchSize?: number; width?: number; dropout?: number; seed: number; verbose?: boolean }): Promise<Module> {
  manualSeed(opts.seed);
  const model = imageCnn(train.channels, train.classes.length, opts);
  const ds = new TensorDataset({ data: train.x, shape: [train.n, train.channels, train.size, train.size] }, { data: train.labels, shape: [train.n] });
  const loader = new DataLoader(ds, { batchSize: opts.batchSize ?? 32, shuffle: true, seed: opts.seed });
  const optimizer = new AdamW(model.parameters(), { lr: opts.lr ?? 0.003 });
  // The rate anneals to ~0, so the last steps barely move the weights and batch norm's running
  // statistics (what eval mode uses) catch up with them — on a few hundred steps they otherwise lag.
  const scheduler = new OneCycleLR(optimizer, { maxLr: opts.lr ?? 0.003, totalSteps: opts.epochs * loader.length, pctStart: 0.25 });
  await fit(model, {
    train: loader, loss: (o: Tensor, y: Tensor) => crossEntropy(o, y), optimizer, scheduler, schedulerInterval: 'batch',
    epochs: opts.epochs, metrics: ['accuracy'], verbose: opts.verbose ? 'lines' : false,
  });
  model.eval();
  return model;
}

/** Class probabilities [n, classes] for images laid out as [n, channels, size, size]. */
export function predictImages(model: Module, d: Pick<ImageSet, 'x' | 'n' | 'channels' | 'size'>): Float32Array {
  model.eval();
  const out = new Float32Array(0);
  const parts: Float32Array[] = [];
  const per = d.channels * d.size * d.size;
  for (let s = 0; s < d.n; s += 256) {
    const m = Math.min(256, d.n - s);
    parts.push(scope(() => noGrad(() => Float32Array.from(softmax(model.forward(tensor(d.x.subarray(s * per, (s + m) * per), { shape: [m, d.channels, d.size, d.size] })) as Tensor, 1).dataSync()))));
  }
  if (parts.length === 0) return out;
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) { all.set(p, off); off += p.length; }
  return all;
}

export function accuracyOf(probs: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}
