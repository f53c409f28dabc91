// The tabular tasks: `nabla train data.csv --target COL` on a user's table, and the healthcare tables
// from python3-sklearn (breast-cancer, diabetes). An MLP with dropout (or the one-layer linear model);
// cross-entropy with optional class weights, or MSE on the standardised target; accuracy (+ ROC AUC for
// two classes) or RMSE/MAE in the target's units; a majority-class or mean baseline; `predict` on rows.

import { existsSync, statSync } from 'node:fs';
import * as nb from '../../index.js';
import { breastCancer, diabetes, readRawCsvFile } from '../../node.js';
import { UsageError, type FlagSpec } from '../../cli/args.js';
import type { Baseline, Task, TaskContext } from '../task.js';
import { classificationInspector, classPriorBaseline } from '../classification.js';
import { loadTable, parseHidden, preprocessorOf, type TabularMeta } from './data.js';
import { tabularPredict } from './predict.js';
import { tabularExplainVerb, withColumnAttributions } from './explain.js';

type Ctx = TaskContext<TabularMeta>;
const xy = (batch: unknown): [nb.Tensor, nb.Tensor] => batch as [nb.Tensor, nb.Tensor];

const SPLIT_FLAGS: Record<string, FlagSpec> = {
  split: { type: 'number', default: 0.2, min: 0, help: 'fraction of rows held out as the test set (stratified for classes)' },
  'val-split': { type: 'number', default: 0.1, min: 0, help: 'fraction of the training rows held out for validation (0: none)' },
  folds: { type: 'int', default: 0, min: 0, help: 'k-fold cross-validation: test on fold --fold of K (stratified for classes) instead of --split' },
  fold: { type: 'int', default: 1, min: 1, help: 'which fold (1…K) is the test set with --folds' },
  hidden: { type: 'string', default: '64,32', help: 'hidden layer widths of the mlp, comma-separated' },
  dropout: { type: 'number', default: 0.2, min: 0, help: 'dropout probability after each hidden layer' },
  'class-weights': { type: 'string', default: 'none', choices: ['none', 'balanced'], help: 'weight classes by n / (classes · count) in the loss (imbalanced labels)' },
  impute: { type: 'string', default: 'none', choices: ['none', 'mean', 'median'], help: 'fill missing feature values with the training mean or median (categorical: the most frequent)' },
  encoding: { type: 'string', default: 'onehot', choices: ['onehot', 'embedding'], help: 'categorical columns as one-hot blocks, or learned embeddings' },
};

const COLUMN_FLAGS: Record<string, FlagSpec> = {
  target: { type: 'string', help: 'the column to predict (required)' },
  task: { type: 'string', choices: ['classification', 'regression'], help: 'what to do with the target (default: inferred from its values)' },
  categorical: { type: 'string', help: 'columns to treat as categories, comma-separated (overrides the inference)' },
  numeric: { type: 'string', help: 'columns to treat as numbers, comma-separated' },
  ignore: { type: 'string', help: 'columns to leave out, comma-separated' },
};

/** Outputs [N, 1] of the standardised training mean (0): the mean predictor. */
class MeanPredictor extends nb.nn.Module {
  override forward(x: nb.Tensor): nb.Tensor { return nb.zeros([x.shape[0]!, 1]); }
}

function check(o: nb.train.JsonValue & Record<string, unknown>): void {
  for (const k of ['split', 'val-split'] as const) if ((o[k] as number) >= 1) throw new UsageError(`train: --${k} must be below 1, got ${o[k]}`);
  if ((o.split as number) <= 0 && !(o.folds as number)) throw new UsageError('train: --split must be above 0 (or use --folds)');
  if ((o.dropout as number) >= 1) throw new UsageError(`train: --dropout must be below 1, got ${o.dropout}`);
  if ((o.folds as number) === 1) throw new UsageError('train: --folds needs at least 2 folds');
  parseHidden(o.hidden);
}

