// Recommendation on the MovieLens ratings of Debian's r-cran-dslabs (exported with Rscript, cached):
// the data checked, the clear message without R, and on the first 200 users (27,678 ratings) the
// stated bars: matrix factorisation's RMSE below the user+item-bias baseline (80/20 split, seed 1), and
// its leave-one-out HR@10 at least 0.05 above the most-popular ranking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nb from '../src/index.js';
import { movielens, type MovieLens } from '../src/node.js';

const R = nb.apps.recommend;
const cacheDir = mkdtempSync(join(tmpdir(), 'nabla-ml-'));
let ml: MovieLens;

test('the dslabs export: 100,004 ratings of 9,066 movies by 671 users, cached after the first read', () => {
  ml = movielens({ cacheDir });
  assert.equal(ml.ratings.length, 100004);
  assert.equal(ml.userIds.length, 671);
  assert.equal(ml.movieIds.length, 9066);
  assert.equal(ml.titles[0], 'Dangerous Minds (1995)');
  assert.ok(existsSync(join(cacheDir, 'dslabs-movielens.csv')));
  const saved = process.env.NABLA_RSCRIPT;
  process.env.NABLA_RSCRIPT = '/nonexistent/Rscript';
  try {
    assert.equal(movielens({ cacheDir }).ratings.length, 100004, 'read from the cache, R not needed');
    const empty = mkdtempSync(join(tmpdir(), 'nabla-ml-empty-'));
    assert.throws(() => movielens({ cacheDir: empty }), /dslabs-movielens.csv: exporting it needs R, and '\/nonexistent\/Rscript' was not found: install r-base-core r-cran-dslabs/);
    rmSync(empty, { recursive: true });
  } finally {
    if (saved === undefined) delete process.env.NABLA_RSCRIPT; else process.env.NABLA_RSCRIPT = saved;
  }
});

function firstUsers(u: number): nb.apps.recommend.Ratings {
  const all = { users: ml.users, items: ml.items, ratings: ml.ratings, timestamps: ml.timestamps, numUsers: ml.userIds.length, numItems: ml.movieIds.length };
  const rows = [...ml.users.keys()].filter((k) => ml.users[k]! < u);
  return { ...R.subsetRatings(all, rows), numUsers: u };
}

test('200 users: MF beats the user+item-bias baseline on RMSE, which beats the global mean', async () => {
  const { train, test: held } = R.splitRatings(firstUsers(200), 0.2, 1);
  assert.equal(train.ratings.length + held.ratings.length, 27678);
  const mean = R.rmseOf(new Float64Array(held.ratings.length).fill(R.globalMean(train)), held);
  const bias = R.rmseOf(R.predictBiases(R.fitBiases(train), held), held);
  const model = await R.trainRatings(train, { model: 'mf', dim: 16, epochs: 10, lr: 0.003, batchSize: 512, reg: 0.1, seed: 1 });
  const mf = R.rmseOf(R.scorePairs(model, held.users, held.items), held);
  assert.ok(bias < mean - 0.1, `bias ${bias}, global mean ${mean}`);
  assert.ok(mf < bias, `MF ${mf}, biases ${bias}`);
});

test('200 users: leave-one-out HR@10 of MF trained on implicit feedback beats most-popular by ≥ 0.05', async () => {
  const loo = R.leaveOneOut(firstUsers(200), { seed: 1 });
  assert.equal(loo.numCandidates, 100);
  const pop = R.rankingScores(loo, R.popularityScores(loo));
  const model = await R.trainRanking(loo.train, { model: 'mf', dim: 16, epochs: 4, lr: 0.02, batchSize: 1024, seed: 1 });
  const users = Int32Array.from(loo.candidates, (_, k) => Math.floor(k / loo.numCandidates));
  const mf = R.rankingScores(loo, R.scorePairs(model, users, loo.candidates));
  assert.ok(mf.hr >= pop.hr + 0.05, `HR@10 MF ${mf.hr}, most popular ${pop.hr}`);
  assert.ok(mf.ndcg > pop.ndcg, `NDCG@10 MF ${mf.ndcg}, most popular ${pop.ndcg}`);
  // recommendations leave out what the user rated
  const rated = new Set<number>();
  for (let k = 0; k < loo.train.users.length; k++) if (loo.train.users[k] === 0) rated.add(loo.train.items[k]!);
  const top = R.topItems(model, 0, loo.train.numItems, 10, rated);
  assert.equal(top.length, 10);
  assert.ok(top.every((t) => !rated.has(t.item)));
  assert.ok(top[0]!.score >= top[9]!.score);
  rmSync(cacheDir, { recursive: true });
});
