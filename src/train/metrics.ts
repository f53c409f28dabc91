// Metrics: pure functions over predictions and targets (accuracy, top-k, precision/recall/F1,
// confusion matrix, MAE, RMSE), and streaming accumulators of the same that fit() updates per batch.

import { Tensor } from '../tensor/tensor.js';
import type { JsonValue } from './fit-state.js';

/** Predictions: class indices [N], or scores [N, C] (logits or probabilities: the argmax is taken). */
export type Predictions = Tensor | ArrayLike<number> | readonly (readonly number[])[];
/** Targets: class indices [N] (or values, for regression metrics). */
export type Targets = Tensor | ArrayLike<number>;

interface Matrix { data: ArrayLike<number>; rows: number; cols: number }

function asMatrix(name: string, x: Predictions): Matrix {
  if (x instanceof Tensor) {
    if (x.ndim === 2) return { data: x.dataSync(), rows: x.shape[0]!, cols: x.shape[1]! };
    if (x.ndim === 1) return { data: x.dataSync(), rows: x.shape[0]!, cols: 1 };
    throw new Error(`${name}: predictions must be [N] class indices or [N, C] scores, got shape [${x.shape.join(', ')}]`);
  }
  const arr = x as ArrayLike<number> | readonly (readonly number[])[];
  if (arr.length > 0 && Array.isArray(arr[0])) {
    const rows = arr as readonly (readonly number[])[];
    const cols = rows[0]!.length;
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => {
      if (r.length !== cols) throw new Error(`${name}: score row ${i} has ${r.length} values, row 0 has ${cols}`);
      data.set(r, i * cols);
    });
    return { data, rows: rows.length, cols };
  }
  return { data: arr as ArrayLike<number>, rows: arr.length, cols: 1 };
}

function asVector(name: string, what: string, x: Targets): ArrayLike<number> {
  if (x instanceof Tensor) {
    if (x.ndim > 1 && x.numel() !== x.shape[0]) throw new Error(`${name}: ${what} must be one value per sample, got shape [${x.shape.join(', ')}]`);
    return x.dataSync();
  }
  return x;
}

/** Class indices from predictions: the index itself, or the argmax of each score row (first on ties). */
export function predictedClasses(pred: Predictions, name = 'metrics'): Int32Array {
  const m = asMatrix(name, pred);
  const out = new Int32Array(m.rows);
  if (m.cols === 1) {
    for (let i = 0; i < m.rows; i++) out[i] = m.data[i]!;
    return out;
  }
  for (let i = 0; i < m.rows; i++) {
    let best = 0, bv = m.data[i * m.cols]!;
    for (let j = 1; j < m.cols; j++) {
      const v = m.data[i * m.cols + j]!;
      if (v > bv || (Number.isNaN(v) && !Number.isNaN(bv))) { bv = v; best = j; }
    }
    out[i] = best;
  }
  return out;
}

function pairUp(name: string, pred: Predictions, target: Targets): { p: Int32Array; t: ArrayLike<number> } {
  const p = predictedClasses(pred, name);
  const t = asVector(name, 'targets', target);
  if (p.length !== t.length) throw new Error(`${name}: ${p.length} predictions but ${t.length} targets`);
  return { p, t };
}

/** Fraction of samples whose predicted class equals the target (0 for no samples). */
export function accuracy(pred: Predictions, target: Targets): number {
  const { p, t } = pairUp('accuracy', pred, target);
  let ok = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) ok++;
  return p.length ? ok / p.length : 0;
}

