// Perturbation attributions (Captum's FeatureAblation, Occlusion, ShapleyValueSampling, ShapleyValues):
// replace features by the baseline, run the model, and credit the change of the target to them.
// Only forward passes; the bookkeeping is exact float64 arithmetic in JavaScript.

import { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/memory.js';
import { tensor } from '../tensor/create.js';
import { randomInt } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';
import {
  baselineFor, checkInput, checkOptions, checkPositiveInt, evalTarget, forwardOf, tileTarget, withSeed, type Baseline,
  type Forward, type ModelLike, type Target, type TargetOptions,
} from './common.js';

/** One batch of N examples held as flat arrays: x, the baseline, and each element's feature id. */
interface Flat {
  n: number;
  size: number; // elements per example
  shape: readonly number[];
  dtype: 'float32' | 'float64';
  x: Float64Array;
  b: Float64Array;
}

function flatten(op: string, input: Tensor, baselines: Baseline | undefined): Flat {
  checkInput(op, input);
  const n = input.shape[0]!;
  const size = input.numel() / Math.max(n, 1);
  const b = scope(() => Float64Array.from(baselineFor(op, input, baselines).dataSync()));
  return { n, size, shape: input.shape, dtype: input.dtype as 'float32' | 'float64', x: Float64Array.from(input.dataSync()), b };
}

/** Feature ids for every element of the batch [N × size]; default: each element of a sample its own feature. */
function featureIds(op: string, fl: Flat, mask: Tensor | undefined): { ids: Int32Array; count: number } {
  const ids = new Int32Array(fl.n * fl.size);
  if (mask === undefined) {
    for (let i = 0; i < ids.length; i++) ids[i] = i % fl.size;
    return { ids, count: fl.size };
  }
  if (!(mask instanceof Tensor) || mask.dtype !== 'int32') throw new TypeError(`${op}: featureMask must be an int32 tensor of feature ids`);
  const sample = fl.shape.slice(1);
  const perSample = (mask.ndim === sample.length && mask.shape.every((d, i) => d === sample[i])) ||
    (mask.ndim === fl.shape.length && mask.shape[0] === 1 && mask.shape.slice(1).every((d, i) => d === sample[i]));
  const perBatch = mask.ndim === fl.shape.length && mask.shape.every((d, i) => d === fl.shape[i]);
  if (!perSample && !perBatch) throw new Error(`${op}: featureMask ${fmt(mask.shape)} matches neither one sample ${fmt(sample)} nor the input ${fmt(fl.shape)}`);
  const m = mask.dataSync();
  let max = -1;
  for (let i = 0; i < ids.length; i++) {
    const v = m[perBatch ? i : i % fl.size]!;
    if (v < 0) throw new RangeError(`${op}: featureMask holds a negative id (${v})`);
    ids[i] = v;
    if (v > max) max = v;
  }
  return { ids, count: max + 1 };
}

/** The targeted outputs of `rows` stacked variants of the batch ([k·N] rows): k × N values. */
function evalRows(op: string, f: Forward, fl: Flat, data: Float64Array, k: number, target: Target): Float64Array {
  return scope(() => {
    const x = tensor(fl.dtype === 'float64' ? data : Float32Array.from(data), { dtype: fl.dtype, shape: [k * fl.n, ...fl.shape.slice(1)] });
    return Float64Array.from(evalTarget(op, f, x, tileTarget(target, k)).dataSync());
  });
}

function result(fl: Flat, attr: Float64Array): Tensor {
  return tensor(fl.dtype === 'float64' ? attr : Float32Array.from(attr), { dtype: fl.dtype, shape: [...fl.shape] });
}

export interface FeatureAblationOptions extends TargetOptions {
  /** what an ablated feature is set to (default 0) */
  baselines?: Baseline;
  /** int32 feature id of every element (one sample's shape, or the input's): elements sharing an id are ablated together */
  featureMask?: Tensor;
  /** ablations evaluated per forward pass (default 1) */
  perturbationsPerEval?: number;
}

/** Each feature's attribution: f(input) − f(input with that feature set to the baseline). */
export function featureAblation(model: ModelLike, input: Tensor, opts: FeatureAblationOptions = {}): Tensor {
  const op = 'featureAblation';
  checkOptions(op, opts, ['target', 'baselines', 'featureMask', 'perturbationsPerEval']);
  const fl = flatten(op, input, opts.baselines);
  const { ids, count } = featureIds(op, fl, opts.featureMask);
  return ablate(op, model, fl, count, (feat, i) => ids[i] === feat, opts.target, opts.perturbationsPerEval, false);
}

export interface OcclusionOptions extends TargetOptions {
  /** the occluding window over one sample's dims, e.g. [1, 5, 5] for [N, 1, 28, 28] */
  slidingWindowShapes: readonly number[];
  /** the window's step per dim (a number for all; default 1) */
  strides?: number | readonly number[];
  baselines?: Baseline;
  perturbationsPerEval?: number;
}

/**
 * Occlusion: a window slides over the input; at each position the window is set to the baseline and
 * the fall of the target is credited to the elements under it; each element's attribution is its
 * average over the windows that covered it. Windows at the far edge are cut to fit, as in Captum.
 */
export function occlusion(model: ModelLike, input: Tensor, opts: OcclusionOptions): Tensor {
  const op = 'occlusion';
  checkOptions(op, opts ?? {}, ['target', 'slidingWindowShapes', 'strides', 'baselines', 'perturbationsPerEval']);
  const fl = flatten(op, input, opts.baselines);
  const dims = fl.shape.slice(1);
  const win = opts.slidingWindowShapes;
  if (!Array.isArray(win) || win.length !== dims.length || win.some((w, i) => !Number.isInteger(w) || w < 1 || w > dims[i]!)) {
    throw new Error(`${op}: slidingWindowShapes must give ${dims.length} sizes within one sample's shape ${fmt(dims)}, got ${JSON.stringify(win)}`);
  }
  const strides = typeof opts.strides === 'number' || opts.strides === undefined ? dims.map(() => (opts.strides as number | undefined) ?? 1) : [...opts.strides];
  if (strides.length !== dims.length || strides.some((s, i) => !Number.isInteger(s) || s < 1 || (s > win[i]! && dims[i]! > win[i]!))) {
    throw new Error(`${op}: strides must give ${dims.length} positive integers no larger than the window, got ${JSON.stringify(opts.strides)}`);
  }
  const shifts = dims.map((d, i) => Math.ceil((d - win[i]!) / strides[i]!) + 1);
  const count = shifts.reduce((a, s) => a * s, 1);
  // Element i (within a sample) is under window `feat` when every coordinate is inside it.
  const coords = dims.map((_, di) => {
    const c = new Int32Array(fl.size);
    const inner = dims.slice(di + 1).reduce((a, d) => a * d, 1);
    for (let i = 0; i < fl.size; i++) c[i] = Math.floor(i / inner) % dims[di]!;
    return c;
  });
  const covers = (feat: number, i: number): boolean => {
    let rem = feat, j = i % fl.size;
    for (let d = 0; d < dims.length; d++) {
      const start = (rem % shifts[d]!) * strides[d]!;
      rem = Math.floor(rem / shifts[d]!);
      const c = coords[d]![j]!;
      if (c < start || c >= start + win[d]!) return false;
    }
    return true;
  };
  return ablate(op, model, fl, count, covers, opts.target, opts.perturbationsPerEval, true);
}

/** The ablation loop shared by featureAblation and occlusion (averaging over overlapping windows when `weighted`). */
function ablate(op: string, model: ModelLike, fl: Flat, count: number, inFeature: (feat: number, i: number) => boolean, target: Target, perEval: number | undefined, weighted: boolean): Tensor {
  const per = checkPositiveInt(op, 'perturbationsPerEval', perEval ?? 1);
  const f = forwardOf(op, model);
  const total = fl.n * fl.size;
  const base = evalRows(op, f, fl, fl.x, 1, target);
  const attr = new Float64Array(total), weight = new Float64Array(weighted ? total : 0);
  for (let f0 = 0; f0 < count; f0 += per) {
    const k = Math.min(per, count - f0);
    const data = new Float64Array(k * total);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < total; i++) data[j * total + i] = inFeature(f0 + j, i) ? fl.b[i]! : fl.x[i]!;
    }
    const out = evalRows(op, f, fl, data, k, target);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < total; i++) {
        if (!inFeature(f0 + j, i)) continue;
        const ex = Math.floor(i / fl.size);
        attr[i] += base[ex]! - out[j * fl.n + ex]!;
        if (weighted) weight[i]! += 1;
      }
    }
  }
  if (weighted) for (let i = 0; i < total; i++) attr[i] = attr[i]! / weight[i]!;
  return result(fl, attr);
}

