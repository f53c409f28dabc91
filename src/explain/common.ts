// What every attribution method shares: the model as a forward function, choosing the target
// output, baselines, the input gradient, seeds, and the checks that keep a result from being silently wrong.

import { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { Dropout, Dropout2d } from '../nn/layers/dropout.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/norm.js';
import { RNNBase } from '../nn/rnn.js';
import { MultiheadAttention } from '../nn/attention.js';
import { valueAndGrad } from '../autograd/backward.js';
import { noGrad } from '../autograd/graph.js';
import { add, mul } from '../ops/elementwise.js';
import { cast } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import { gather } from '../ops/indexing.js';
import { reshape, select, broadcastTo, contiguous, cat } from '../ops/shape.js';
import { full, randn, tensor, zerosLike } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import type { DType } from '../tensor/dtype.js';
import { getRngState, manualSeed, setRngState } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';

/** A model's forward pass on a batch: input [N, …] → output [N, …]. */
export type Forward = (x: Tensor) => Tensor;
/** An nn.Module (its forward must return one tensor) or a forward function. */
export type ModelLike = Module | Forward;
/**
 * Which output to explain, per example: a class index for every example, one index per example
 * (an array or an int tensor of length N), or a function from the output [N, …] to one value per
 * example [N]. Leave it out when the model returns one value per example ([N] or [N, 1]).
 */
export type Target = number | readonly number[] | Tensor | ((output: Tensor) => Tensor) | null | undefined;
/** A reference input: a number for every element, one sample's shape (shared), or the batch's shape. */
export type Baseline = number | Tensor;

export interface TargetOptions {
  target?: Target;
}

/**
 * Rows per forward pass when a method batches copies of the input (path points, noisy samples) and
 * the caller did not say: the results do not depend on it, the memory does.
 */
export const DEFAULT_ROWS = 256;

/** How many copies of an n-row batch go in one pass: `rows` given by the caller, or DEFAULT_ROWS; at least 1. */
export function copiesPerPass(op: string, name: string, rows: number | undefined, n: number): number {
  return Math.max(1, Math.floor((rows === undefined ? DEFAULT_ROWS : checkPositiveInt(op, name, rows)) / n));
}

/** The forward function of a model, checked to return a single tensor. */
export function forwardOf(op: string, model: ModelLike): Forward {
  if (model instanceof Module) checkEvalMode(op, model);
  else if (typeof model !== 'function') throw new TypeError(`${op}: model must be an nn.Module or a function (x) => output, got ${typeof model}`);
  const f = model instanceof Module ? (x: Tensor) => model.forward(x) : model;
  return (x: Tensor) => {
    const out = f(x);
    if (!(out instanceof Tensor)) {
      throw new TypeError(`${op}: the model returned ${Array.isArray(out) ? 'an array' : typeof out}, not a tensor; pass a function (x) => output that returns the tensor to explain`);
    }
    return out;
  };
}

/** The module that makes a result depend on train mode (dropout masks, batch statistics), or null. */
function modeDependent(m: Module): boolean {
  if (!m.training) return false;
  if (m instanceof Dropout || m instanceof Dropout2d) return m.p > 0;
  if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) return true;
  if (m instanceof RNNBase) return m.dropout > 0 && m.numLayers > 1;
  if (m instanceof MultiheadAttention) return m.dropout > 0;
  return false;
}

/** Attributions of a model in training mode would be random (dropout) or depend on the batch (batch norm). */
export function checkEvalMode(op: string, model: Module): void {
  for (const [name, m] of model.namedModules()) {
    if (modeDependent(m)) {
      throw new Error(
        `${op}: the model is in training mode and '${name || '(the model)'}' (${m.constructor.name}) behaves differently there ` +
          '(random dropout masks, batch statistics), so attributions would not explain the trained model — call model.eval() first',
      );
    }
  }
}

/** Inputs must be floating point with a batch dimension. */
export function checkInput(op: string, x: unknown, what = 'input'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${typeof x}`);
  if (x.ndim < 1) throw new Error(`${op}: ${what} must have a batch dimension ([N, …]), got a scalar`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new TypeError(
      `${op}: ${what} is ${x.dtype}, but gradients and perturbations need a floating-point input — ` +
        'for token ids, explain the embedding layer with layerIntegratedGradients',
    );
  }
  return x;
}

/** Rejects options a method does not know (a typo must not silently fall back to a default). */
export function checkOptions(op: string, opts: object, known: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new Error(`${op}: unknown option '${k}' (options: ${known.join(', ')})`);
  }
}

export function checkPositiveInt(op: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

/** The targeted output, one value per example: [N]. */
export function selectTarget(op: string, out: Tensor, target: Target, n: number): Tensor {
  if (out.ndim === 0 || out.shape[0] !== n) {
    throw new Error(`${op}: the model's output ${fmt(out.shape)} has no batch dimension of ${n} (the input's); a model must map [N, …] to [N, …]`);
  }
  if (typeof target === 'function') {
    const t = target(out);
    if (!(t instanceof Tensor) || t.ndim !== 1 || t.shape[0] !== n) {
      throw new Error(`${op}: the target function must return one value per example ([${n}]), got ${t instanceof Tensor ? fmt(t.shape) : typeof t}`);
    }
    return t;
  }
  if (target === undefined || target === null) {
    if (out.ndim === 1) return out;
    if (out.ndim === 2 && out.shape[1] === 1) return reshape(out, [n]);
    throw new Error(`${op}: the model's output has shape ${fmt(out.shape)}, so say which output to explain with {target: class index}`);
  }
  if (out.ndim !== 2) {
    throw new Error(`${op}: a class-index target needs an output [N, C], got ${fmt(out.shape)}; pass a function target (out) => out[…] giving [N]`);
  }
  const c = out.shape[1]!;
  if (typeof target === 'number') {
    if (!Number.isInteger(target) || target < -c || target >= c) throw new RangeError(`${op}: target ${target} is out of range for an output of ${c} classes`);
    return select(out, 1, target);
  }
  const idx = targetIndices(op, target, n, c);
  const picked = gather(out, 1, idx);
  return reshape(picked, [n]);
}