/** Count of samples whose target's score is among the k highest (ties count in the target's favour). */
function topKCorrect(name: string, scores: Predictions, target: Targets, k: number): { ok: number; n: number } {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${name}: k must be a positive integer, got ${k}`);
  const m = asMatrix(name, scores);
  if (m.cols === 1) throw new Error(`${name}: needs scores [N, C], got one value per sample`);
  const t = asVector(name, 'targets', target);
  if (t.length !== m.rows) throw new Error(`${name}: ${m.rows} score rows but ${t.length} targets`);
  let ok = 0;
  for (let i = 0; i < m.rows; i++) {
    const c = t[i]!;
    if (!(c >= 0 && c < m.cols)) throw new Error(`${name}: target ${c} (sample ${i}) is not a class index in [0, ${m.cols})`);
    const s = m.data[i * m.cols + c]!;
    let above = 0;
    for (let j = 0; j < m.cols; j++) if (m.data[i * m.cols + j]! > s) above++;
    if (above < k) ok++;
  }
  return { ok, n: m.rows };
}

/** Fraction of samples whose target class is among the k highest scores. */
export function topKAccuracy(scores: Predictions, target: Targets, k = 5): number {
  const { ok, n } = topKCorrect('topKAccuracy', scores, target, k);
  return n ? ok / n : 0;
}

/** counts[true][predicted] (rows are targets, columns predictions, as scikit-learn). */
export function confusionMatrix(pred: Predictions, target: Targets, numClasses?: number): number[][] {
  const { p, t } = pairUp('confusionMatrix', pred, target);
  let n = numClasses ?? 0;
  if (numClasses === undefined) for (let i = 0; i < p.length; i++) n = Math.max(n, p[i]! + 1, t[i]! + 1);
  const cm = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < p.length; i++) {
    const a = t[i]!, b = p[i]!;
    if (!(Number.isInteger(a) && a >= 0 && a < n)) throw new Error(`confusionMatrix: target ${a} (sample ${i}) is not a class index in [0, ${n})`);
    if (!(b >= 0 && b < n)) throw new Error(`confusionMatrix: prediction ${b} (sample ${i}) is not a class index in [0, ${n})`);
    cm[a]![b]!++;
  }
  return cm;
}

export interface ClassReport {
  precision: number[];
  recall: number[];
  f1: number[];
  /** Samples of each class among the targets. */
  support: number[];
  /** Unweighted means over classes. */
  macro: { precision: number; recall: number; f1: number };
  /** Means weighted by support. */
  weighted: { precision: number; recall: number; f1: number };
}

/** Per-class precision, recall and F1 from a confusion matrix; 0 where a ratio is 0/0 (scikit-learn's zero_division=0). */
export function classReport(cm: readonly (readonly number[])[]): ClassReport {
  const n = cm.length;
  const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const precision: number[] = [], recall: number[] = [], f1: number[] = [], support: number[] = [];
  for (let c = 0; c < n; c++) {
    const tp = cm[c]![c]!;
    let predicted = 0, actual = 0;
    for (let k = 0; k < n; k++) { predicted += cm[k]![c]!; actual += cm[c]![k]!; }
    const p = div(tp, predicted), r = div(tp, actual);
    precision.push(p); recall.push(r); f1.push(div(2 * p * r, p + r)); support.push(actual);
  }
  const mean = (v: number[]): number => (n ? v.reduce((a, b) => a + b, 0) / n : 0);
  const total = support.reduce((a, b) => a + b, 0);
  const wmean = (v: number[]): number => div(v.reduce((a, x, i) => a + x * support[i]!, 0), total);
  return {
    precision, recall, f1, support,
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    weighted: { precision: wmean(precision), recall: wmean(recall), f1: wmean(f1) },
  };
}

/** Precision, recall and F1 per class and averaged (macro, weighted). */
export function precisionRecallF1(pred: Predictions, target: Targets, numClasses?: number): ClassReport {
  return classReport(confusionMatrix(pred, target, numClasses));
}

function regressionPairs(name: string, pred: Targets, target: Targets): { p: ArrayLike<number>; t: ArrayLike<number> } {
  const p = pred instanceof Tensor ? pred.dataSync() : pred;
  const t = target instanceof Tensor ? target.dataSync() : target;
  if (p.length !== t.length) throw new Error(`${name}: ${p.length} predictions but ${t.length} targets`);
  return { p, t };
}

/** Mean absolute error over all elements. */
export function mae(pred: Targets, target: Targets): number {
  const { p, t } = regressionPairs('mae', pred, target);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i]! - t[i]!);
  return p.length ? s / p.length : 0;
}

/** Root of the mean squared error over all elements. */
export function rmse(pred: Targets, target: Targets): number {
  const { p, t } = regressionPairs('rmse', pred, target);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - t[i]!) ** 2;
  return p.length ? Math.sqrt(s / p.length) : 0;
}

// ---- streaming accumulators (what fit() updates batch by batch) ----

/** A metric accumulated over batches: update with each batch's output and target, compute at the end. */
export interface Metric {
  /** The key in logs and history ('accuracy'; validation adds 'val' → 'valAccuracy'). */
  readonly name: string;
  /** Whether larger is better (EarlyStopping's and ModelCheckpoint's 'auto' mode reads it). */
  readonly higherIsBetter: boolean;
  reset(): void;
  update(output: Tensor, target: Tensor): void;
  compute(): number;
  /** A fresh accumulator of the same kind (fit() keeps one for training and one for validation). */
  clone?(): Metric;
  /** The accumulated state as JSON, and its restore: a run resumed mid-epoch continues the epoch's value. */
  state?(): JsonValue;
  loadState?(s: JsonValue): void;
}

/** The numbers of a saved accumulator state, checked. */
function counts<K extends string>(name: string, s: JsonValue, keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const v = (s as Record<string, unknown> | null)?.[k];
    if (typeof v !== 'number') throw new Error(`${name}: the saved state's '${k}' is ${JSON.stringify(v)}, not a number`);
    out[k] = v;
  }
  return out;
}

