// The MovieLens task (dslabs ratings, exported with Rscript): --objective rating trains on explicit
// ratings (RMSE on a seeded 80/20 split, beside the global mean and damped user+item biases);
// --objective ranking trains on implicit feedback with sampled negatives (HR@10 and NDCG@10 of each
// user's latest movie among 100 candidates, beside most-popular). Sparse embeddings with sparse-adam.
// `nabla recommend CHECKPOINT --user ID` lists top titles the user has not rated.

import * as nb from '../../index.js';
import { movielens } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Options, Task, TaskContext, TaskData, TaskIO, Verb } from '../task.js';

export interface MovieLensMeta {
  [k: string]: nb.train.JsonValue;
  objective: string;
  numUsers: number;
  numItems: number;
  globalMean: number;
}
type Ctx = TaskContext<MovieLensMeta>;
const R = nb.apps.recommend;

function ratingsOf(o: Options): { all: nb.apps.recommend.Ratings; ml: ReturnType<typeof movielens> } {
  const ml = movielens();
  let all: nb.apps.recommend.Ratings = { users: ml.users, items: ml.items, ratings: ml.ratings, timestamps: ml.timestamps, numUsers: ml.userIds.length, numItems: ml.movieIds.length };
  const u = o.users as number;
  if (u > 0 && u < all.numUsers) {
    const rows = [...ml.users.keys()].filter((k) => ml.users[k]! < u);
    all = { ...R.subsetRatings(all, rows), numUsers: u };
  }
  return { all, ml };
}

const pairsOf = (r: nb.apps.recommend.Ratings): Int32Array => { const p = new Int32Array(2 * r.users.length); r.users.forEach((u, k) => { p[2 * k] = u; p[2 * k + 1] = r.items[k]!; }); return p; };

function load(o: Options, io: TaskIO, saved?: MovieLensMeta): TaskData<MovieLensMeta> {
  const { all, ml } = ratingsOf(o);
  const source = `${ml.source}: ${all.ratings.length} ratings by ${all.numUsers} users of ${all.numItems} movies`;
  if (o.objective === 'rating') {
    const { train: trainAll, test } = R.splitRatings(all, 0.2, o.seed as number);
    const { train, test: val } = R.splitRatings(trainAll, 0.05, (o.seed as number) + 1);
    const ds = (r: nb.apps.recommend.Ratings): nb.data.TensorDataset => new nb.data.TensorDataset({ data: pairsOf(r), shape: [r.ratings.length, 2] }, { data: r.ratings, shape: [r.ratings.length] });
    const meta = saved ?? { objective: 'rating', numUsers: all.numUsers, numItems: all.numItems, globalMean: R.globalMean(train) };
    io.log(`${train.ratings.length} train / ${val.ratings.length} val / ${test.ratings.length} test ratings (80/20 split by --seed, 5% of the training ratings for validation)`);
    if (io.purpose === 'eval') return { train: new nb.data.ArrayDataset([]), val: null, test: ds(test), meta, source };
    biasCache.set(meta, { train, fitted: R.fitBiases(train) });
    return { train: ds(train), val: ds(val), test: ds(test), meta, source };
  }
  const loo = R.leaveOneOut(all, { seed: o.seed as number });
  const candidateRows = (l: nb.apps.recommend.LeaveOneOut): nb.data.TensorDataset => {
    const c = l.numCandidates, U = all.numUsers, rows = new Int32Array(U * (c + 1));
    for (let u = 0; u < U; u++) { rows[u * (c + 1)] = u; rows.set(l.candidates.subarray(u * c, (u + 1) * c), u * (c + 1) + 1); }
    return new nb.data.TensorDataset({ data: rows, shape: [U, c + 1] }, { data: new Int32Array(U), shape: [U] });
  };
  const test = candidateRows(loo);
  const meta = saved ?? { objective: 'ranking', numUsers: all.numUsers, numItems: all.numItems, globalMean: 0 };
  if (io.purpose === 'eval') return { train: new nb.data.ArrayDataset([]), val: null, test, meta, source };
  // Validation the same way one step earlier: each user's second-latest rating among 99 of their unrated movies.
  const looVal = R.leaveOneOut(loo.train, { seed: (o.seed as number) + 1 });
  io.log(`leave-one-out: each user's latest rating is the test item, the one before the validation item, each ranked among ${loo.numCandidates - 1} movies the user did not rate; ${looVal.train.ratings.length} training ratings as implicit feedback`);
  popCache.set(meta, R.popularityScores({ ...looVal, candidates: Int32Array.from({ length: all.numItems }, (_, i) => i), numCandidates: all.numItems }));
  const tr = looVal.train;
  const train = new nb.data.TensorDataset({ data: pairsOf(tr), shape: [tr.ratings.length, 2] }, { data: new Float32Array(tr.ratings.length).fill(1), shape: [tr.ratings.length] });
  return { train, val: candidateRows(looVal), test, meta, source };
}