/** A tabular task over a table from `load`, predicting `target` (from --target when not fixed). */
function tabularTask(spec: { name: string; summary: string; load: (o: Record<string, unknown>) => nb.data.tabular.RawTable; target?: string; claims?: (arg: string) => boolean; defaults?: Task['defaults']; flagDefaults?: Record<string, string | number> }): Task<TabularMeta> {
  const flags: Record<string, FlagSpec> = { ...(spec.target ? {} : COLUMN_FLAGS), ...SPLIT_FLAGS };
  for (const [k, v] of Object.entries(spec.flagDefaults ?? {})) flags[k] = { ...flags[k]!, default: v };
  const isClass = (ctx: Ctx): boolean => preprocessorOf(ctx.meta).task === 'classification';
  return {
    name: spec.name,
    summary: spec.summary,
    claims: spec.claims,
    flags,
    defaults: { model: 'mlp', epochs: 30, 'batch-size': 32, schedule: 'constant', ...spec.defaults },
    models: { mlp: 'MLP over the encoded columns (--hidden, --dropout)', linear: 'one linear layer: logistic regression for classes, linear regression for numbers (the baseline model)' },
    check: (o) => {
      if (!spec.target && !o.target) throw new UsageError(`train: say which column to predict with --target COLUMN`);
      check(o as never);
    },
    data(o, io, meta) {
      const t = spec.load(o);
      return loadTable(t, spec.target ?? (o.target as string), o, io, meta);
    },
    model(name, ctx) {
      return new nb.models.TabularModel(preprocessorOf(ctx.meta), { hidden: name === 'linear' ? [] : ctx.meta.hidden, dropout: ctx.meta.dropout });
    },
    trainStep(model, batch, ctx: Ctx) {
      const [x, y] = xy(batch);
      const out = model.forward(x) as nb.Tensor;
      if (!isClass(ctx)) {
        const pp = preprocessorOf(ctx.meta), flat = out.reshape([x.shape[0]!]);
        return { loss: nb.F.mseLoss(flat, y), output: flat.detach().mul(pp.targetStd!).add(pp.targetMean!), target: y.mul(pp.targetStd!).add(pp.targetMean!) };
      }
      const w = ctx.meta.classWeights ? nb.tensor(ctx.meta.classWeights) : null;
      return { loss: nb.F.crossEntropy(out, y, { weight: w }), output: out, target: y };
    },
    evalStep(model, batch, ctx: Ctx) {
      const [x, y] = xy(batch);
      const out = model.forward(x) as nb.Tensor;
      if (isClass(ctx)) return { loss: nb.F.crossEntropy(out, y), output: out, target: y };
      // Metrics in the target's units; the loss (what validation monitors) on the standardised scale.
      const pp = preprocessorOf(ctx.meta), flat = out.reshape([x.shape[0]!]);
      return { loss: nb.F.mseLoss(flat, y), output: flat.mul(pp.targetStd!).add(pp.targetMean!), target: y.mul(pp.targetStd!).add(pp.targetMean!) };
    },
    metrics(ctx: Ctx) {
      const pp = preprocessorOf(ctx.meta);
      if (pp.task === 'regression') return [new nb.train.RootMeanSquaredError(), new nb.train.MeanAbsoluteError()];
      return pp.classes!.length === 2 ? [new nb.train.Accuracy(), new nb.train.RocAuc()] : [new nb.train.Accuracy()];
    },
    formatMetric: (name, v) => (name === 'accuracy' ? `${(100 * v).toFixed(2)}%` : v.toFixed(4)),
    baselines(data, ctx: Ctx): Baseline[] {
      const pp = preprocessorOf(ctx.meta);
      if (pp.task === 'regression') return [{ name: 'training mean', about: `always predicts the mean training target (${pp.targetMean!.toFixed(4)})`, model: new MeanPredictor() }];
      const ds = data.train as nb.data.TensorDataset;
      const labels = Int32Array.from({ length: ds.length }, (_, i) => ds.getArrays(i)[1]!.data[0]!);
      return [classPriorBaseline(labels, pp.classNames ?? pp.classes!)];
    },
    inspector(_data, ctx: Ctx, model) {
      return withColumnAttributions(baseInspector(ctx), model, preprocessorOf(ctx.meta));
    },
    verbs: { predict: tabularPredict, explain: tabularExplainVerb },
  };
}

