// Seeing inside a model while explaining it: find a layer by its dotted name, run a forward with
// some modules' forward replaced (to read or swap a layer's output), and ops with a custom backward.

import { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { record } from '../ops/util.js';
import { noGrad } from '../autograd/graph.js';
import { valueAndGrad } from '../autograd/backward.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { ModelLike } from './common.js';

/** A layer given by its name in model.namedModules() ('features.3') or as the module itself. */
export type LayerRef = string | Module;

export function resolveLayer(op: string, model: ModelLike, layer: LayerRef | undefined): Module {
  if (layer instanceof Module) return layer;
  if (typeof layer !== 'string') throw new TypeError(`${op}: give the layer as its name ('features.3') or the module itself`);
  if (!(model instanceof Module)) throw new TypeError(`${op}: layer '${layer}' is a name, which needs the model as an nn.Module; with a forward function pass the layer module itself`);
  const found = [...model.namedModules()].find(([n]) => n === layer);
  if (!found) {
    const names = [...model.namedModules()].map(([n]) => n).filter((n) => n !== '');
    throw new Error(`${op}: the model has no layer named '${layer}' (layers: ${names.join(', ')})`);
  }
  return found[1];
}

/** A replacement forward: gets the module's own forward (bound) and the call's arguments. */
export type Patch = (orig: (...args: unknown[]) => unknown, args: unknown[]) => unknown;

/**
 * Runs fn with the given modules' forward replaced; everything is put back afterwards, also when fn
 * throws. A patched module's inputs and output are computed as they are on the way in and out: a
 * conv2d or linear result is pending until read (src/ops/pending.ts), and a ReLU after it would fold
 * into its kernel, so the tensor a hook reads or swaps would not be the one the next layer uses, and
 * no gradient would reach it. Modules that are not patched keep their fused paths.
 */
export function withPatchedForwards<T>(patches: ReadonlyMap<Module, Patch>, fn: () => T): T {
  const restore: (() => void)[] = [];
  for (const [m, patch] of patches) {
    const own = Object.getOwnPropertyDescriptor(m, 'forward');
    const orig = m.forward.bind(m);
    Object.defineProperty(m, 'forward', { value: (...args: unknown[]) => settle(patch(orig, args.map(settle))), configurable: true, writable: true });
    restore.push(() => (own ? Object.defineProperty(m, 'forward', own) : delete (m as { forward?: unknown }).forward));
  }
  try {
    return fn();
  } finally {
    for (const r of restore.reverse()) r();
  }
}

/** A pending tensor computed now (reading its buffer does that); anything else as it is. */
function settle(v: unknown): unknown {
  if (v instanceof Tensor && !v.isDisposed) v._live('explain');
  return v;
}

/** The output tensor of a layer's forward (a layer that returns several is not supported). */
export function layerOutput(op: string, out: unknown, name = 'the layer'): Tensor {
  if (out instanceof Tensor) return out;
  throw new TypeError(`${op}: ${name} returned ${Array.isArray(out) ? 'an array' : typeof out}; layer attributions need a layer whose forward returns one tensor`);
}

/**
 * y (computed without grad from x) joined to the graph with a backward of our own: the gradient
 * reaching x is vjp(g) instead of the chain rule through y's computation (what PyTorch's backward
 * hooks on a module do). vjp runs inside backward, without recording.
 */
export function withCustomGrad(name: string, x: Tensor, y: Tensor, vjp: (g: Tensor) => Tensor): Tensor {
  if (y.requiresGrad) throw new Error(`internal: ${name}: the output must be computed without grad`);
  return record(y, name, [x], [], (g) => [vjp(g)]);
}

/** Calls a module's own forward on x without recording, returning one tensor. */
export function runNoGrad(op: string, orig: (...args: unknown[]) => unknown, x: Tensor, rest: unknown[]): Tensor {
  return noGrad(() => layerOutput(op, orig(x, ...rest)));
}

/** g ⊙ ∂orig/∂x at x: the gradient a module's own backward would pass to its input. */
export function vjpOf(orig: (...args: unknown[]) => unknown, x: Tensor, rest: unknown[], g: Tensor): Tensor {
  const { value, grads } = valueAndGrad((xl: Tensor) => sum(mul(layerOutput('backward', orig(xl, ...rest)), g)))(x);
  value.dispose();
  return grads[0]!;
}