export class Accuracy implements Metric {
  readonly name = 'accuracy';
  readonly higherIsBetter = true;
  clone(): Accuracy { return new Accuracy(); }
  private ok = 0;
  private n = 0;
  reset(): void { this.ok = 0; this.n = 0; }
  update(output: Tensor, target: Tensor): void {
    const { p, t } = pairUp('Accuracy', output, target);
    for (let i = 0; i < p.length; i++) if (p[i] === t[i]) this.ok++;
    this.n += p.length;
  }
  compute(): number { return this.n ? this.ok / this.n : 0; }
  state(): JsonValue { return { ok: this.ok, n: this.n }; }
  loadState(s: JsonValue): void { ({ ok: this.ok, n: this.n } = counts(this.name, s, ['ok', 'n'])); }
}

export class TopKAccuracy implements Metric {
  readonly name: string;
  readonly higherIsBetter = true;
  private ok = 0;
  private n = 0;
  constructor(readonly k = 5) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`TopKAccuracy: k must be a positive integer, got ${k}`);
    this.name = `top${k}Accuracy`;
  }
  clone(): TopKAccuracy { return new TopKAccuracy(this.k); }
  reset(): void { this.ok = 0; this.n = 0; }
  update(output: Tensor, target: Tensor): void {
    const r = topKCorrect('TopKAccuracy', output, target, this.k);
    this.ok += r.ok;
    this.n += r.n;
  }
  compute(): number { return this.n ? this.ok / this.n : 0; }
  state(): JsonValue { return { ok: this.ok, n: this.n }; }
  loadState(s: JsonValue): void { ({ ok: this.ok, n: this.n } = counts(this.name, s, ['ok', 'n'])); }
}

/** Accumulates a confusion matrix (its size from the scores' class dimension, or numClasses). */
export class ConfusionMatrix {
  private cm: number[][] | null = null;
  constructor(readonly numClasses?: number) {}
  reset(): void { this.cm = null; }
  update(output: Tensor, target: Tensor): void {
    const n = this.numClasses ?? (output.ndim === 2 ? output.shape[1]! : undefined);
    if (n === undefined) throw new Error('ConfusionMatrix: give numClasses when predictions are class indices');
    const add = confusionMatrix(output, target, n);
    if (!this.cm) this.cm = add;
    else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) this.cm[i]![j]! += add[i]![j]!;
  }
  matrix(): number[][] {
    return this.cm ? this.cm.map((r) => r.slice()) : [];
  }
  state(): JsonValue { return this.matrix(); }
  loadState(s: JsonValue): void {
    if (!Array.isArray(s) || !s.every((r) => Array.isArray(r) && r.every((v) => typeof v === 'number'))) throw new Error('ConfusionMatrix: the state is not a matrix of counts');
    this.cm = s.length ? (s as number[][]).map((r) => r.slice()) : null;
  }
}