/** The test-set analysis: predictions against targets (regression), or the classification report (+ calibration for two classes). */
function baseInspector(ctx: Ctx): ReturnType<NonNullable<Task['inspector']>> {
  const pp = preprocessorOf(ctx.meta);
  if (pp.task === 'regression') return residualInspector();
  const inner = classificationInspector({ classes: pp.classNames ?? pp.classes! });
  if (pp.classes!.length !== 2) return inner;
  const probs: number[] = [], labels: number[] = [];
  return {
    update(output, target, batch) {
      inner.update(output, target, batch);
      if (!output || !target) return;
      const o = output.dataSync(), y = target.dataSync();
      for (let i = 0; i < y.length; i++) { probs.push(1 / (1 + Math.exp(o[2 * i]! - o[2 * i + 1]!))); labels.push(y[i]!); }
    },
    finish() {
      const r = inner.finish();
      const bins = nb.train.calibrationCurve(probs, labels, 10);
      const name = (pp.classNames ?? pp.classes!)[1]!;
      const lines = [...r.lines, `\ncalibration of P(${name}) (bin: mean predicted → observed, count)`, ...bins.map((b) => `  ${b.meanPredicted.toFixed(3)} → ${b.fractionPositive.toFixed(3)}  (${b.count})`),
        `Brier score ${nb.train.brierScore(probs, labels).toFixed(4)}`];
      return { lines, html: r.html + `<h2>Calibration (test set)</h2>${nb.apps.plots.reliabilityDiagram([{ name: `P(${name})`, bins }], `Reliability of P(${name})`)}<p>Brier score ${nb.train.brierScore(probs, labels).toFixed(4)}.</p>` };
    },
  };
}

/** Regression: the predictions against the targets as a plot and the largest errors. */
function residualInspector(): ReturnType<NonNullable<Task['inspector']>> {
  const pred: number[] = [], actual: number[] = [];
  return {
    update(output, target) {
      if (!output || !target) return;
      pred.push(...output.dataSync()); actual.push(...target.dataSync());
    },
    finish() {
      const order = actual.map((_, i) => i).sort((a, b) => actual[a]! - actual[b]!);
      const html = '<h2>Predictions against targets (test set, sorted by target)</h2>' + nb.apps.plots.lineChart([
        { name: 'target', x: order.map((_, k) => k), y: order.map((i) => actual[i]!), color: '#999' },
        { name: 'prediction', x: order.map((_, k) => k), y: order.map((i) => pred[i]!) },
      ], { xLabel: 'test rows, by target', yLabel: 'value' });
      return { lines: [], html };
    },
  };
}

const isCsv = (arg: string): boolean => /\.(csv|tsv|txt)$/i.test(arg) && existsSync(arg) && statSync(arg).isFile();

export const tabular = tabularTask({
  name: 'tabular',
  summary: 'your own CSV: nabla train data.csv --target COLUMN (classification or regression)',
  claims: isCsv,
  load: (o) => {
    const input = o.input as string | undefined;
    if (!input || !isCsv(input)) throw new UsageError(`train: the tabular task needs a CSV file as its input (nabla train data.csv --target COLUMN), got ${input ?? 'none'}`);
    return readRawCsvFile(input);
  },
});

export const breastCancerTask = tabularTask({
  name: 'breast-cancer',
  summary: 'malignant or benign from 30 nucleus measurements (Wisconsin diagnostic data, python3-sklearn)',
  load: () => breastCancer(),
  target: 'diagnosis',
  defaults: { epochs: 20, 'weight-decay': 0.1 },
  flagDefaults: { hidden: '128', dropout: 0.5, 'val-split': 0 },
});

export const diabetesTask = tabularTask({
  name: 'diabetes',
  summary: 'disease progression after one year from 10 baseline variables (regression, python3-sklearn)',
  load: () => diabetes(),
  target: 'progression',
  defaults: { epochs: 20, 'weight-decay': 0.1 },
  flagDefaults: { hidden: '128', dropout: 0.5, 'val-split': 0 },
});
