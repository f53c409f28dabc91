// Training and scoring tabular models with the public loop (fit): encode a split with statistics
// from its training rows, train an MLP (or the one-layer baseline), predict, and score — accuracy,
// ROC AUC and calibration for classes, RMSE/MAE/R² in the target's units for regression.

import { tensor } from '../tensor/create.js';
import { keep, scope } from '../tensor/memory.js';
import { manualSeed } from '../tensor/random.js';
import { noGrad } from '../autograd/graph.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { TensorDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { fit } from '../train/fit.js';
import { crossEntropy, mseLoss } from '../nn/loss.js';
import { AdamW } from '../optim/index.js';
import { softmax } from '../ops/activation.js';
import { reshape } from '../ops/shape.js';
import { rocAuc, calibrationCurve, brierScore, type CalibrationBin } from '../train/metrics-binary.js';
import { fitPreprocessor, transformRows, balancedClassWeights, type Encoded, type Encoding, type Impute, type Preprocessor } from '../data/tabular/preprocess.js';
import type { TabularSpec } from '../data/tabular/schema.js';
import type { RawTable } from '../data/tabular/table.js';
import { TabularModel, type TabularModelOptions } from '../models/tabular.js';

export interface TabularTrainOptions extends TabularModelOptions {
  epochs: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  /** 'balanced': class weights n / (classes · count) from the training labels */
  classWeights?: 'none' | 'balanced';
  seed: number;
  verbose?: boolean;
}

/** Encodes the training rows and any others with preprocessing fitted on the training rows only. */
export function encodeSplit(t: RawTable, spec: TabularSpec, trainRows: readonly number[], others: readonly (readonly number[])[], opts: { encoding?: Encoding; impute?: Impute } = {}):
  { pp: Preprocessor; train: Encoded; others: Encoded[] } {
  const pp = fitPreprocessor(t, spec, trainRows, opts);
  return { pp, train: transformRows(pp, t, trainRows), others: others.map((r) => transformRows(pp, t, r)) };
}

/** The encoded rows as a dataset of [features, target] (typed-array columns: no tensor to release). */
function datasetOf(e: Encoded): TensorDataset {
  if (!e.y) throw new Error('tabular: these rows have no target');
  return new TensorDataset({ data: e.x, shape: [e.n, e.width] }, { data: e.y, shape: [e.n] });
}

/** The loss the model trains with: cross-entropy (optionally class-weighted) or MSE on the standardised target. */
export function tabularLoss(pp: Preprocessor, classWeights?: Float32Array | null): (out: Tensor, y: Tensor) => Tensor {
  if (pp.task === 'regression') return (out, y) => mseLoss(reshape(out, [out.shape[0]!]), y);
  const w = classWeights ? keep(tensor(classWeights)) : null;
  return (out, y) => crossEntropy(out, y, { weight: w });
}

/** Trains a TabularModel on encoded rows with AdamW and returns it (in eval mode) with the history. */
export async function trainTabular(pp: Preprocessor, train: Encoded, opts: TabularTrainOptions, val?: Encoded): Promise<{ model: TabularModel; history: Record<string, number[]> }> {
  manualSeed(opts.seed);
  const model = new TabularModel(pp, opts);
  const loader = new DataLoader(datasetOf(train), { batchSize: opts.batchSize ?? 32, shuffle: true, seed: opts.seed });
  const valLoader = val ? new DataLoader(datasetOf(val), { batchSize: 1024 }) : undefined;
  const weights = opts.classWeights === 'balanced' && pp.task === 'classification' ? balancedClassWeights(train.y!, pp.classes!.length) : null;
  const optimizer = new AdamW(model.parameters(), { lr: opts.lr ?? 0.003, weightDecay: opts.weightDecay ?? 0.01 });
  const history = await fit(model, {
    train: loader, val: valLoader, loss: tabularLoss(pp, weights), optimizer, epochs: opts.epochs,
    metrics: pp.task === 'classification' ? ['accuracy'] : [], verbose: opts.verbose ? 'lines' : false,
  });
  model.eval();
  return { model, history: history as unknown as Record<string, number[]> };
}

export interface TabularPrediction {
  /** classification: probabilities [n, classes] row-major */
  probs?: Float32Array;
  /** classification: the most probable class per row */
  labels?: Int32Array;
  /** regression: predictions in the target's units */
  values?: Float64Array;
}

/** Predictions for encoded rows (eval mode, no grad). */
export function predictTabular(model: Module, pp: Preprocessor, e: Encoded): TabularPrediction {
  return scope(() => noGrad(() => {
    const wasTraining = model.training;
    model.eval();
    const out = model.forward(tensor(e.x, { shape: [e.n, e.width] })) as Tensor;
    model.train(wasTraining);
    if (pp.task === 'regression') {
      const v = out.dataSync();
      return { values: Float64Array.from(v, (z) => z * pp.targetStd! + pp.targetMean!) };
    }
    const probs = softmax(out, 1).dataSync() as Float32Array;
    const c = pp.classes!.length;
    const labels = new Int32Array(e.n);
    for (let i = 0; i < e.n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (probs[i * c + j]! > probs[i * c + best]!) best = j;
      labels[i] = best;
    }
    return { probs: Float32Array.from(probs), labels };
  }));
}

export interface TabularScores {
  accuracy?: number;
  /** binary tasks: the AUC of the second class's probability, the calibration bins and Brier score */
  rocAuc?: number;
  brier?: number;
  calibration?: CalibrationBin[];
  rmse?: number;
  mae?: number;
  r2?: number;
  /** the positive class's probability per row (binary tasks), for pooling calibration over folds */
  positive?: Float32Array;
}

/** Scores predictions against encoded targets (regression in the target's units). */
export function scoreTabular(pp: Preprocessor, pred: TabularPrediction, e: Encoded): TabularScores {
  if (!e.y) throw new Error('scoreTabular: these rows have no target');
  if (pp.task === 'regression') {
    const y = Float64Array.from(e.y, (z) => z * pp.targetStd! + pp.targetMean!);
    let se = 0, ae = 0, mean = 0;
    for (let i = 0; i < e.n; i++) mean += y[i]! / e.n;
    let tot = 0;
    for (let i = 0; i < e.n; i++) {
      const d = pred.values![i]! - y[i]!;
      se += d * d; ae += Math.abs(d); tot += (y[i]! - mean) ** 2;
    }
    return { rmse: Math.sqrt(se / e.n), mae: ae / e.n, r2: 1 - se / tot };
  }
  let correct = 0;
  for (let i = 0; i < e.n; i++) if (pred.labels![i] === e.y[i]) correct++;
  const s: TabularScores = { accuracy: correct / e.n };
  if (pp.classes!.length === 2) {
    const pos = Float32Array.from({ length: e.n }, (_, i) => pred.probs![2 * i + 1]!);
    const lab = Array.from(e.y);
    s.positive = pos;
    if (lab.includes(0) && lab.includes(1)) s.rocAuc = rocAuc(pos, lab);
    s.brier = brierScore(pos, lab);
    s.calibration = calibrationCurve(pos, lab, 10);
  }
  return s;
}

/** Mean and (population) standard deviation of the folds' values. */
export function meanStd(v: readonly number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
}
