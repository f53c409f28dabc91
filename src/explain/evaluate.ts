// Judging attributions: the deletion curve (remove the most-attributed features first — a faithful
// map makes the model's confidence fall fast), Spearman rank correlation (for sanity checks after
// Adebayo et al.), and the top-k features of an attribution for printing.

import { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { tensor } from '../tensor/create.js';
import { noGrad } from '../autograd/graph.js';
import { softmax } from '../ops/activation.js';
import { randomInt } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';
import { checkInput, checkOptions, checkPositiveInt, forwardOf, selectTarget, withSeed, type ModelLike, type TargetOptions } from './common.js';

export interface DeletionOptions extends TargetOptions {
  /** points on the curve after the start (default 20): step s removes the first s/steps of the features */
  steps?: number;
  /**
   * what removed features become (default 0): a number, or a tensor of the input's or one sample's
   * shape — a mean image, or a blurred copy of each input (on images whose background is already
   * the constant, removing a background pixel changes nothing)
   */
  baseline?: number | Tensor;
  /** 'probability' (softmax over the classes, default) or 'logit': what the curve tracks */
  score?: 'probability' | 'logit';
  /** remove features in random order instead of by attribution (the reference curve) */
  random?: boolean;
  /** seeds the random order (and the order among tied attributions); default 0 */
  seed?: number;
  /** examples per forward pass (default 64) */
  batchSize?: number;
}

export interface DeletionResult {
  /** the target's score after removing 0, 1/steps, …, all of the features: [N, steps + 1] */
  curve: number[][];
  /** area under each example's curve (trapezoid rule over the removed fraction 0…1) */
  auc: number[];
  /** the curve averaged over the examples */
  meanCurve: number[];
  meanAuc: number;
}

/**
 * The deletion metric (Petsiuk et al.): features are removed in order of decreasing attribution
 * (attributions [N, …] like the input) and the model's score for the target is tracked. A lower area
 * under the curve means the attribution found what the prediction depends on; compare with
 * {random: true}.
 */
export function deletionCurve(model: ModelLike, input: Tensor, attributions: Tensor | null, opts: DeletionOptions = {}): DeletionResult {
  const op = 'deletionCurve';
  checkOptions(op, opts, ['target', 'steps', 'baseline', 'score', 'random', 'seed', 'batchSize']);
  checkInput(op, input);
  const steps = checkPositiveInt(op, 'steps', opts.steps ?? 20);
  const batch = checkPositiveInt(op, 'batchSize', opts.batchSize ?? 64);
  const score = opts.score ?? 'probability';
  if (score !== 'probability' && score !== 'logit') throw new Error(`${op}: score must be 'probability' or 'logit', got '${String(score)}'`);
  if (!opts.random && !(attributions instanceof Tensor)) throw new Error(`${op}: give the attributions to order the features by (or {random: true})`);
  if (attributions && fmt(attributions.shape) !== fmt(input.shape)) {
    throw new Error(`${op}: attributions ${fmt(attributions.shape)} must have the input's shape ${fmt(input.shape)} (upsample layer maps first)`);
  }
  const n = input.shape[0]!, size = input.numel() / n;
  const x = input.dataSync(), a = attributions?.dataSync();
  const base = baselineValues(op, opts.baseline, input.shape);
  // A random order; by attribution, a stable sort of it (so tied features, e.g. the zeros of a
  // relu'd Grad-CAM map, go in random order rather than top-left first).
  const orders = withSeed(opts.seed ?? 0, () => Array.from({ length: n }, (_, i) => {
    const idx = Array.from({ length: size }, (_, j) => j);
    for (let j = size - 1; j > 0; j--) {
      const k = randomInt(j + 1);
      [idx[j], idx[k]] = [idx[k]!, idx[j]!];
    }
    if (!opts.random) {
      const off = i * size;
      idx.sort((p, q) => a![off + q]! - a![off + p]!);
    }
    return idx;
  }));
  const f = forwardOf(op, model);
  const tgt = opts.target;
  const curve = Array.from({ length: n }, () => new Array<number>(steps + 1));
  const perturbed = new Float64Array(batch * size);
  // Rows are (example, step) pairs; each pass scores up to `batch` of them.
  const rows: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let s = 0; s <= steps; s++) rows.push([i, s]);
  for (let r0 = 0; r0 < rows.length; r0 += batch) {
    const chunk = rows.slice(r0, r0 + batch);
    chunk.forEach(([i, s], r) => {
      const removed = Math.round((s * size) / steps);
      perturbed.set(x.subarray(i * size, (i + 1) * size), r * size);
      for (let j = 0; j < removed; j++) {
        const k = orders[i]![j]!;
        perturbed[r * size + k] = typeof base === 'number' ? base : base[base.length === size ? k : i * size + k]!;
      }
    });
    const vals = scope(() => noGrad(() => {
      const data = perturbed.subarray(0, chunk.length * size);
      const xb = tensor(input.dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), { dtype: input.dtype, shape: [chunk.length, ...input.shape.slice(1)] });
      let out = f(xb);
      if (score === 'probability') {
        if (out.ndim !== 2) throw new Error(`${op}: score 'probability' needs class scores [N, C], got ${fmt(out.shape)}`);
        out = softmax(out, 1);
      }
      const t = tgt === undefined || tgt === null || typeof tgt === 'number' || typeof tgt === 'function' ? tgt : chunk.map(([i]) => targetAt(tgt, i));
      return Array.from(selectTarget(op, out, t, chunk.length).dataSync());
    }));
    chunk.forEach(([i, s], r) => (curve[i]![s] = vals[r]!));
  }
  const auc = curve.map((c) => c.reduce((acc, v, s) => (s === 0 ? acc : acc + (v + c[s - 1]!) / (2 * steps)), 0));
  const meanCurve = Array.from({ length: steps + 1 }, (_, s) => curve.reduce((acc, c) => acc + c[s]!, 0) / n);
  return { curve, auc, meanCurve, meanAuc: auc.reduce((p, q) => p + q, 0) / n };
}

