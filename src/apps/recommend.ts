// Recommendation on explicit ratings: a seeded 80/20 split scored by RMSE and a leave-one-out split
// (each user's latest rating held out) ranked against 99 sampled unrated movies (HR@10, NDCG@10);
// the baselines — global mean, user+item biases, most popular — and training with fit + SparseAdam.

import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { manualSeed } from '../tensor/random.js';
import { noGrad } from '../autograd/graph.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { fit } from '../train/fit.js';
import { mseLoss, binaryCrossEntropyWithLogits } from '../nn/loss.js';
import { SparseAdam } from '../optim/sparse-adam.js';
import { randperm } from '../data/dataset.js';
import { withRng } from '../data/rng.js';
import { randomInt } from '../tensor/random.js';
import { targetRanks, hitRateAtK, ndcgAtK } from '../train/metrics-ranking.js';
import { MatrixFactorization, NeuralCF } from '../models/recommender.js';

/** Ratings as parallel arrays (users and items are 0-based indices). */
export interface Ratings { users: Int32Array; items: Int32Array; ratings: Float32Array; timestamps?: Float64Array; numUsers: number; numItems: number }

export function subsetRatings(r: Ratings, rows: ArrayLike<number>): Ratings {
  const pick = <A extends Int32Array | Float32Array | Float64Array>(a: A): A => { const out = new (a.constructor as new (n: number) => A)(rows.length); for (let k = 0; k < rows.length; k++) out[k] = a[rows[k]!]!; return out; };
  return { users: pick(r.users), items: pick(r.items), ratings: pick(r.ratings), timestamps: r.timestamps ? pick(r.timestamps) : undefined, numUsers: r.numUsers, numItems: r.numItems };
}

/** A seeded random split of the ratings: `testFraction` held out. */
export function splitRatings(r: Ratings, testFraction: number, seed: number): { train: Ratings; test: Ratings } {
  const n = r.ratings.length;
  const perm = withRng(seed, () => randperm(n));
  const k = Math.round(n * testFraction);
  return { train: subsetRatings(r, perm.slice(k)), test: subsetRatings(r, perm.slice(0, k)) };
}

// ---- rating baselines and RMSE ----

export const clipRating = (v: number): number => Math.min(5, Math.max(0.5, v));

export function rmseOf(pred: ArrayLike<number>, r: Ratings): number {
  let se = 0;
  for (let k = 0; k < r.ratings.length; k++) se += (clipRating(pred[k]!) - r.ratings[k]!) ** 2;
  return Math.sqrt(se / r.ratings.length);
}

/** The mean training rating. */
export function globalMean(train: Ratings): number {
  let s = 0;
  for (const v of train.ratings) s += v;
  return s / train.ratings.length;
}

/**
 * User and item biases by alternating damped means (b_i = Σ(r − μ − b_u)/(λ_i + n_i), then b_u
 * likewise) — the "baseline only" estimate of Koren (2010), with λ_i = 10, λ_u = 15 as in Surprise.
 */
export function fitBiases(train: Ratings, opts: { itemReg?: number; userReg?: number; iterations?: number } = {}): { mean: number; user: Float64Array; item: Float64Array } {
  const mean = globalMean(train);
  const user = new Float64Array(train.numUsers), item = new Float64Array(train.numItems);
  const nu = new Float64Array(train.numUsers), ni = new Float64Array(train.numItems);
  for (let k = 0; k < train.ratings.length; k++) { nu[train.users[k]!]++; ni[train.items[k]!]++; }
  for (let it = 0; it < (opts.iterations ?? 10); it++) {
    const si = new Float64Array(train.numItems), su = new Float64Array(train.numUsers);
    for (let k = 0; k < train.ratings.length; k++) si[train.items[k]!] += train.ratings[k]! - mean - user[train.users[k]!]!;
    for (let i = 0; i < item.length; i++) item[i] = si[i]! / ((opts.itemReg ?? 10) + ni[i]!);
    for (let k = 0; k < train.ratings.length; k++) su[train.users[k]!] += train.ratings[k]! - mean - item[train.items[k]!]!;
    for (let u = 0; u < user.length; u++) user[u] = su[u]! / ((opts.userReg ?? 15) + nu[u]!);
  }
  return { mean, user, item };
}

export function predictBiases(b: ReturnType<typeof fitBiases>, r: Ratings): Float64Array {
  return Float64Array.from(r.ratings, (_, k) => b.mean + b.user[r.users[k]!]! + b.item[r.items[k]!]!);
}

// ---- leave-one-out ranking ----

