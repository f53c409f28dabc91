// Connectionist temporal classification loss (torch.nn.functional.ctc_loss, camelCase): the
// forward–backward (α–β) recursion in log space, per sample, in float64 whatever the input dtype.

import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { isGradEnabled } from '../autograd/graph.js';
import { div, mul } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { record } from '../ops/util.js';
import { fmt } from '../tensor/shape.js';
import type { Reduction } from './loss.js';
import { Module } from './module.js';

export interface CtcLossOptions {
  /** the blank label's class index (default 0) */
  blank?: number;
  /** 'mean' (default): each loss divided by its target length, then averaged over the batch; 'sum'; 'none' ([N]) */
  reduction?: Reduction;
  /** infinite losses (an input too short for its target) and their gradients become 0 (default false) */
  zeroInfinity?: boolean;
}

/** Lengths given as a tensor, a number array or (unbatched) one number. */
export type Lengths = Tensor | readonly number[] | number;

const NAME = 'ctcLoss';
const KNOWN = new Set(['blank', 'reduction', 'zeroInfinity']);

function lse2(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

function lengthsOf(what: string, v: Lengths, n: number, batched: boolean): number[] {
  let arr: number[];
  if (v instanceof Tensor) {
    if (v.dtype !== 'int32') throw new TypeError(`${NAME}: ${what} must be an int32 tensor, got ${v.dtype}`);
    const want = batched ? [n] : [];
    if (v.ndim !== want.length || (batched && v.shape[0] !== n)) {
      throw new Error(`${NAME}: ${what} must have shape ${fmt(want)} (one length per sample), got ${fmt(v.shape)}`);
    }
    arr = Array.from(v.dataSync() as Int32Array);
  } else if (typeof v === 'number') {
    if (batched) throw new Error(`${NAME}: ${what} must give one length per sample (${n}), got the single number ${v}`);
    arr = [v];
  } else {
    arr = [...v];
    if (arr.length !== n) throw new Error(`${NAME}: ${what} must give one length per sample (${n}), got ${arr.length}`);
  }
  arr.forEach((x, i) => {
    if (!Number.isInteger(x) || x < 0) throw new RangeError(`${NAME}: ${what}[${i}] must be a non-negative integer, got ${x}`);
  });
  return arr;
}

/** One sample's loss and (optionally) d loss / d logProbs over its first T frames. */
interface Sample { nll: number; grad: Float64Array | null }

/**
 * α–β over the extended label sequence l' = (blank, l1, blank, l2, …, blank). lp(t, c) reads the
 * sample's log-probability; the gradient is the exact one of −log p w.r.t. the log-probabilities:
 * −Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) − lp(t, c) + nll).
 */
function ctcSample(lp: (t: number, c: number) => number, T: number, C: number, label: Int32Array, blank: number, wantGrad: boolean): Sample {
  const S = label.length;
  const L = 2 * S + 1;
  const ext = new Int32Array(L).fill(blank);
  for (let i = 0; i < S; i++) ext[2 * i + 1] = label[i]!;
  if (T === 0) return { nll: S === 0 ? 0 : Infinity, grad: wantGrad ? new Float64Array(0) : null };
  // s may take the skip from s − 2 when l'_s is a label that differs from the one before it.
  const skip = new Uint8Array(L);
  for (let s = 2; s < L; s++) skip[s] = ext[s] !== blank && ext[s] !== ext[s - 2] ? 1 : 0;
  const alpha = new Float64Array(T * L).fill(-Infinity);
  alpha[0] = lp(0, blank);
  if (L > 1) alpha[1] = lp(0, ext[1]!);
  for (let t = 1; t < T; t++) {
    const o = t * L, p = o - L;
    for (let s = 0; s < L; s++) {
      let a = alpha[p + s]!;
      if (s > 0) a = lse2(a, alpha[p + s - 1]!);
      if (skip[s]) a = lse2(a, alpha[p + s - 2]!);
      alpha[o + s] = a === -Infinity ? -Infinity : a + lp(t, ext[s]!);
    }
  }
  const last = (T - 1) * L;
  const logp = L > 1 ? lse2(alpha[last + L - 1]!, alpha[last + L - 2]!) : alpha[last]!;
  const nll = -logp;
  if (!wantGrad) return { nll, grad: null };
  const beta = new Float64Array(T * L).fill(-Infinity);
  beta[last + L - 1] = lp(T - 1, blank);
  if (L > 1) beta[last + L - 2] = lp(T - 1, ext[L - 2]!);
  for (let t = T - 2; t >= 0; t--) {
    const o = t * L, q = o + L;
    for (let s = 0; s < L; s++) {
      let b = beta[q + s]!;
      if (s + 1 < L) b = lse2(b, beta[q + s + 1]!);
      if (s + 2 < L && skip[s + 2]) b = lse2(b, beta[q + s + 2]!);
      beta[o + s] = b === -Infinity ? -Infinity : b + lp(t, ext[s]!);
    }
  }
  const grad = new Float64Array(T * C);
  const occ = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    occ.fill(-Infinity);
    const o = t * L;
    for (let s = 0; s < L; s++) {
      const c = ext[s]!;
      occ[c] = lse2(occ[c]!, alpha[o + s]! + beta[o + s]!);
    }
    for (let c = 0; c < C; c++) {
      // An impossible alignment (nll = ∞) gives NaN here, as PyTorch does; zeroInfinity clears it.
      grad[t * C + c] = occ[c] === -Infinity && Number.isFinite(nll) ? 0 : -Math.exp(occ[c]! - lp(t, c) + nll);
    }
  }
  return { nll, grad };
}