// What the baselines are fitted from (the training split), by the run's meta.
const biasCache = new WeakMap<object, { train: nb.apps.recommend.Ratings; fitted: ReturnType<typeof R.fitBiases> }>();
const popCache = new WeakMap<object, Float64Array>();

/** A parameter-free scorer of (user, item) pairs from per-user and per-item tables. */
class TableScorer extends nb.nn.Module {
  constructor(private readonly mean: number, private readonly user: ArrayLike<number> | null, private readonly item: ArrayLike<number> | null) { super(); }
  override forward(x: nb.Tensor): nb.Tensor {
    const p = x.dataSync(), n = x.shape[0]!, out = new Float32Array(n);
    for (let k = 0; k < n; k++) out[k] = this.mean + (this.user ? this.user[p[2 * k]!]! : 0) + (this.item ? this.item[p[2 * k + 1]!]! : 0);
    return nb.tensor(out);
  }
}

/** Ranking: each test row is [user, candidate 0 (the held-out movie), candidates 1…]; scores [B, candidates]. */
function candidateScores(model: nb.nn.Module, rows: nb.Tensor): nb.Tensor {
  const [b, w] = rows.shape as [number, number];
  const r = rows.dataSync(), c = w - 1, pairs = new Int32Array(2 * b * c);
  for (let i = 0; i < b; i++) for (let j = 0; j < c; j++) { pairs[2 * (i * c + j)] = r[i * w]!; pairs[2 * (i * c + j) + 1] = r[i * w + 1 + j]!; }
  return (model.forward(nb.tensor(pairs, { shape: [b * c, 2] })) as nb.Tensor).reshape([b, c]);
}

const recommend: Verb<MovieLensMeta> = {
  summary: 'the top movies for a user that they have not rated',
  usage: '--user ID [--top N]',
  flags: { user: { type: 'int', help: 'the dslabs userId (1…671)' }, top: { type: 'int', default: 10, min: 1, help: 'how many titles' } },
  run({ model, ctx, flags, log }) {
    if (flags.user === undefined) throw new UsageError('recommend: say whose recommendations with --user ID');
    const ml = movielens();
    const u = ml.userIds.indexOf(flags.user as number);
    if (u < 0 || u >= ctx.meta.numUsers) throw new UsageError(`recommend: no user ${flags.user} in the ratings the model was trained on (userIds ${ml.userIds[0]}…${ml.userIds[ctx.meta.numUsers - 1]})`);
    const rated = new Set<number>();
    for (let k = 0; k < ml.users.length; k++) if (ml.users[k] === u) rated.add(ml.items[k]!);
    log(`user ${flags.user} rated ${rated.size} movies; top ${flags.top} of the rest by the model:`);
    for (const t of R.topItems(model, u, ctx.meta.numItems, flags.top as number, rated)) log(`  ${ml.titles[t.item]}  (${ml.genres[t.item]}) · score ${t.score.toFixed(3)}`);
    return 0;
  },
};