/** Macro-averaged precision, recall or F1 over the classes, streamed through a confusion matrix. */
export class ClassMetric implements Metric {
  readonly higherIsBetter = true;
  private readonly cm: ConfusionMatrix;
  constructor(readonly name: 'precision' | 'recall' | 'f1', readonly numClasses?: number) {
    this.cm = new ConfusionMatrix(numClasses);
  }
  clone(): ClassMetric { return new ClassMetric(this.name, this.numClasses); }
  reset(): void { this.cm.reset(); }
  update(output: Tensor, target: Tensor): void { this.cm.update(output, target); }
  compute(): number { return classReport(this.cm.matrix()).macro[this.name]; }
  state(): JsonValue { return this.cm.state(); }
  loadState(s: JsonValue): void { this.cm.loadState(s); }
}

export class MeanAbsoluteError implements Metric {
  readonly name = 'mae';
  readonly higherIsBetter = false;
  clone(): MeanAbsoluteError { return new MeanAbsoluteError(); }
  private s = 0;
  private n = 0;
  reset(): void { this.s = 0; this.n = 0; }
  update(output: Tensor, target: Tensor): void {
    const { p, t } = regressionPairs('MeanAbsoluteError', output, target);
    for (let i = 0; i < p.length; i++) this.s += Math.abs(p[i]! - t[i]!);
    this.n += p.length;
  }
  compute(): number { return this.n ? this.s / this.n : 0; }
  state(): JsonValue { return { s: this.s, n: this.n }; }
  loadState(s: JsonValue): void { ({ s: this.s, n: this.n } = counts(this.name, s, ['s', 'n'])); }
}

export class RootMeanSquaredError implements Metric {
  readonly name = 'rmse';
  readonly higherIsBetter = false;
  clone(): RootMeanSquaredError { return new RootMeanSquaredError(); }
  private s = 0;
  private n = 0;
  reset(): void { this.s = 0; this.n = 0; }
  update(output: Tensor, target: Tensor): void {
    const { p, t } = regressionPairs('RootMeanSquaredError', output, target);
    for (let i = 0; i < p.length; i++) this.s += (p[i]! - t[i]!) ** 2;
    this.n += p.length;
  }
  compute(): number { return this.n ? Math.sqrt(this.s / this.n) : 0; }
  state(): JsonValue { return { s: this.s, n: this.n }; }
  loadState(s: JsonValue): void { ({ s: this.s, n: this.n } = counts(this.name, s, ['s', 'n'])); }
}

export type MetricName = 'accuracy' | 'precision' | 'recall' | 'f1' | 'mae' | 'rmse' | `top${number}` | `top${number}Accuracy`;

/** A metric from its name ('accuracy', 'top5', 'precision', 'recall', 'f1', 'mae', 'rmse') or as given. */
export function createMetric(m: MetricName | Metric): Metric {
  if (typeof m !== 'string') return m;
  const top = /^top(\d+)(Accuracy)?$/.exec(m);
  if (top) return new TopKAccuracy(Number(top[1]));
  switch (m) {
    case 'accuracy': return new Accuracy();
    case 'precision': case 'recall': case 'f1': return new ClassMetric(m);
    case 'mae': return new MeanAbsoluteError();
    case 'rmse': return new RootMeanSquaredError();
    default: throw new Error(`metrics: unknown metric '${String(m)}' (known: accuracy, topK (e.g. top5), precision, recall, f1, mae, rmse)`);
  }
}