export interface ShapleyOptions extends TargetOptions {
  baselines?: Baseline;
  /** int32 feature id of every element (one sample's shape, or the input's); default each element */
  featureMask?: Tensor;
  /** coalitions evaluated per forward pass (default 1) */
  perturbationsPerEval?: number;
}

export interface ShapleyValueSamplingOptions extends ShapleyOptions {
  /** random feature orders (default 25) */
  nSamples?: number;
  /** seeds the orders without moving the global generator */
  seed?: number;
}

/**
 * Shapley values estimated from random feature orders: along each order features switch from the
 * baseline to the input one at a time and each is credited with the change it makes. Every order's
 * credits add up to f(input) − f(baseline) exactly.
 */
export function shapleyValueSampling(model: ModelLike, input: Tensor, opts: ShapleyValueSamplingOptions = {}): Tensor {
  const op = 'shapleyValueSampling';
  checkOptions(op, opts, ['target', 'baselines', 'featureMask', 'nSamples', 'perturbationsPerEval', 'seed']);
  const nSamples = checkPositiveInt(op, 'nSamples', opts.nSamples ?? 25);
  const fl = flatten(op, input, opts.baselines);
  const { ids, count } = featureIds(op, fl, opts.featureMask);
  const orders = withSeed(opts.seed, () => Array.from({ length: nSamples }, () => randomOrder(count)));
  return shapleyOverOrders(op, model, fl, ids, orders, opts);
}

