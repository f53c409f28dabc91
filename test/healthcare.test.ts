// Healthcare on real data from Debian's python3-sklearn: breast-cancer classification and diabetes
// regression with stratified (or plain) k-fold cross-validation, the MLP beside the one-layer baseline
// trained by the same code. Stated bars: 5-fold accuracy ≥ 95% and ROC AUC ≥ 0.98 for both models on
// breast-cancer; diabetes RMSE ≤ 58 (predicting the mean scores ≈ 77).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { breastCancer, diabetes, BREAST_CANCER_FEATURES } from '../src/node.js';

const { tabular } = nb.apps;

async function crossValidate(t: nb.data.tabular.RawTable, target: string, k: number, model: { hidden: number[]; dropout: number; weightDecay: number; epochs: number; lr: number }) {
  const spec = nb.data.tabular.inferSpec(t, { target });
  const tj = t.columns.indexOf(target);
  const folds = spec.task === 'classification' ? nb.data.stratifiedKFold(t.rows.map((r) => Number(r[tj])), k, 1) : nb.data.kFold(t.rows.length, k, 1);
  const scores: nb.apps.tabular.TabularScores[] = [];
  for (const f of folds) {
    const { pp, train, others: [test] } = tabular.encodeSplit(t, spec, f.train, [f.test]);
    const { model: m } = await tabular.trainTabular(pp, train, { ...model, seed: 1, batchSize: 32 });
    scores.push(tabular.scoreTabular(pp, tabular.predictTabular(m, pp, test!), test!));
  }
  return scores;
}

test('breast-cancer: the data file as scikit-learn documents it', () => {
  const t = breastCancer();
  assert.equal(t.rows.length, 569);
  assert.deepEqual(t.columns, [...BREAST_CANCER_FEATURES, 'diagnosis']);
  assert.equal(t.columns[0], 'mean radius');
  assert.equal(t.rows[0]![0], '17.99');
  const pp = nb.data.tabular.fitPreprocessor(t, nb.data.tabular.inferSpec(t, { target: 'diagnosis' }), [0, 1, 2]);
  assert.deepEqual(pp.classNames, ['malignant', 'benign']);
  assert.throws(() => breastCancer('/nonexistent'), /\/nonexistent\/breast_cancer.csv: cannot read the file/);
});

test('breast-cancer: 5-fold stratified CV, MLP and logistic regression both ≥ 95% accuracy and ROC AUC ≥ 0.98', async () => {
  const t = breastCancer();
  for (const [name, cfg] of [
    ['mlp', { hidden: [128], dropout: 0.5, weightDecay: 0.1, epochs: 15, lr: 0.003 }],
    ['logistic', { hidden: [], dropout: 0, weightDecay: 0.01, epochs: 30, lr: 0.01 }],
  ] as const) {
    const s = await crossValidate(t, 'diagnosis', 5, { ...cfg, hidden: [...cfg.hidden] });
    const acc = tabular.meanStd(s.map((x) => x.accuracy!)), auc = tabular.meanStd(s.map((x) => x.rocAuc!));
    assert.ok(acc.mean >= 0.95, `${name}: accuracy ${acc.mean}`);
    assert.ok(auc.mean >= 0.98, `${name}: ROC AUC ${auc.mean}`);
    assert.equal(s[0]!.calibration!.reduce((a, b) => a + b.count, 0), 114, 'every test row is in a calibration bin');
  }
});

test('diabetes: 5-fold CV linear regression RMSE ≤ 58 in the target’s units', async () => {
  const t = diabetes();
  assert.deepEqual(t.rows[0], ['59', '2', '32.1', '101.0', '157', '93.2', '38.0', '4.0', '4.8598', '87', '151']);
  const s = await crossValidate(t, 'progression', 5, { hidden: [], dropout: 0, weightDecay: 0, epochs: 40, lr: 0.01 });
  const rmse = tabular.meanStd(s.map((x) => x.rmse!));
  assert.ok(rmse.mean <= 58, `RMSE ${rmse.mean}`);
});
