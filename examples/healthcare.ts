// Healthcare on Debian's python3-sklearn data: breast-cancer diagnosis (stratified 10-fold CV: accuracy,
// ROC AUC, a calibration plot) and diabetes progression (10-fold CV: RMSE), an MLP with dropout and
// weight decay beside logistic/linear regression trained by the same code. Writes healthcare.html.
// Run: npm run build && node --import tsx examples/healthcare.ts [--folds 10] [--out healthcare.html]
import { writeFileSync } from 'node:fs';
import * as nb from 'nabla';
import { breastCancer, diabetes } from 'nabla/node';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const K = Number(arg('folds', '10')), out = arg('out', 'healthcare.html');
const { tabular, plots } = nb.apps;

const MODELS = {
  'MLP 128, dropout 0.5': { hidden: [128], dropout: 0.5, weightDecay: 0.1, epochs: 20, lr: 0.003 },
  'logistic / linear regression (one layer)': { hidden: [] as number[], dropout: 0, weightDecay: 0.01, epochs: 100, lr: 0.003 },
};

async function crossValidate(t: nb.data.tabular.RawTable, target: string) {
  const spec = nb.data.tabular.inferSpec(t, { target });
  const tj = t.columns.indexOf(target);
  const folds = spec.task === 'classification' ? nb.data.stratifiedKFold(t.rows.map((r) => Number(r[tj])), K, 1) : nb.data.kFold(t.rows.length, K, 1);
  const results: Record<string, { scores: nb.apps.tabular.TabularScores[]; positive: number[]; labels: number[]; seconds: number }> = {};
  for (const [name, cfg] of Object.entries(MODELS)) {
    const t0 = performance.now();
    const r = (results[name] = { scores: [] as nb.apps.tabular.TabularScores[], positive: [] as number[], labels: [] as number[], seconds: 0 });
    for (const f of folds) {
      const { pp, train, others: [test] } = tabular.encodeSplit(t, spec, f.train, [f.test]);
      const { model } = await tabular.trainTabular(pp, train, { ...cfg, seed: 1, batchSize: 32 });
      const s = tabular.scoreTabular(pp, tabular.predictTabular(model, pp, test!), test!);
      r.scores.push(s);
      if (s.positive) { r.positive.push(...s.positive); r.labels.push(...test!.y!); }
    }
    r.seconds = (performance.now() - t0) / 1000;
  }
  return results;
}

const pm = (v: number[], scale = 1, digits = 2): string => { const m = tabular.meanStd(v); return `${(m.mean * scale).toFixed(digits)} ± ${(m.std * scale).toFixed(digits)}`; };
const sections: string[] = [];

const bc = await crossValidate(breastCancer(), 'diagnosis');
const bcRows = Object.entries(bc).map(([name, r]) => [name, pm(r.scores.map((s) => s.accuracy!), 100), pm(r.scores.map((s) => s.rocAuc!), 1, 4), pm(r.scores.map((s) => s.brier!), 1, 4), r.seconds.toFixed(1)]);
console.log(`breast-cancer, stratified ${K}-fold CV (accuracy %, ROC AUC, Brier, seconds):`);
for (const row of bcRows) console.log(`  ${row.join(' · ')}`);
const [mlpName, lrName] = Object.keys(MODELS) as [string, string];
const mlpAcc = tabular.meanStd(bc[mlpName]!.scores.map((s) => s.accuracy!)).mean, lrAcc = tabular.meanStd(bc[lrName]!.scores.map((s) => s.accuracy!)).mean;
const accStd = tabular.meanStd(bc[mlpName]!.scores.map((s) => s.accuracy!)).std;
const mlpAuc = tabular.meanStd(bc[mlpName]!.scores.map((s) => s.rocAuc!)).mean, lrAuc = tabular.meanStd(bc[lrName]!.scores.map((s) => s.rocAuc!)).mean;
const verdict = (mlpAcc > lrAcc ? `The MLP's mean accuracy is higher than logistic regression's by ${(100 * (mlpAcc - lrAcc)).toFixed(2)} points` : `The MLP does not beat logistic regression on accuracy (${(100 * mlpAcc).toFixed(2)}% vs ${(100 * lrAcc).toFixed(2)}%)`) +
  `${Math.abs(mlpAcc - lrAcc) < accStd ? ', less than the spread over folds' : ''}; its mean ROC AUC is ${mlpAuc > lrAuc ? 'higher' : mlpAuc < lrAuc ? 'lower' : 'the same'} (${mlpAuc.toFixed(4)} vs ${lrAuc.toFixed(4)})`;
console.log(`  ${verdict}.`);
sections.push(`<h2>Breast cancer (Wisconsin diagnostic), stratified ${K}-fold CV</h2>` +
  plots.htmlTable(['model', 'accuracy %', 'ROC AUC', 'Brier', 'seconds'], bcRows) + `<p>${verdict}; the folds' spread is the ± (standard deviation over folds).</p>` +
  plots.reliabilityDiagram(Object.entries(bc).map(([name, r]) => ({ name, bins: nb.train.calibrationCurve(r.positive, r.labels, 10) })), 'Calibration of P(benign), out-of-fold predictions of all folds'));

const db = await crossValidate(diabetes(), 'progression');
const dbRows = Object.entries(db).map(([name, r]) => [name, pm(r.scores.map((s) => s.rmse!)), pm(r.scores.map((s) => s.mae!)), pm(r.scores.map((s) => s.r2!), 1, 3), r.seconds.toFixed(1)]);
console.log(`diabetes, ${K}-fold CV (RMSE, MAE, R², seconds):`);
for (const row of dbRows) console.log(`  ${row.join(' · ')}`);
sections.push(`<h2>Diabetes progression, ${K}-fold CV</h2>` + plots.htmlTable(['model', 'RMSE', 'MAE', 'R²', 'seconds'], dbRows));

writeFileSync(out, plots.htmlPage('nabla — healthcare', sections));
console.log(`wrote ${out}`);
