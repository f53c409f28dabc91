// ROC AUC, the ROC and calibration curves, the Brier score and NDCG@k against scikit-learn
// (fixtures/metrics-sklearn.json by scripts/gen_metric_fixtures.py); HR@k by the counts in comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rocAuc, rocCurve, calibrationCurve, brierScore } from '../src/train/metrics-binary.js';
import { targetRanks, hitRateAtK, ndcgAtK } from '../src/train/metrics-ranking.js';

interface Fx {
  binary: { labels: number[]; scores: number[]; auc: number; fpr: number[]; tpr: number[]; thresholds: (number | null)[];
    calibration: { fraction_positive: number[]; mean_predicted: number[] }; brier: number }[];
  ranking: { scores: number[]; candidates: number; target: number[]; k: number; ndcg: number }[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/metrics-sklearn.json', import.meta.url), 'utf8')) as Fx;
const close = (a: number, b: number, what: string, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('rocAuc, rocCurve, calibrationCurve and brierScore match scikit-learn (with tied scores)', () => {
  for (const [i, c] of fx.binary.entries()) {
    close(rocAuc(c.scores, c.labels), c.auc, `auc ${i}`);
    const r = rocCurve(c.scores, c.labels);
    assert.equal(r.fpr.length, c.fpr.length, `roc points ${i}`);
    r.fpr.forEach((v, j) => close(v, c.fpr[j]!, `fpr ${i}.${j}`));
    r.tpr.forEach((v, j) => close(v, c.tpr[j]!, `tpr ${i}.${j}`));
    // scikit-learn's first threshold is an arbitrary value above the maximum; ours is Infinity.
    r.thresholds.slice(1).forEach((v, j) => close(v, c.thresholds[j + 1]!, `threshold ${i}.${j}`));
    const cal = calibrationCurve(c.scores, c.labels, 10);
    assert.deepEqual(cal.map((b) => b.fractionPositive.toFixed(12)), c.calibration.fraction_positive.map((v) => v.toFixed(12)), `calibration ${i}`);
    assert.deepEqual(cal.map((b) => b.meanPredicted.toFixed(12)), c.calibration.mean_predicted.map((v) => v.toFixed(12)), `calibration ${i}`);
    assert.equal(cal.reduce((s, b) => s + b.count, 0), c.scores.length);
    close(brierScore(c.scores, c.labels), c.brier, `brier ${i}`);
  }
});

test('ndcgAtK matches scikit-learn ndcg_score with ties averaged', () => {
  for (const [i, c] of fx.ranking.entries()) {
    const ranks = targetRanks(c.scores, { candidates: c.candidates, target: c.target });
    close(ndcgAtK(ranks, c.k), c.ndcg, `ndcg ${i}`, 1e-12);
  }
});

test('hitRateAtK and ndcgAtK by hand', () => {
  // query 0: positive 0.9, one above (0.95) → position 1: hit@2, ndcg 1/log2(3)
  // query 1: positive 0.5 tied with one other, two above → position 2 or 3 (½ each): hit@3 = ½
  const r = targetRanks([[0.9, 0.95, 0.1, 0.0], [0.5, 0.7, 0.8, 0.5]].flat(), { candidates: 4 });
  assert.deepEqual(r, [{ above: 1, tied: 0 }, { above: 2, tied: 1 }]);
  close(hitRateAtK(r, 2), 0.5, 'hr@2'); // only query 0
  close(hitRateAtK(r, 3), (1 + 0.5) / 2, 'hr@3');
  close(ndcgAtK(r, 3), (1 / Math.log2(3) + 0.5 / Math.log2(4)) / 2, 'ndcg@3');
  assert.throws(() => hitRateAtK(r, 0), /k must be a whole number/);
  assert.throws(() => targetRanks([1, 2, 3], { candidates: 2 }), /not a whole number of rows/);
  assert.throws(() => rocAuc([0.1, 0.2], [1, 1]), /needs both classes/);
  assert.throws(() => rocAuc([0.1, 0.2], [1, 2]), /label 1 is 2/);
  assert.throws(() => calibrationCurve([1.5, 0.2], [1, 0]), /probability 0 is 1.5/);
});

test('streaming RocAuc and RankingMetric over batches equal the functions over everything, and save/restore their state', async () => {
  const nb = await import('../src/index.js');
  const c = fx.binary[1]!;
  const m = new nb.train.RocAuc();
  // one logit per sample: the logit of the probability orders samples as the probability does
  const logit = c.scores.map((p) => Math.log((p + 1e-9) / (1 - p + 1e-9)));
  const half = Math.floor(logit.length / 2);
  m.update(nb.tensor(logit.slice(0, half)), nb.tensor(c.labels.slice(0, half)));
  const copy = new nb.train.RocAuc();
  copy.loadState(JSON.parse(JSON.stringify(m.state())));
  copy.update(nb.tensor(logit.slice(half)), nb.tensor(c.labels.slice(half)));
  close(copy.compute(), c.auc, 'streamed auc');
  // two logits per sample: [0, logit]
  const m2 = new nb.train.RocAuc();
  m2.update(nb.tensor(logit.flatMap((l) => [0, l]), { shape: [logit.length, 2] }), nb.tensor(c.labels));
  close(m2.compute(), c.auc, 'auc from two logits');
  const r = fx.ranking[0]!;
  const hr = new nb.train.RankingMetric('hr', r.k), nd = new nb.train.RankingMetric('ndcg', r.k);
  const rows = r.target.length, split = 11;
  for (const [a, b] of [[0, split], [split, rows]] as const) {
    const out = nb.tensor(r.scores.slice(a * r.candidates, b * r.candidates), { shape: [b - a, r.candidates] });
    const tgt = nb.tensor(Int32Array.from(r.target.slice(a, b)));
    hr.update(out, tgt); nd.update(out, tgt);
  }
  close(nd.compute(), r.ndcg, 'streamed ndcg', 1e-12);
  const ranks = targetRanks(r.scores, { candidates: r.candidates, target: r.target });
  close(hr.compute(), hitRateAtK(ranks, r.k), 'streamed hr', 1e-12);
  assert.equal(hr.name, 'hr10');
});
