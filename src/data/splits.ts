// Index splits for evaluation: a seeded train/test split (stratified by class when labels are given),
// k-fold and stratified k-fold cross-validation, all from nabla's RNG under a private seed.

import { randperm } from './dataset.js';
import { withRng } from './rng.js';

export interface SplitIndices { train: number[]; test: number[] }

function checkFraction(name: string, f: number): void {
  if (!(f > 0 && f < 1)) throw new Error(`${name}: the held-out fraction must be between 0 and 1 (exclusive), got ${f}`);
}

/** Indices grouped by label, each group in shuffled order (labels must be whole numbers). */
function shuffledByClass(name: string, labels: ArrayLike<number>, seed: number): number[][] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c)) throw new Error(`${name}: stratifying needs class labels, label ${i} is ${c}`);
    let g = groups.get(c);
    if (!g) groups.set(c, (g = []));
    g.push(i);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  return withRng(seed, () => keys.map((k) => {
    const g = groups.get(k)!;
    return randperm(g.length).map((j) => g[j]!);
  }));
}

/**
 * Holds out `testFraction` of n samples. With `stratify` (class labels), each class is split in the
 * same proportion (rounded per class), so a rare class appears on both sides when it can.
 */
export function trainTestSplit(n: number, opts: { testFraction: number; seed: number; stratify?: ArrayLike<number> }): SplitIndices {
  checkFraction('trainTestSplit', opts.testFraction);
  if (opts.stratify) {
    if (opts.stratify.length !== n) throw new Error(`trainTestSplit: ${n} samples but ${opts.stratify.length} labels to stratify by`);
    const train: number[] = [], test: number[] = [];
    for (const g of shuffledByClass('trainTestSplit', opts.stratify, opts.seed)) {
      let k = Math.round(g.length * opts.testFraction);
      if (g.length >= 2) k = Math.min(Math.max(k, 1), g.length - 1);
      test.push(...g.slice(0, k));
      train.push(...g.slice(k));
    }
    return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
  }
  const perm = withRng(opts.seed, () => randperm(n));
  const k = Math.round(n * opts.testFraction);
  if (k === 0 || k === n) throw new Error(`trainTestSplit: holding out ${opts.testFraction} of ${n} samples leaves ${k === 0 ? 'nothing to test' : 'nothing to train on'}`);
  return { train: perm.slice(k).sort((a, b) => a - b), test: perm.slice(0, k).sort((a, b) => a - b) };
}

/** k folds over n shuffled samples: fold i tests on the i-th part and trains on the rest. */
export function kFold(n: number, k: number, seed: number): SplitIndices[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`kFold: k must be a whole number ≥ 2, got ${k}`);
  if (k > n) throw new Error(`kFold: ${k} folds need at least ${k} samples, got ${n}`);
  const perm = withRng(seed, () => randperm(n));
  const fold = new Int32Array(n);
  perm.forEach((s, j) => (fold[s] = j % k));
  return folds(fold, k);
}

/**
 * Stratified k folds: each class's samples, shuffled, are dealt to the folds in turn, so every fold
 * holds each class in about the overall proportion. A class with fewer than k samples is an error.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number): SplitIndices[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`stratifiedKFold: k must be a whole number ≥ 2, got ${k}`);
  const groups = shuffledByClass('stratifiedKFold', labels, seed);
  const fold = new Int32Array(labels.length);
  let offset = 0;
  for (const g of groups) {
    if (g.length < k) throw new Error(`stratifiedKFold: class ${labels[g[0]!]} has ${g.length} samples, fewer than the ${k} folds`);
    // Continue dealing where the previous class stopped, so fold sizes differ by at most one.
    g.forEach((s, j) => (fold[s] = (offset + j) % k));
    offset = (offset + g.length) % k;
  }
  return folds(fold, k);
}

function folds(fold: Int32Array, k: number): SplitIndices[] {
  const out: SplitIndices[] = Array.from({ length: k }, () => ({ train: [], test: [] }));
  for (let s = 0; s < fold.length; s++) {
    for (let i = 0; i < k; i++) (i === fold[s] ? out[i]!.test : out[i]!.train).push(s);
  }
  return out;
}
