// Tabular data: reading CSVs (scikit-learn's own header included), column kinds and the task,
// missing values by line and column, preprocessing fitted on training rows only, stratified folds,
// class weights, and the saved preprocessing giving the same inputs when read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { sklearnCsv } from '../src/node.js';

const { readRawCsv, inferSpec, findMissing, describeMissing, fitPreprocessor, transformRows, featureNames, balancedClassWeights, checkPreprocessor } = nb.data.tabular;
const { stratifiedKFold, kFold, trainTestSplit } = nb.data;

test("scikit-learn's data files: the 'n_samples,n_features,class names' header is recognised", () => {
  const iris = sklearnCsv('iris.csv');
  assert.equal(iris.rows.length, 150);
  assert.deepEqual(iris.columns, ['x0', 'x1', 'x2', 'x3', 'target']);
  assert.deepEqual(iris.classNames, { column: 'target', names: { 0: 'setosa', 1: 'versicolor', 2: 'virginica' } });
  const wine = sklearnCsv('wine_data.csv'); // header has 5 fields, rows 14: only the format explains it
  assert.equal(wine.columns.length, 14);
  assert.equal(wine.rows.length, 178);
  const spec = inferSpec(wine, { target: 'target' });
  assert.equal(spec.task, 'classification');
  assert.ok(spec.columns.every((c) => c.kind === 'numeric'));
  const boston = sklearnCsv('boston_house_prices.csv'); // a second header row names the columns
  assert.equal(boston.columns[0], 'CRIM');
  assert.equal(inferSpec(boston, { target: 'MEDV' }).task, 'regression');
});

const CSV = [
  'id,city,age,income,smoker,label',
  '1,Oslo,34,52000,no,a',
  '2,Bergen,NA,61000,yes,b',
  '3,Oslo,29,,no,a',
  '4,Tromsø,51,72000,no,b',
  '5,Oslo,40,58000,yes,a',
  '6,Bergen,38,49000,no,',
].join('\n');

test('column kinds, the task, overrides and the missing-value report by line and column', () => {
  const t = readRawCsv(CSV, { name: 'people.csv' });
  const spec = inferSpec(t, { target: 'label' });
  assert.deepEqual(spec.columns.map((c) => [c.name, c.kind]), [['id', 'ignore'], ['city', 'categorical'], ['age', 'numeric'], ['income', 'numeric'], ['smoker', 'categorical']]);
  assert.equal(spec.columns[0]!.why, 'row numbers 1…n (or 0…n−1)');
  assert.equal(spec.task, 'classification');
  const m = findMissing(t, spec);
  // line 3 (row 1) lacks age, line 4 (row 2) lacks income; line 7 (row 5) lacks the label
  assert.deepEqual(m.cells, [{ line: 3, row: 1, column: 'age' }, { line: 4, row: 2, column: 'income' }]);
  assert.deepEqual(m.byColumn, { age: 1, income: 1 });
  assert.deepEqual(m.targetMissingRows, [5]);
  assert.match(describeMissing(t, m), /2 missing value\(s\) in 2 row\(s\): age 1, income 1\n {2}line 3, column "age"/);
  assert.match(describeMissing(t, m), /1 row\(s\) have no target and are left out \(lines 7\)/);
  const over = inferSpec(t, { target: 'income', categorical: ['age'], ignore: ['city'] });
  assert.equal(over.task, 'regression');
  assert.deepEqual(over.columns.map((c) => [c.name, c.kind]), [['id', 'ignore'], ['city', 'ignore'], ['age', 'categorical'], ['smoker', 'categorical'], ['label', 'categorical']]);
  assert.throws(() => inferSpec(t, { target: 'wage' }), /people.csv: no target column "wage" \(columns: id, city, age, income, smoker, label\)/);
  assert.throws(() => inferSpec(t, { target: 'label', numeric: ['city'] }), /"city" is declared numeric but line 2 holds "Oslo"/);
  assert.throws(() => inferSpec(t, { target: 'label', categorical: ['label'] }), /is the target/);
  assert.throws(() => readRawCsv('1,2,3\n4,5,6', { name: 'n.csv' }), /n.csv: the first row \(1, 2, 3\) is numbers, not column names/);
  assert.throws(() => readRawCsv('a,b\n1,2\n3', { name: 'short.csv' }), /short.csv: line 3 has 1 fields but the header has 2 columns/);
});