/** A uniformly random order of 0…n−1 (Fisher–Yates on the library's generator). */
function randomOrder(n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

function shapleyOverOrders(op: string, model: ModelLike, fl: Flat, ids: Int32Array, orders: number[][], opts: ShapleyOptions): Tensor {
  const per = checkPositiveInt(op, 'perturbationsPerEval', opts.perturbationsPerEval ?? 1);
  const f = forwardOf(op, model);
  const total = fl.n * fl.size;
  const attr = new Float64Array(total);
  const start = evalRows(op, f, fl, fl.b, 1, opts.target);
  for (const order of orders) {
    const cur = Float64Array.from(fl.b);
    let prev = start;
    for (let s = 0; s < order.length; s += per) {
      const k = Math.min(per, order.length - s);
      const data = new Float64Array(k * total);
      for (let j = 0; j < k; j++) {
        const feat = order[s + j]!;
        for (let i = 0; i < total; i++) if (ids[i] === feat) cur[i] = fl.x[i]!;
        data.set(cur, j * total);
      }
      const out = evalRows(op, f, fl, data, k, opts.target);
      for (let j = 0; j < k; j++) {
        const feat = order[s + j]!;
        for (let i = 0; i < total; i++) {
          if (ids[i] !== feat) continue;
          const ex = Math.floor(i / fl.size);
          attr[i] += out[j * fl.n + ex]! - prev[ex]!;
        }
        prev = out.subarray(j * fl.n, (j + 1) * fl.n);
      }
    }
  }
  for (let i = 0; i < total; i++) attr[i] = attr[i]! / orders.length;
  return result(fl, attr);
}

/**
 * Exact Shapley values: φ_i = Σ over coalitions S without i of |S|!(F−|S|−1)!/F! · (f(S ∪ {i}) − f(S)),
 * every one of the 2^F coalitions evaluated once (F ≤ 16 features; group elements with featureMask).
 */
export function shapleyValues(model: ModelLike, input: Tensor, opts: ShapleyOptions = {}): Tensor {
  const op = 'shapleyValues';
  checkOptions(op, opts, ['target', 'baselines', 'featureMask', 'perturbationsPerEval']);
  const fl = flatten(op, input, opts.baselines);
  const { ids, count } = featureIds(op, fl, opts.featureMask);
  if (count > 16) throw new Error(`${op}: ${count} features need 2^${count} evaluations; group them with featureMask (≤ 16) or use shapleyValueSampling`);
  const per = checkPositiveInt(op, 'perturbationsPerEval', opts.perturbationsPerEval ?? 1);
  const f = forwardOf(op, model);
  const total = fl.n * fl.size, coalitions = 2 ** count;
  const value = new Float64Array(coalitions * fl.n);
  for (let c0 = 0; c0 < coalitions; c0 += per) {
    const k = Math.min(per, coalitions - c0);
    const data = new Float64Array(k * total);
    for (let j = 0; j < k; j++) {
      const c = c0 + j;
      for (let i = 0; i < total; i++) data[j * total + i] = (c >> ids[i]!) & 1 ? fl.x[i]! : fl.b[i]!;
    }
    value.set(evalRows(op, f, fl, data, k, opts.target), c0 * fl.n);
  }
  const fact = [1];
  for (let i = 1; i <= count; i++) fact.push(fact[i - 1]! * i);
  const phi = new Float64Array(count * fl.n);
  for (let c = 0; c < coalitions; c++) {
    let size = 0;
    for (let t = c; t; t &= t - 1) size++;
    for (let feat = 0; feat < count; feat++) {
      if ((c >> feat) & 1) continue;
      const w = (fact[size]! * fact[count - size - 1]!) / fact[count]!;
      const withF = c | (1 << feat);
      for (let ex = 0; ex < fl.n; ex++) phi[feat * fl.n + ex] += w * (value[withF * fl.n + ex]! - value[c * fl.n + ex]!);
    }
  }
  // Every element carries its feature's value (as Captum's masks spread a group's attribution).
  const attr = new Float64Array(total);
  for (let i = 0; i < total; i++) attr[i] = phi[ids[i]! * fl.n + Math.floor(i / fl.size)]!;
  return result(fl, attr);
}