export const movielensTask: Task<MovieLensMeta> = {
  name: 'movielens',
  summary: 'recommend movies from the MovieLens ratings (r-cran-dslabs): RMSE or HR@10/NDCG@10',
  flags: {
    objective: { type: 'string', default: 'rating', choices: ['rating', 'ranking'], help: 'rating: predict ratings (RMSE); ranking: rank held-out movies (HR@10, NDCG@10)' },
    dim: { type: 'int', default: 32, min: 1, help: 'embedding width' },
    reg: { type: 'number', default: 0.1, min: 0, help: 'L2 weight on the factors a step uses (mf, rating)' },
    negatives: { type: 'int', default: 4, min: 1, help: 'sampled unrated movies per rating (ranking)' },
    users: { type: 'int', default: 0, min: 0, help: 'use only the first N users (0: all; quick runs)' },
  },
  evalFlags: [],
  defaults: { model: 'mf', epochs: 15, 'batch-size': 1024, lr: 0.003, optimizer: 'sparse-adam', schedule: 'constant' },
  models: { mf: 'matrix factorisation: global mean + user and item biases + factor dot product', ncf: 'neural collaborative filtering (NeuMF: GMF beside an MLP 64-32-16)' },
  data: load,
  model(name, ctx: Ctx) {
    const shape = { users: ctx.meta.numUsers, items: ctx.meta.numItems };
    const sparse = ctx.options.optimizer === 'sparse-adam', dim = ctx.options.dim as number;
    return name === 'mf' ? new nb.models.MatrixFactorization(shape, { dim, globalMean: ctx.meta.globalMean, sparse }) : new nb.models.NeuralCF(shape, { dim, globalMean: ctx.meta.globalMean, sparse });
  },
  trainStep(model, batch, ctx: Ctx) {
    const [x, y] = batch as [nb.Tensor, nb.Tensor];
    if (ctx.meta.objective === 'rating') {
      const out = model.forward(x) as nb.Tensor;
      const mse = nb.F.mseLoss(out, y);
      const reg = ctx.options.reg as number;
      return { loss: reg > 0 && model instanceof nb.models.MatrixFactorization ? mse.add(model.penalty().mul(reg)) : mse, output: out.detach(), target: y };
    }
    // Implicit feedback: each rated pair against `negatives` movies drawn uniformly (nabla's generator).
    const b = x.shape[0]!, neg = ctx.options.negatives as number;
    const p = x.dataSync(), items = nb.randint(0, ctx.meta.numItems, [b * neg]).dataSync();
    const pairs = new Int32Array(2 * b * (1 + neg)), labels = new Float32Array(b * (1 + neg));
    for (let k = 0; k < b; k++) { pairs[2 * k] = p[2 * k]!; pairs[2 * k + 1] = p[2 * k + 1]!; labels[k] = 1; }
    for (let k = 0; k < b * neg; k++) { pairs[2 * (b + k)] = p[2 * (k % b)]!; pairs[2 * (b + k) + 1] = items[k]!; }
    const out = model.forward(nb.tensor(pairs, { shape: [b * (1 + neg), 2] })) as nb.Tensor;
    return { loss: nb.F.binaryCrossEntropyWithLogits(out, nb.tensor(labels)), size: b };
  },
  evalStep(model, batch, ctx: Ctx) {
    const [x, y] = batch as [nb.Tensor, nb.Tensor];
    if (ctx.meta.objective === 'rating') {
      const out = (model.forward(x) as nb.Tensor).clamp(0.5, 5);
      return { loss: nb.F.mseLoss(out, y), output: out, target: y };
    }
    const scores = candidateScores(model, x);
    const labels = nb.zerosLike(scores).add(nb.oneHot(y, scores.shape[1]!).float());
    return { loss: nb.F.binaryCrossEntropyWithLogits(scores, labels), output: scores, target: y };
  },
  metrics: (ctx: Ctx) => (ctx.meta.objective === 'rating' ? [new nb.train.RootMeanSquaredError()] : [new nb.train.RankingMetric('hr', 10), new nb.train.RankingMetric('ndcg', 10)]),
  formatMetric: (_name, v) => v.toFixed(4),
  evalBatchSize: 4096,
  baselines(_data, ctx: Ctx) {
    if (ctx.meta.objective === 'rating') {
      const b = biasCache.get(ctx.meta);
      if (!b) return [];
      return [
        { name: 'global mean', about: `predicts the mean training rating (${b.fitted.mean.toFixed(3)}) for everyone`, model: new TableScorer(b.fitted.mean, null, null) },
        { name: 'user + item biases', about: 'μ + b_u + b_i by alternating damped means (λ_i = 10, λ_u = 15, 10 rounds)', model: new TableScorer(b.fitted.mean, b.fitted.user, b.fitted.item) },
      ];
    }
    const pop = popCache.get(ctx.meta);
    return pop ? [{ name: 'most popular', about: 'ranks movies by how many training ratings they have', model: new TableScorer(0, null, pop) }] : [];
  },
  verbs: { recommend },
};