/**
 * The CTC loss of log-probabilities `logProbs` [T, N, C] (log_softmax over C; unbatched [T, C]) for
 * `targets` padded [N, S] or concatenated [Σ targetLengths] (unbatched [S]), int32 class indices
 * that are never `blank`. `inputLengths` and `targetLengths` give each sample's frames and labels.
 * The gradient is the exact derivative w.r.t. logProbs; PyTorch's CPU kernel adds exp(logProbs) to
 * it, which log_softmax's backward cancels, so gradients w.r.t. the logits agree. Gradients of this
 * gradient w.r.t. logProbs are not provided (PyTorch has none either).
 */
export function ctcLoss(logProbs: Tensor, targets: Tensor, inputLengths: Lengths, targetLengths: Lengths, opts: CtcLossOptions = {}): Tensor {
  for (const k of Object.keys(opts)) {
    if (!KNOWN.has(k)) throw new Error(`${NAME}: unknown option '${k}' (options: blank, reduction, zeroInfinity)`);
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${NAME}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
  if (logProbs.dtype !== 'float32' && logProbs.dtype !== 'float64') {
    throw new TypeError(`${NAME}: logProbs must be a floating-point tensor, got ${logProbs.dtype}`);
  }
  if (logProbs.ndim !== 3 && logProbs.ndim !== 2) {
    throw new Error(`${NAME}: logProbs must be [T, N, C] (or unbatched [T, C]), got ${fmt(logProbs.shape)}`);
  }
  const batched = logProbs.ndim === 3;
  const T = logProbs.shape[0]!;
  const N = batched ? logProbs.shape[1]! : 1;
  const C = logProbs.shape[logProbs.ndim - 1]!;
  const blank = opts.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) {
    throw new RangeError(`${NAME}: blank must be a class index in 0 … ${C - 1} (logProbs has ${C} classes), got ${blank}`);
  }
  const inLen = lengthsOf('inputLengths', inputLengths, N, batched);
  const tgLen = lengthsOf('targetLengths', targetLengths, N, batched);
  inLen.forEach((l, i) => {
    if (l > T) throw new RangeError(`${NAME}: inputLengths[${i}] = ${l} exceeds the ${T} frames of logProbs ${fmt(logProbs.shape)}`);
  });
  const labels = splitTargets(targets, tgLen, N, batched);
  for (let n = 0; n < N; n++) {
    labels[n]!.forEach((c, j) => {
      if (c < 0 || c >= C) throw new RangeError(`${NAME}: target ${c} (sample ${n}, position ${j}) is out of range for ${C} classes`);
      if (c === blank) throw new RangeError(`${NAME}: target of sample ${n} holds the blank label ${blank} at position ${j}`);
    });
  }

  const data = logProbs.dataSync();
  const wantGrad = isGradEnabled() && logProbs.requiresGrad;
  const nll = new Float64Array(N);
  const grad = wantGrad ? new Float64Array(T * N * C) : null;
  for (let n = 0; n < N; n++) {
    const r = ctcSample((t, c) => data[(t * N + n) * C + c]!, inLen[n]!, C, labels[n]!, blank, wantGrad);
    const zero = opts.zeroInfinity && r.nll === Infinity;
    nll[n] = zero ? 0 : r.nll;
    if (grad && r.grad && !zero) {
      for (let t = 0; t < inLen[n]!; t++) for (let c = 0; c < C; c++) grad[(t * N + n) * C + c] = r.grad[t * C + c]!;
    }
  }
  const dtype = logProbs.dtype;
  let losses = tensor(nll, { dtype, shape: batched ? [N] : [] });
  if (grad) {
    losses = record(losses, NAME, [logProbs], [], (g) => [
      mul(reshape(g, batched ? [1, N, 1] : [1, 1]), tensor(grad, { dtype, shape: logProbs.shape })),
    ]);
  }
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  // PyTorch's 'mean': each loss over its target length (at least 1), then the batch mean.
  const denom = tensor(Float64Array.from(tgLen, (l) => Math.max(l, 1)), { dtype, shape: batched ? [N] : [] });
  return mean(div(losses, denom));
}

