// Recommendation on the MovieLens ratings of Debian's r-cran-dslabs: matrix factorisation with biases
// (RMSE on a seeded 80/20 split, beside the global-mean and user+item-bias baselines) and NCF / MF on
// implicit feedback (leave-one-out HR@10 and NDCG@10 among 100 candidates, beside most-popular), then
// the top titles for one user. Writes movielens.html.
// Run: npm run build && node --import tsx examples/movielens.ts [--epochs 15] [--rank-model ncf] [--user 1]
import { writeFileSync } from 'node:fs';
import * as nb from 'nabla';
import { movielens } from 'nabla/node';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const R = nb.apps.recommend, { plots } = nb.apps;
const ml = movielens();
const all = { users: ml.users, items: ml.items, ratings: ml.ratings, timestamps: ml.timestamps, numUsers: ml.userIds.length, numItems: ml.movieIds.length };
console.log(`${ml.ratings.length} ratings of ${ml.movieIds.length} movies by ${ml.userIds.length} users (${ml.source})`);

// Ratings: 80/20, seed 1.
const { train, test } = R.splitRatings(all, 0.2, 1);
const rmse: [string, number][] = [
  ['global mean', R.rmseOf(new Float64Array(test.ratings.length).fill(R.globalMean(train)), test)],
  ['user + item biases (damped means)', R.rmseOf(R.predictBiases(R.fitBiases(train), test), test)],
];
const curve: number[] = [];
let t0 = performance.now();
const mf = await R.trainRatings(train, {
  model: 'mf', dim: 32, epochs: Number(arg('epochs', '15')), lr: 0.003, batchSize: 1024, reg: 0.1, seed: 1,
  onEpoch: (e, m) => { curve.push(R.rmseOf(R.scorePairs(m, test.users, test.items), test)); console.log(`  MF epoch ${e + 1}: test RMSE ${curve.at(-1)!.toFixed(4)}`); },
});
rmse.push(['matrix factorisation, 32 factors + biases', R.rmseOf(R.scorePairs(mf, test.users, test.items), test)]);
console.log(`MF trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const [k, v] of rmse) console.log(`RMSE ${k}: ${v.toFixed(4)}`);

// Ranking: leave-one-out, 99 sampled unrated movies per user, seed 1.
const loo = R.leaveOneOut(all, { seed: 1 });
const users = Int32Array.from(loo.candidates, (_, k) => Math.floor(k / loo.numCandidates));
const ranking: [string, { hr: number; ndcg: number }][] = [['most popular', R.rankingScores(loo, R.popularityScores(loo))]];
const rankModel = arg('rank-model', 'ncf') as 'ncf' | 'mf';
t0 = performance.now();
const rk = await R.trainRanking(loo.train, {
  model: rankModel, dim: rankModel === 'ncf' ? 32 : 32, epochs: Number(arg('rank-epochs', rankModel === 'ncf' ? '10' : '8')), lr: rankModel === 'ncf' ? 0.001 : 0.02, batchSize: 1024, seed: 1,
  onEpoch: (e, m) => console.log(`  ${rankModel} epoch ${e + 1}: HR@10 ${R.rankingScores(loo, R.scorePairs(m, users, loo.candidates)).hr.toFixed(4)}`),
});
ranking.push([rankModel === 'ncf' ? 'NCF (NeuMF, 32-dim, MLP 64-32-16)' : 'MF, 32 factors', R.rankingScores(loo, R.scorePairs(rk, users, loo.candidates))]);
console.log(`${rankModel} trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const [k, v] of ranking) console.log(`${k}: HR@10 ${v.hr.toFixed(4)} · NDCG@10 ${v.ndcg.toFixed(4)}`);

// Top titles for one user (by dslabs userId), leaving out what they rated.
const userId = Number(arg('user', '1'));
const u = ml.userIds.indexOf(userId);
if (u < 0) throw new Error(`no user ${userId} in the ratings`);
const rated = new Set<number>();
for (let k = 0; k < ml.users.length; k++) if (ml.users[k] === u) rated.add(ml.items[k]!);
const top = R.topItems(rk, u, ml.movieIds.length, 10, rated);
console.log(`top 10 for user ${userId}:`);
for (const t of top) console.log(`  ${ml.titles[t.item]} — ${ml.genres[t.item]}`);

writeFileSync(arg('out', 'movielens.html'), plots.htmlPage('nabla — MovieLens (dslabs)', [
  '<h2>Rating prediction, 80/20 split (seed 1)</h2>', plots.htmlTable(['model', 'RMSE'], rmse),
  plots.lineChart([{ name: 'MF test RMSE', x: curve.map((_, i) => i + 1), y: curve }, { name: 'biases baseline', x: [1, curve.length], y: [rmse[1]![1], rmse[1]![1]], dashed: true }], { title: 'RMSE by epoch', xLabel: 'epoch', yLabel: 'RMSE' }),
  '<h2>Top-10 ranking, leave-one-out among 100 candidates</h2>', plots.htmlTable(['model', 'HR@10', 'NDCG@10'], ranking.map(([k, v]) => [k, v.hr, v.ndcg])),
  `<h2>Recommended for user ${userId}</h2><ol>${top.map((t) => `<li>${ml.titles[t.item]}</li>`).join('')}</ol>`,
]));