function targetIndices(op: string, target: readonly number[] | Tensor, n: number, c: number): Tensor {
  const vals = target instanceof Tensor ? Array.from(target.dataSync()) : [...target];
  if (target instanceof Tensor && target.ndim !== 1) throw new Error(`${op}: a target tensor must be 1-D (one class per example), got ${fmt(target.shape)}`);
  if (vals.length !== n) throw new Error(`${op}: ${vals.length} targets for ${n} examples`);
  vals.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= c) throw new RangeError(`${op}: target[${i}] = ${v} is not a class index in [0, ${c})`);
  });
  return tensor(Int32Array.from(vals), { dtype: 'int32', shape: [n, 1] });
}

/** The target for a batch made of `times` copies of the examples, one copy after another. */
export function tileTarget(target: Target, times: number): Target {
  if (times === 1 || target === undefined || target === null || typeof target === 'number' || typeof target === 'function') return target;
  const vals = target instanceof Tensor ? Array.from(target.dataSync()) : [...target];
  const out: number[] = [];
  for (let k = 0; k < times; k++) out.push(...vals);
  return out;
}

/** Copies of x along dim 0, one after another ([x; x; …]). */
export function tileRows(x: Tensor, times: number): Tensor {
  return times === 1 ? x : cat(Array.from({ length: times }, () => x), 0);
}

/** The baseline as a tensor of the input's shape and dtype (zeros when not given). */
export function baselineFor(op: string, x: Tensor, b: Baseline | undefined, what = 'baselines'): Tensor {
  if (b === undefined) return zerosLike(x);
  if (typeof b === 'number') return full(x.shape, b, { dtype: x.dtype });
  if (!(b instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a number or a Tensor, got ${typeof b}`);
  const one = x.shape.slice(1);
  const same = b.ndim === x.ndim && b.shape.every((d, i) => d === x.shape[i]);
  const sample = b.ndim === one.length && b.shape.every((d, i) => d === one[i]);
  const single = b.ndim === x.ndim && b.shape[0] === 1 && b.shape.slice(1).every((d, i) => d === one[i]);
  if (!same && !sample && !single) {
    throw new Error(`${op}: ${what} of shape ${fmt(b.shape)} match neither the input ${fmt(x.shape)} nor one sample ${fmt(one)}`);
  }
  const c = cast(b, x.dtype);
  if (same) return c === b ? add(b, 0) : c;
  return contiguous(broadcastTo(c, x.shape));
}

/** Gradient of the targeted outputs (summed over the batch) with respect to x: [N, …] like x; `rows`: the output's batch when f changes it. */
export function inputGrad(op: string, f: Forward, x: Tensor, target: Target, rows = x.shape[0]!): Tensor {
  const n = rows;
  const vg = valueAndGrad((xl: Tensor) => sum(selectTarget(op, f(xl), target, n)));
  const { value, grads } = vg(x);
  value.dispose();
  return grads[0]!;
}

/** The targeted outputs without gradient: [N]. */
export function evalTarget(op: string, f: Forward, x: Tensor, target: Target): Tensor {
  return noGrad(() => {
    const out = f(x);
    const t = selectTarget(op, out, target, x.shape[0]!);
    return t === out ? t : (out.dispose(), t);
  });
}

/** Sum over every dim but the batch: [N, …] → [N]. */
export function sumPerExample(t: Tensor): Tensor {
  if (t.ndim === 1) return add(t, 0);
  return sum(t, Array.from({ length: t.ndim - 1 }, (_, i) => i + 1));
}

/** Runs fn with the generator seeded, then puts the caller's stream back (no seed: the caller's stream). */
export function withSeed<T>(seed: number | undefined, fn: () => T): T {
  if (seed === undefined) return fn();
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new TypeError(`seed must be a number, got ${String(seed)}`);
  const saved = getRngState();
  manualSeed(seed);
  try {
    return fn();
  } finally {
    setRngState(saved);
  }
}

/**
 * Runs fn with the model's parameters not requiring grad, so a backward to the input skips the
 * weight gradients (a third of a conv net's backward); they are restored afterwards.
 */
export function withFrozenParams<T>(model: ModelLike, fn: () => T): T {
  if (!(model instanceof Module)) return fn();
  const frozen = model.parameters().filter((p) => p.requiresGrad);
  for (const p of frozen) p.requiresGrad_(false);
  try {
    return fn();
  } finally {
    for (const p of frozen) if (!p.isDisposed) p.requiresGrad_(true);
  }
}

/** Gaussian noise of the given standard deviation. */
export function normalNoise(shape: readonly number[], stdev: number, dtype: DType): Tensor {
  return scope(() => mul(randn([...shape], { dtype: dtype === 'float64' ? 'float64' : 'float32' }), stdev));
}