export interface LeaveOneOut {
  /** every rating but each user's latest */
  train: Ratings;
  /** per user: the held-out item first, then 99 items the user never rated */
  candidates: Int32Array;
  numCandidates: number;
}

/** Holds out each user's latest rating (by timestamp, then file order) and samples unrated negatives. */
export function leaveOneOut(r: Ratings, opts: { negatives?: number; seed: number }): LeaveOneOut {
  if (!r.timestamps) throw new Error('leaveOneOut: the ratings need timestamps');
  const neg = opts.negatives ?? 99;
  const last = new Int32Array(r.numUsers).fill(-1);
  for (let k = 0; k < r.ratings.length; k++) {
    const u = r.users[k]!, j = last[u]!;
    if (j < 0 || r.timestamps[k]! >= r.timestamps[j]!) last[u] = k;
  }
  const rated = Array.from({ length: r.numUsers }, () => new Set<number>());
  for (let k = 0; k < r.ratings.length; k++) rated[r.users[k]!]!.add(r.items[k]!);
  const held = new Set(last);
  const keep: number[] = [];
  for (let k = 0; k < r.ratings.length; k++) if (!held.has(k)) keep.push(k);
  const c = neg + 1;
  const candidates = new Int32Array(r.numUsers * c);
  withRng(opts.seed, () => {
    for (let u = 0; u < r.numUsers; u++) {
      if (last[u]! < 0) throw new Error(`leaveOneOut: user ${u} has no ratings`);
      if (r.numItems - rated[u]!.size < neg) throw new Error(`leaveOneOut: user ${u} has rated all but ${r.numItems - rated[u]!.size} items; cannot sample ${neg} negatives`);
      candidates[u * c] = r.items[last[u]!]!;
      const picked = new Set<number>();
      for (let j = 1; j < c;) {
        const i = randomInt(r.numItems);
        if (rated[u]!.has(i) || picked.has(i)) continue;
        picked.add(i);
        candidates[u * c + j++] = i;
      }
    }
  });
  return { train: subsetRatings(r, keep), candidates, numCandidates: c };
}

/** HR@k and NDCG@k of per-candidate scores laid out like `candidates` (ties broken at random in expectation). */
export function rankingScores(loo: LeaveOneOut, scores: ArrayLike<number>, k = 10): { hr: number; ndcg: number } {
  const ranks = targetRanks(scores, { candidates: loo.numCandidates });
  return { hr: hitRateAtK(ranks, k), ndcg: ndcgAtK(ranks, k) };
}

/** The most-popular baseline: each candidate scored by its number of training ratings. */
export function popularityScores(loo: LeaveOneOut): Float64Array {
  const count = new Float64Array(loo.train.numItems);
  for (const i of loo.train.items) count[i]++;
  return Float64Array.from(loo.candidates, (i) => count[i]!);
}

// ---- models ----

export type RecommenderModel = MatrixFactorization | NeuralCF;

/** Scores of (user, item) pairs in batches, eval mode, no grad. */
export function scorePairs(model: Module, users: ArrayLike<number>, items: ArrayLike<number>, batch = 8192): Float32Array {
  const out = new Float32Array(users.length);
  const wasTraining = model.training;
  model.eval();
  for (let s = 0; s < users.length; s += batch) {
    const n = Math.min(batch, users.length - s);
    const pairs = new Int32Array(2 * n);
    for (let k = 0; k < n; k++) { pairs[2 * k] = users[s + k]!; pairs[2 * k + 1] = items[s + k]!; }
    scope(() => noGrad(() => out.set((model.forward(tensor(pairs, { shape: [n, 2] })) as Tensor).dataSync(), s)));
  }
  model.train(wasTraining);
  return out;
}

/** Batches of [pairs int32 [B, 2], targets float32 [B]] in a fresh seeded order per epoch (built by `epochData`). */
function epochBatches(seed: number, batchSize: number, epochData: (epoch: number) => { users: Int32Array; items: Int32Array; targets: Float32Array }): Iterable<[Tensor, Tensor]> {
  let epoch = 0;
  return {
    *[Symbol.iterator]() {
      const e = epoch++;
      const d = epochData(e);
      const n = d.targets.length;
      const perm = withRng(seed * 1000 + e, () => randperm(n));
      for (let s = 0; s < n; s += batchSize) {
        const m = Math.min(batchSize, n - s);
        const pairs = new Int32Array(2 * m), y = new Float32Array(m);
        for (let k = 0; k < m; k++) { const j = perm[s + k]!; pairs[2 * k] = d.users[j]!; pairs[2 * k + 1] = d.items[j]!; y[k] = d.targets[j]!; }
        yield [tensor(pairs, { shape: [m, 2] }), tensor(y)];
      }
    },
  };
}