test('preprocessing: statistics from the training rows only, imputation on request, unseen levels, JSON round trip', () => {
  const t = readRawCsv(CSV, { name: 'people.csv' });
  const spec = inferSpec(t, { target: 'label' });
  const trainRows = [0, 1, 2, 3];
  assert.throws(() => transformRows(fitPreprocessor(t, spec, trainRows), t, [1]), /people.csv: line 3, column "age": missing value \(impute with --impute/);
  const pp = fitPreprocessor(t, spec, trainRows, { impute: 'mean' });
  // age over training rows with a value: 34, 29, 51 → mean 38, population std √(248/3)
  const age = pp.numeric.find((c) => c.name === 'age')!;
  assert.equal(age.mean, 38);
  assert.ok(Math.abs(age.std - Math.sqrt(((34 - 38) ** 2 + (29 - 38) ** 2 + (51 - 38) ** 2) / 3)) < 1e-12);
  // a wild value in a row outside the training rows changes nothing
  const t2 = { ...t, rows: t.rows.map((r, i) => (i === 4 ? ['5', 'Oslo', '4000', '1', 'yes', 'a'] : r)) };
  assert.deepEqual(fitPreprocessor(t2, spec, trainRows, { impute: 'mean' }), pp);
  assert.deepEqual(pp.classes, ['a', 'b']);
  assert.deepEqual(featureNames(pp), ['age', 'income', 'city=<unseen>', 'city=Bergen', 'city=Oslo', 'city=Tromsø', 'smoker=<unseen>', 'smoker=no', 'smoker=yes']);
  const e = transformRows(pp, t, [1, 4]);
  assert.equal(e.width, 9);
  assert.equal(e.x[0], 0); // row 1's missing age imputed with the mean → standardised 0
  assert.deepEqual([...e.x.subarray(2, 9)], [0, 1, 0, 0, 0, 0, 1]); // Bergen, yes
  assert.deepEqual([...e.y!], [1, 0]);
  // new rows with an unseen city: a zero one-hot block, and reported
  const fresh = readRawCsv('age,income,city,smoker\n45,50000,Paris,no', { name: 'new.csv' });
  const f = transformRows(pp, fresh);
  assert.equal(f.y, undefined);
  assert.deepEqual(f.unseen, [['city=Paris']]);
  assert.deepEqual([...f.x.subarray(2, 6)], [0, 0, 0, 0]);
  // embedding encoding: one index column per categorical (0 = unseen)
  const ppe = fitPreprocessor(t, spec, trainRows, { impute: 'mean', encoding: 'embedding' });
  assert.deepEqual([...transformRows(ppe, fresh).x.subarray(2)], [0, 1]);
  // saved as JSON in a checkpoint and read back: the same inputs
  const back = checkPreprocessor(JSON.parse(JSON.stringify(pp)), 'ck.safetensors');
  assert.deepEqual(transformRows(back, t, [0, 1, 2]).x, transformRows(pp, t, [0, 1, 2]).x);
  assert.throws(() => checkPreprocessor({ ...pp, format: 'x' }, 'ck.safetensors'), /ck.safetensors: the saved preprocessing is invalid \(format "x"/);
  assert.throws(() => transformRows(pp, readRawCsv('age,city\n1,Oslo', { name: 'few.csv' })), /few.csv: no column .*"income"/);
});

test('stratified k-fold, k-fold and the stratified split; balanced class weights', () => {
  const labels = Array.from({ length: 103 }, (_, i) => (i % 10 === 0 ? 2 : i % 3 === 0 ? 1 : 0));
  const folds = stratifiedKFold(labels, 5, 7);
  const seen = new Set<number>();
  for (const f of folds) {
    assert.equal(f.train.length + f.test.length, 103);
    for (const i of f.test) { assert.ok(!seen.has(i)); seen.add(i); }
    for (let c = 0; c < 3; c++) {
      const total = labels.filter((l) => l === c).length, inFold = f.test.filter((i) => labels[i] === c).length;
      assert.ok(Math.abs(inFold - total / 5) <= 1, `class ${c}: ${inFold} of ${total} in a fold`);
    }
  }
  assert.equal(seen.size, 103);
  assert.deepEqual(stratifiedKFold(labels, 5, 7), folds, 'seeded');
  assert.notDeepEqual(stratifiedKFold(labels, 5, 8), folds);
  assert.equal(kFold(10, 3, 1).reduce((a, f) => a + f.test.length, 0), 10);
  assert.throws(() => stratifiedKFold([0, 0, 0, 1], 2, 1), /class 1 has 1 samples, fewer than the 2 folds/);
  const s = trainTestSplit(103, { testFraction: 0.2, seed: 1, stratify: labels });
  assert.equal(s.test.filter((i) => labels[i] === 2).length, 2); // 11 of class 2 → round(2.2)
  // balanced: n / (classes · count): counts 6, 3, 1 of 10 → 10/18, 10/9, 10/3
  const w = balancedClassWeights([0, 0, 0, 0, 0, 0, 1, 1, 1, 2], 3);
  [10 / 18, 10 / 9, 10 / 3].forEach((v, i) => assert.ok(Math.abs(w[i]! - v) < 1e-6));
});