/** Each sample's labels from padded [N, S] or concatenated [Σ lengths] targets (unbatched: [S]). */
function splitTargets(targets: Tensor, lengths: number[], N: number, batched: boolean): Int32Array[] {
  if (targets.dtype !== 'int32') throw new TypeError(`${NAME}: targets must be an int32 tensor of class indices, got ${targets.dtype}`);
  const t = targets.dataSync() as Int32Array;
  const out: Int32Array[] = [];
  if (batched && targets.ndim === 2) {
    if (targets.shape[0] !== N) throw new Error(`${NAME}: padded targets ${fmt(targets.shape)} must have one row per sample (${N})`);
    const S = targets.shape[1]!;
    for (let n = 0; n < N; n++) {
      if (lengths[n]! > S) throw new RangeError(`${NAME}: targetLengths[${n}] = ${lengths[n]} exceeds the ${S} columns of the padded targets`);
      out.push(t.slice(n * S, n * S + lengths[n]!));
    }
    return out;
  }
  if (targets.ndim !== 1) {
    throw new Error(`${NAME}: targets must be padded [N, S] or concatenated [Σ targetLengths]${batched ? '' : ' (unbatched: [S])'}, got ${fmt(targets.shape)}`);
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  if (!batched) {
    if (lengths[0]! > t.length) throw new RangeError(`${NAME}: targetLengths = ${lengths[0]} exceeds the ${t.length} targets`);
    return [t.slice(0, lengths[0]!)];
  }
  if (total !== t.length) {
    throw new Error(`${NAME}: concatenated targets hold ${t.length} labels but targetLengths add up to ${total}`);
  }
  let o = 0;
  for (let n = 0; n < N; n++) {
    out.push(t.slice(o, o + lengths[n]!));
    o += lengths[n]!;
  }
  return out;
}

/** torch.nn.CTCLoss: holds blank, reduction and zeroInfinity; forward(logProbs, targets, inputLengths, targetLengths). */
export class CTCLoss extends Module {
  readonly blank: number;
  readonly reduction: Reduction;
  readonly zeroInfinity: boolean;
  constructor(opts: CtcLossOptions = {}) {
    super();
    for (const k of Object.keys(opts)) {
      if (!KNOWN.has(k)) throw new Error(`CTCLoss: unknown option '${k}' (options: blank, reduction, zeroInfinity)`);
    }
    this.blank = opts.blank ?? 0;
    this.reduction = opts.reduction ?? 'mean';
    this.zeroInfinity = opts.zeroInfinity ?? false;
  }
  override forward(logProbs: Tensor, targets: Tensor, inputLengths: Lengths, targetLengths: Lengths): Tensor {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank: this.blank, reduction: this.reduction, zeroInfinity: this.zeroInfinity });
  }
}