export interface RecommenderTrainOptions {
  model: 'mf' | 'ncf';
  dim: number;
  epochs: number;
  lr: number;
  batchSize: number;
  /** L2 weight on the factors a step uses (MF), as in the loss μ-centred ratings minimise */
  reg?: number;
  hidden?: readonly number[];
  seed: number;
  verbose?: boolean;
  /** called after each epoch with its logs (e.g. to print validation RMSE) */
  onEpoch?: (epoch: number, model: RecommenderModel) => void;
}

export function buildRecommender(numUsers: number, numItems: number, opts: Pick<RecommenderTrainOptions, 'model' | 'dim' | 'hidden' | 'seed'>, globalMeanValue: number): RecommenderModel {
  manualSeed(opts.seed);
  const shape = { users: numUsers, items: numItems };
  return opts.model === 'mf' ? new MatrixFactorization(shape, { dim: opts.dim, globalMean: globalMeanValue }) : new NeuralCF(shape, { dim: opts.dim, hidden: opts.hidden, globalMean: globalMeanValue });
}

/** Trains on explicit ratings with MSE (+ L2 on the used factors for MF). */
export async function trainRatings(train: Ratings, opts: RecommenderTrainOptions): Promise<RecommenderModel> {
  const model = buildRecommender(train.numUsers, train.numItems, opts, globalMean(train));
  const reg = opts.reg ?? 0;
  const data = epochBatches(opts.seed, opts.batchSize, () => ({ users: train.users, items: train.items, targets: train.ratings }));
  await fit(model, {
    train: data, optimizer: new SparseAdam(model.parameters(), { lr: opts.lr }), epochs: opts.epochs, verbose: opts.verbose ? 'lines' : false,
    loss: (out, y) => (reg > 0 && model instanceof MatrixFactorization ? mseLoss(out, y).add(model.penalty().mul(reg)) : mseLoss(out, y)),
    callbacks: opts.onEpoch ? [{ onEpochEnd: (e: number) => opts.onEpoch!(e, model) }] : [],
  });
  model.eval();
  return model;
}

/**
 * Trains on implicit feedback (rated = 1) with binary cross-entropy, `negatives` unrated items
 * sampled afresh for each positive each epoch (He et al.'s NCF protocol).
 */
export async function trainRanking(train: Ratings, opts: RecommenderTrainOptions & { negatives?: number }): Promise<RecommenderModel> {
  const model = buildRecommender(train.numUsers, train.numItems, opts, 0);
  const neg = opts.negatives ?? 4;
  const rated = Array.from({ length: train.numUsers }, () => new Set<number>());
  for (let k = 0; k < train.ratings.length; k++) rated[train.users[k]!]!.add(train.items[k]!);
  const n = train.ratings.length;
  const data = epochBatches(opts.seed, opts.batchSize, (epoch) => withRng(opts.seed * 7919 + epoch, () => {
    const users = new Int32Array(n * (1 + neg)), items = new Int32Array(n * (1 + neg)), targets = new Float32Array(n * (1 + neg));
    users.set(train.users); items.set(train.items); targets.fill(1, 0, n);
    for (let k = 0; k < n * neg; k++) {
      const u = train.users[k % n]!;
      let i: number;
      do i = randomInt(train.numItems); while (rated[u]!.has(i));
      users[n + k] = u; items[n + k] = i;
    }
    return { users, items, targets };
  }));
  await fit(model, {
    train: data, optimizer: new SparseAdam(model.parameters(), { lr: opts.lr }), epochs: opts.epochs, verbose: opts.verbose ? 'lines' : false,
    loss: (out, y) => binaryCrossEntropyWithLogits(out, y),
    callbacks: opts.onEpoch ? [{ onEpochEnd: (e: number) => opts.onEpoch!(e, model) }] : [],
  });
  model.eval();
  return model;
}

/** The top `k` items for a user by the model's score, leaving out `exclude` (e.g. what they rated). */
export function topItems(model: Module, user: number, numItems: number, k: number, exclude: ReadonlySet<number> = new Set()): { item: number; score: number }[] {
  const items = Int32Array.from({ length: numItems }, (_, i) => i);
  const scores = scorePairs(model, new Int32Array(numItems).fill(user), items);
  return [...items].filter((i) => !exclude.has(i)).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k).map((item) => ({ item, score: scores[item]! }));
}
