// Metrics against hand-computed examples (the arithmetic is in the comments), and the streaming
// accumulators agreeing with the pure functions when fed batch by batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import {
  accuracy, topKAccuracy, confusionMatrix, precisionRecallF1, mae, rmse, createMetric, ConfusionMatrix, TopKAccuracy,
} from '../src/train/index.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

// preds   [0, 2, 1, 2, 0, 1]
// targets [0, 1, 1, 2, 0, 2]   → correct at samples 0, 2, 3, 4: accuracy 4/6.
// Confusion (rows = true, cols = predicted): true 0 → {0, 0}; true 1 → {2, 1}; true 2 → {2, 1}
//   [[2, 0, 0], [0, 1, 1], [0, 1, 1]]
// precision = diag / column sums = [2/2, 1/2, 1/2]; recall = diag / row sums = [2/2, 1/2, 1/2];
// f1 = 2pr/(p+r) = [1, .5, .5]; macro = (1 + .5 + .5)/3 = 2/3 for all three; support [2, 2, 2].
const P = [0, 2, 1, 2, 0, 1];
const Y = [0, 1, 1, 2, 0, 2];

test('accuracy, confusion matrix, precision/recall/F1 on a hand-counted example', () => {
  const cases: [string, () => number, number][] = [
    ['accuracy of indices', () => accuracy(P, Y), 4 / 6],
    ['accuracy of tensors', () => accuracy(nb.tensor(P), nb.tensor(Y)), 4 / 6],
    // one-hot-ish scores whose argmax is P
    ['accuracy of scores', () => accuracy(P.map((p) => [0, 1, 2].map((c) => (c === p ? 0.9 : 0.05))), Y), 4 / 6],
    ['accuracy of nothing', () => accuracy([], []), 0],
  ];
  for (const [what, f, want] of cases) close(f(), want, what);
  assert.deepEqual(confusionMatrix(P, Y), [[2, 0, 0], [0, 1, 1], [0, 1, 1]]);
  const r = precisionRecallF1(P, Y);
  assert.deepEqual(r.precision, [1, 0.5, 0.5]);
  assert.deepEqual(r.recall, [1, 0.5, 0.5]);
  assert.deepEqual(r.f1, [1, 0.5, 0.5]);
  assert.deepEqual(r.support, [2, 2, 2]);
  for (const k of ['precision', 'recall', 'f1'] as const) close(r.macro[k], 2 / 3, `macro ${k}`);
});

test('precision/recall/F1 with empty classes (0/0 counts as 0, as scikit-learn zero_division=0)', () => {
  // preds [0, 0, 0], targets [0, 1, 0], 3 classes: cm [[2, 0, 0], [1, 0, 0], [0, 0, 0]]
  // precision [2/3, 0/0→0, 0/0→0]; recall [2/2, 0/1, 0/0→0]; f1_0 = 2·(2/3)·1/(2/3 + 1) = 0.8
  // macro f1 = 0.8/3; weighted by support [2, 1, 0]: precision (2/3·2)/3 = 4/9, recall 2/3, f1 0.8·2/3.
  const r = precisionRecallF1([0, 0, 0], [0, 1, 0], 3);
  close(r.precision[0]!, 2 / 3, 'p0');
  assert.deepEqual([r.precision[1], r.precision[2], r.recall[1], r.recall[2]], [0, 0, 0, 0]);
  close(r.f1[0]!, 0.8, 'f1_0');
  close(r.macro.f1, 0.8 / 3, 'macro f1');
  close(r.weighted.precision, 4 / 9, 'weighted precision');
  close(r.weighted.recall, 2 / 3, 'weighted recall');
  close(r.weighted.f1, 0.8 * 2 / 3, 'weighted f1');
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /prediction 3 \(sample 1\) is not a class index in \[0, 3\)/);
  assert.throws(() => accuracy([0, 1], [0]), /2 predictions but 1 targets/);
});

test('top-k accuracy: the target among the k highest scores (ties favour the target)', () => {
  // row 0: target 2 scores .4, one score above (.5)        → in top 2, not top 1
  // row 1: target 0 scores .3, one above (.4); the tie .3 is not above → in top 2
  // row 2: target 2 scores .05, two above (.8, .15)        → in top 3 only
  const S = [[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.8, 0.15, 0.05]];
  const T = [2, 0, 2];
  const cases: [number, number][] = [[1, 0], [2, 2 / 3], [3, 1]];
  for (const [k, want] of cases) {
    close(topKAccuracy(S, T, k), want, `top${k}`);
    close(topKAccuracy(nb.tensor(S), nb.tensor(T, { dtype: 'int32' }), k), want, `top${k} tensors`);
  }
  assert.throws(() => topKAccuracy([0, 1], [0, 1], 1), /needs scores \[N, C\]/);
  assert.throws(() => topKAccuracy(S, [2, 0, 3], 1), /target 3 \(sample 2\) is not a class index/);
});

test('MAE and RMSE', () => {
  // |errors| = [.5, 0, 1, 2] → MAE 3.5/4 = .875; squares [.25, 0, 1, 4] → RMSE √(5.25/4) = √1.3125
  const p = [1, 2, 3, 4], t = [1.5, 2, 2, 6];
  close(mae(p, t), 0.875, 'mae');
  close(rmse(p, t), Math.sqrt(1.3125), 'rmse');
  close(mae(nb.tensor(p), nb.tensor(t)), 0.875, 'mae tensors');
  close(rmse(nb.tensor([[1, 2], [3, 4]]), nb.tensor([[1.5, 2], [2, 6]])), Math.sqrt(1.3125), 'rmse 2-D');
});

test('streaming accumulators fed in batches equal the functions on the whole', () => {
  const scores = P.map((p, i) => [0, 1, 2].map((c) => (c === p ? 2 : c === Y[i] ? 1 : 0)));
  const whole: Record<string, number> = {
    accuracy: 4 / 6, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3,
    top2Accuracy: topKAccuracy(scores, Y, 2), mae: mae(P, Y), rmse: rmse(P, Y),
  };
  // top-2 by the comment's construction: the target has score 2 or 1, so it is always in the top 2.
  assert.equal(whole.top2Accuracy, 1);
  for (const name of ['accuracy', 'precision', 'recall', 'f1', 'top2', 'mae', 'rmse'] as const) {
    const m = createMetric(name);
    m.reset();
    const regression = name === 'mae' || name === 'rmse';
    for (const [a, b] of [[0, 2], [2, 5], [5, 6]] as const) {
      const out = regression ? nb.tensor(P.slice(a, b), { dtype: 'float32' }) : nb.tensor(scores.slice(a, b));
      m.update(out, nb.tensor(Y.slice(a, b), { dtype: regression ? 'float32' : 'int32' }));
    }
    close(m.compute(), whole[m.name]!, name);
    assert.ok(m.clone!() !== m);
  }
  const cm = new ConfusionMatrix(3);
  cm.update(nb.tensor(scores.slice(0, 3)), nb.tensor(Y.slice(0, 3)));
  cm.update(nb.tensor(scores.slice(3)), nb.tensor(Y.slice(3)));
  assert.deepEqual(cm.matrix(), [[2, 0, 0], [0, 1, 1], [0, 1, 1]]);
  assert.equal(new TopKAccuracy(3).name, 'top3Accuracy');
  assert.throws(() => createMetric('auc' as never), /unknown metric 'auc'/);
});
