// Your own table: a CSV and the column to predict. Column kinds and the task are inferred (and printed),
// missing values are reported by line and column (and imputed with --impute mean), numeric columns are
// standardised with training statistics, categorical ones one-hot encoded (or --encoding embedding);
// stratified k-fold CV (--folds) or a hold-out split (--split), an MLP beside the one-layer baseline.
// Run: npm run build && node --import tsx examples/tabular-csv.ts /usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv --target target
import * as nb from 'nabla';
import { readRawCsvFile } from 'nabla/node';

const [file] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const arg = (name: string, dflt?: string): string | undefined => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
if (!file || !arg('target')) throw new Error('usage: tabular-csv.ts FILE.csv --target COLUMN [--folds K | --split 0.2] [--impute mean|median] [--encoding onehot|embedding] [--class-weights balanced]');
const { tabular: T } = nb.data, { tabular } = nb.apps;

const t = readRawCsvFile(file);
if (t.note) console.log(t.note);
const spec = T.inferSpec(t, { target: arg('target')!, categorical: arg('categorical')?.split(','), ignore: arg('ignore')?.split(',') });
console.log(`${t.rows.length} rows · task: ${spec.task} of '${spec.target}'`);
for (const c of spec.columns) console.log(`  ${c.name}: ${c.kind} (${c.why})`);
const missing = T.findMissing(t, spec);
const report = T.describeMissing(t, missing);
if (report) console.log(report);
const impute = arg('impute', missing.cells.length ? undefined : 'none') as nb.data.tabular.Impute | undefined;
if (!impute) throw new Error('there are missing values: pass --impute mean (or median) to fill them with training statistics');
const rows = t.rows.map((_, r) => r).filter((r) => !missing.targetMissingRows.includes(r));
const labelsOf = (rs: number[]): number[] => { const pp = T.fitPreprocessor(t, spec, rs, { impute }); return Array.from(T.transformRows(pp, t, rs).y!); };
const folds = arg('split')
  ? [(() => { const s = nb.data.trainTestSplit(rows.length, { testFraction: Number(arg('split')), seed: 1, stratify: spec.task === 'classification' ? labelsOf(rows) : undefined }); return { train: s.train.map((i) => rows[i]!), test: s.test.map((i) => rows[i]!) }; })()]
  : (spec.task === 'classification' ? nb.data.stratifiedKFold(labelsOf(rows), Number(arg('folds', '5')), 1) : nb.data.kFold(rows.length, Number(arg('folds', '5')), 1))
    .map((f) => ({ train: f.train.map((i) => rows[i]!), test: f.test.map((i) => rows[i]!) }));

for (const [name, cfg] of [['MLP 64-32, dropout 0.2', { hidden: [64, 32], dropout: 0.2, weightDecay: 0.05, epochs: 40 }], ['one-layer baseline', { hidden: [], dropout: 0, weightDecay: 0.01, epochs: 60 }]] as const) {
  const scores: nb.apps.tabular.TabularScores[] = [];
  for (const f of folds) {
    const { pp, train, others: [test] } = tabular.encodeSplit(t, spec, f.train, [f.test], { impute, encoding: (arg('encoding', 'onehot') as 'onehot') });
    const { model } = await tabular.trainTabular(pp, train, { ...cfg, hidden: [...cfg.hidden], seed: 1, lr: 0.003, classWeights: arg('class-weights') === 'balanced' ? 'balanced' : 'none' });
    scores.push(tabular.scoreTabular(pp, tabular.predictTabular(model, pp, test!), test!));
  }
  const key = spec.task === 'classification' ? 'accuracy' : 'rmse';
  const m = tabular.meanStd(scores.map((s) => s[key]!));
  console.log(`${name}: ${key} ${m.mean.toFixed(4)} ± ${m.std.toFixed(4)} over ${folds.length} fold(s)`);
}