/** The deletion baseline: a number, or the values of a tensor of the input's or one sample's shape. */
function baselineValues(op: string, b: number | Tensor | undefined, shape: readonly number[]): number | ArrayLike<number> {
  if (b === undefined) return 0;
  if (typeof b === 'number') {
    if (!Number.isFinite(b)) throw new Error(`${op}: baseline must be a finite number, got ${b}`);
    return b;
  }
  if (!(b instanceof Tensor)) throw new TypeError(`${op}: baseline must be a number or a Tensor, got ${typeof b}`);
  const sample = fmt(shape.slice(1));
  if (fmt(b.shape) !== fmt(shape) && fmt(b.shape) !== sample) throw new Error(`${op}: a baseline tensor must have the input's shape ${fmt(shape)} or one sample's ${sample}, got ${fmt(b.shape)}`);
  return b.dataSync();
}

function targetAt(t: readonly number[] | Tensor, i: number): number {
  return t instanceof Tensor ? t.dataSync()[i]! : t[i]!;
}

/** Spearman's rank correlation of two equally long lists (ties get their average rank). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} and ${b.length} values`);
  if (a.length < 2) throw new Error('spearman: needs at least two values');
  const ra = ranks(a), rb = ranks(b);
  const n = a.length, mean = (n + 1) / 2;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - mean, y = rb[i]! - mean;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((p, q) => v[p]! - v[q]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** The k features with the largest |attribution| of a 1-D attribution, with their names (or indices). */
export function topAttributions(attribution: ArrayLike<number>, k: number, names?: readonly string[]): { index: number; name: string; value: number }[] {
  if (names && names.length !== attribution.length) throw new Error(`topAttributions: ${names.length} names for ${attribution.length} attributions`);
  return Array.from({ length: attribution.length }, (_, i) => i)
    .sort((p, q) => Math.abs(attribution[q]!) - Math.abs(attribution[p]!) || p - q)
    .slice(0, k)
    .map((i) => ({ index: i, name: names ? names[i]! : String(i), value: attribution[i]! }));
}
