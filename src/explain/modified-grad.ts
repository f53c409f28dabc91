// Attributions from a modified backward pass through the model's activation modules (Captum's
// GuidedBackprop, Deconvolution and DeepLift with the rescale rule): the modules' forward is
// replaced for one pass by the same forward with its own backward rule.

import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus } from '../nn/layers/activation.js';
import { MaxPool1d, MaxPool2d } from '../nn/layers/pool.js';
import { scope } from '../tensor/memory.js';
import { abs, add, div, gt, lt, maximum, mul, relu, sub, where } from '../ops/elementwise.js';
import { cat, chunk } from '../ops/shape.js';
import {
  baselineFor, checkInput, checkOptions, forwardOf, inputGrad, tileTarget, withFrozenParams, type Baseline,
  type TargetOptions,
} from './common.js';
import { convergenceDelta, type WithDelta } from './gradient.js';
import { runNoGrad, vjpOf, withCustomGrad, withPatchedForwards, type Patch } from './hooks.js';

function requireModule(op: string, model: unknown): Module {
  if (!(model instanceof Module)) throw new TypeError(`${op}: needs the model as an nn.Module (it changes the backward of the model's activation modules)`);
  return model;
}

/** Gradient with every nn.ReLU's backward replaced: guided (relu of the ReLU's own input gradient) or deconvolution (relu of the output gradient). */
function modifiedRelu(op: string, model: Module, input: Tensor, opts: TargetOptions, useGradOutput: boolean): Tensor {
  checkOptions(op, opts, ['target']);
  checkInput(op, input);
  const relus = model.modules().filter((m) => m instanceof ReLU);
  if (!relus.length) {
    throw new Error(`${op}: the model has no nn.ReLU modules to modify (a ReLU called as a function cannot be seen), so the result would be the plain gradient`);
  }
  const patch: Patch = (orig, [x, ...rest]) => {
    const xt = x as Tensor;
    const y = runNoGrad(op, orig, xt, rest);
    const saved = xt.detach();
    return withCustomGrad(op, xt, y, (g) => (useGradOutput ? relu(g) : where(gt(saved, 0), relu(g), 0)));
  };
  return scope(() => withFrozenParams(model, () =>
    withPatchedForwards(new Map(relus.map((m) => [m, patch])), () => inputGrad(op, forwardOf(op, model), input, opts.target))));
}

/** The input gradient with negative gradients stopped at every ReLU (Springenberg et al.). */
export function guidedBackprop(model: Module, input: Tensor, opts: TargetOptions = {}): Tensor {
  return modifiedRelu('guidedBackprop', requireModule('guidedBackprop', model), input, opts, false);
}

/** Zeiler & Fergus's deconvolution: the ReLUs pass on relu(output gradient), whatever their input. */
export function deconvolution(model: Module, input: Tensor, opts: TargetOptions = {}): Tensor {
  return modifiedRelu('deconvolution', requireModule('deconvolution', model), input, opts, true);
}

export interface DeepLiftOptions extends TargetOptions {
  /** the reference input (default zeros) */
  baselines?: Baseline;
  /** below this |Δinput| a module passes its ordinary gradient (default 1e-10, Captum's) */
  eps?: number;
  multiplyByInputs?: boolean;
  returnConvergenceDelta?: boolean;
}

/** The activation modules the rescale rule applies to — Captum's list; others pass plain gradients. */
const NONLINEAR = new Set<unknown>([ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus]);
const MAXPOOL = new Set<unknown>([MaxPool1d, MaxPool2d]);

/**
 * DeepLift (rescale rule): the model runs once on [input; baseline]; each activation module passes
 * back g · Δout/Δin (its secant from baseline to input) instead of its derivative, max pooling
 * Captum's rule, and attributions are (input − baseline) ⊙ that gradient. For a network of linear
 * layers and these modules they add up to f(input) − f(baseline).
 */
export function deepLift(model: Module, input: Tensor, opts: DeepLiftOptions & { returnConvergenceDelta: true }): WithDelta;
export function deepLift(model: Module, input: Tensor, opts?: DeepLiftOptions): Tensor;
export function deepLift(model: Module, input: Tensor, opts: DeepLiftOptions = {}): Tensor | WithDelta {
  const op = 'deepLift';
  checkOptions(op, opts, ['target', 'baselines', 'eps', 'multiplyByInputs', 'returnConvergenceDelta']);
  requireModule(op, model);
  checkInput(op, input);
  const eps = opts.eps ?? 1e-10;
  if (!(eps >= 0)) throw new RangeError(`${op}: eps must be ≥ 0, got ${eps}`);
  const mods = model.modules().filter((m) => NONLINEAR.has(m.constructor) || MAXPOOL.has(m.constructor));
  return scope(() => withFrozenParams(model, () => {
    const b = baselineFor(op, input, opts.baselines);
    const patches = new Map<Module, Patch>(mods.map((m) => [m, rescalePatch(op, eps, MAXPOOL.has(m.constructor))]));
    const f = forwardOf(op, model);
    const both = (xl: Tensor): Tensor => f(cat([xl, b], 0));
    const n = input.shape[0]!;
    // Captum's forward: the target on both halves, summed; the gradient is taken at the input half.
    const g = withPatchedForwards(patches, () => inputGrad(op, both, input, tileTarget(opts.target, 2), 2 * n));
    const attributions = opts.multiplyByInputs === false ? g : mul(sub(input, b), g);
    if (!opts.returnConvergenceDelta) return attributions;
    return { attributions, delta: convergenceDelta(op, f, attributions, input, b, opts.target) };
  }));
}

/** A module's forward, unchanged, with the rescale rule as its backward. */
function rescalePatch(op: string, eps: number, isPool: boolean): Patch {
  return (orig, [x, ...rest]) => {
    const xt = x as Tensor;
    const y = runNoGrad(op, orig, xt, rest);
    const xs = xt.detach(), ys = y.detach();
    return withCustomGrad(op, xt, y, (g) => rescale(orig, rest, xs, ys, g, eps, isPool));
  };
}

/** The rescale rule's input gradient for one module, over the [input; baseline] batch. */
function rescale(orig: (...a: unknown[]) => unknown, rest: unknown[], xs: Tensor, ys: Tensor, g: Tensor, eps: number, isPool: boolean): Tensor {
  const [xi, xr] = chunk(xs, 2, 0) as [Tensor, Tensor];
  const [yi, yr] = chunk(ys, 2, 0) as [Tensor, Tensor];
  const d = sub(xi, xr);
  const dIn = cat([d, d], 0);
  const plain = vjpOf(orig, xs, rest, g);
  let multiplied: Tensor;
  if (!isPool) {
    const dy = sub(yi, yr);
    multiplied = div(mul(g, cat([dy, dy], 0)), dIn);
  } else {
    // Captum's max-pool rule: route g·(max(y, y_ref) − y_ref) through the input's argmax and
    // g·(y − max(y, y_ref)) through the reference's, add the two, divide by Δin.
    const xmax = maximum(yi, yr);
    const routed = vjpOf(orig, xs, rest, mul(g, cat([sub(xmax, yr), sub(yi, xmax)], 0)));
    const [ui, ur] = chunk(routed, 2, 0) as [Tensor, Tensor];
    const u = add(ui, ur);
    multiplied = div(cat([u, u], 0), dIn);
  }
  return where(lt(abs(dIn), eps), plain, multiplied);
}
