// Metrics of a binary classifier's scores: ROC AUC (ties averaged, as scikit-learn), the ROC curve,
// the calibration curve (reliability diagram) and the Brier score. Plain arrays in, numbers out.

import { Tensor } from '../tensor/tensor.js';

type Values = Tensor | ArrayLike<number>;

function vec(name: string, what: string, x: Values): ArrayLike<number> {
  if (x instanceof Tensor) {
    if (x.numel() !== (x.shape[0] ?? 1)) throw new Error(`${name}: ${what} must be one value per sample, got shape [${x.shape.join(', ')}]`);
    return x.dataSync();
  }
  return x;
}

/** Scores and 0/1 labels of the same length, checked; errors name the metric and the first bad entry. */
function pairs(name: string, scores: Values, labels: Values): { s: ArrayLike<number>; y: ArrayLike<number>; pos: number; neg: number } {
  const s = vec(name, 'scores', scores), y = vec(name, 'labels', labels);
  if (s.length !== y.length) throw new Error(`${name}: ${s.length} scores but ${y.length} labels`);
  let pos = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`${name}: labels must be 0 or 1, label ${i} is ${y[i]}`);
    if (Number.isNaN(s[i])) throw new Error(`${name}: score ${i} is NaN`);
    pos += y[i]!;
  }
  return { s, y, pos, neg: y.length - pos };
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative,
 * ties counting one half (the Mann–Whitney U statistic over positives × negatives).
 */
export function rocAuc(scores: Values, labels: Values): number {
  const { s, y, pos, neg } = pairs('rocAuc', scores, labels);
  if (pos === 0 || neg === 0) throw new Error(`rocAuc: needs both classes, got ${pos} positive and ${neg} negative labels`);
  const order = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => s[a]! - s[b]!);
  // Rank sum of the positives, with tied scores sharing their average rank.
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && s[order[j + 1]!] === s[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[order[k]!] === 1) rankSum += avg;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** The ROC curve at every distinct threshold (highest first), starting at (0, 0): {fpr, tpr, thresholds}. */
export function rocCurve(scores: Values, labels: Values): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const { s, y, pos, neg } = pairs('rocCurve', scores, labels);
  if (pos === 0 || neg === 0) throw new Error(`rocCurve: needs both classes, got ${pos} positive and ${neg} negative labels`);
  const order = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => s[b]! - s[a]!);
  const fpr = [0], tpr = [0], thresholds = [Infinity];
  let tp = 0, fp = 0;
  for (let i = 0; i < order.length;) {
    const t = s[order[i]!]!;
    while (i < order.length && s[order[i]!] === t) (y[order[i++]!] === 1 ? tp++ : fp++);
    fpr.push(fp / neg); tpr.push(tp / pos); thresholds.push(t);
  }
  return { fpr, tpr, thresholds };
}

export interface CalibrationBin {
  /** the bin's range of predicted probability (lo, hi] (the first bin includes 0) */
  lo: number; hi: number;
  /** samples in the bin, the mean predicted probability and the fraction of positives */
  count: number; meanPredicted: number; fractionPositive: number;
}

/**
 * The reliability diagram: predicted probabilities in `bins` equal-width bins over [0, 1], each with
 * the mean prediction and the observed fraction of positives (scikit-learn's calibration_curve with
 * strategy='uniform' gives the same two numbers for the non-empty bins).
 */
export function calibrationCurve(probabilities: Values, labels: Values, bins = 10): CalibrationBin[] {
  const { s, y } = pairs('calibrationCurve', probabilities, labels);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`calibrationCurve: bins must be a whole number ≥ 1, got ${bins}`);
  const step = 1 / bins;
  const count = new Float64Array(bins), sumP = new Float64Array(bins), sumY = new Float64Array(bins);
  for (let i = 0; i < s.length; i++) {
    const p = s[i]!;
    if (!(p >= 0 && p <= 1)) throw new Error(`calibrationCurve: probability ${i} is ${p}, outside [0, 1]`);
    // scikit-learn: edges linspace(0, 1, bins + 1) = i·(1/bins), searchsorted on the inner edges
    // (a value on an edge goes to the lower bin).
    let b = 0;
    while (b < bins - 1 && p > (b + 1) * step) b++;
    count[b]++; sumP[b] += p; sumY[b] += y[i]!;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    out.push({ lo: b * step, hi: (b + 1) * step, count: count[b]!, meanPredicted: sumP[b]! / count[b]!, fractionPositive: sumY[b]! / count[b]! });
  }
  return out;
}

/** Mean squared difference between predicted probabilities and 0/1 outcomes. */
export function brierScore(probabilities: Values, labels: Values): number {
  const { s, y } = pairs('brierScore', probabilities, labels);
  if (s.length === 0) throw new Error('brierScore: no samples');
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += (s[i]! - y[i]!) ** 2;
  return sum / s.length;
}

/**
 * ROC AUC as a streaming metric for fit(): outputs are logits [N, 2] (the second class is positive),
 * or one logit per sample [N] / [N, 1]; targets are 0/1. Scores are kept until compute().
 */
export class RocAuc {
  readonly name = 'rocAuc';
  readonly higherIsBetter = true;
  private scores: number[] = [];
  private labels: number[] = [];
  clone(): RocAuc { return new RocAuc(); }
  reset(): void { this.scores = []; this.labels = []; }
  update(output: Tensor, target: Tensor): void {
    const o = output.dataSync(), y = target.dataSync();
    const n = y.length;
    const two = output.ndim === 2 && output.shape[1] === 2;
    if (!two && output.numel() !== n) throw new Error(`rocAuc: outputs must be [N, 2] logits or one score per sample, got [${output.shape.join(', ')}] for ${n} targets`);
    // With two logits, their difference orders samples as P(positive) does.
    for (let i = 0; i < n; i++) { this.scores.push(two ? o[2 * i + 1]! - o[2 * i]! : o[i]!); this.labels.push(y[i]!); }
  }
  compute(): number {
    const pos = this.labels.reduce((a, b) => a + b, 0);
    return pos === 0 || pos === this.labels.length ? NaN : rocAuc(this.scores, this.labels);
  }
  state(): { scores: number[]; labels: number[] } { return { scores: this.scores.slice(), labels: this.labels.slice() }; }
  loadState(s: unknown): void {
    const v = s as { scores?: unknown; labels?: unknown } | null;
    if (!Array.isArray(v?.scores) || !Array.isArray(v?.labels) || v.scores.length !== v.labels.length) throw new Error('rocAuc: the saved state is not {scores, labels} of equal length');
    this.scores = v.scores.map(Number); this.labels = v.labels.map(Number);
  }
}
