// Layer attributions (Captum's LayerGradCam, GuidedGradCam, LayerIntegratedGradients): read or
// replace one layer's output during a forward pass and differentiate with respect to it.

import type { Tensor } from '../tensor/tensor.js';
import { adopt, currentScope, scope } from '../tensor/memory.js';
import { runBackward } from '../autograd/backward.js';
import { enableGrad, noGrad } from '../autograd/graph.js';
import { add, mul, relu, sub } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { cat } from '../ops/shape.js';
import { zerosLike } from '../tensor/create.js';
import { fmt } from '../tensor/shape.js';
import {
  baselineFor, checkInput, checkOptions, checkPositiveInt, forwardOf, selectTarget, sumPerExample, tileRows, tileTarget,
  withFrozenParams, type Baseline, type Forward, type ModelLike, type Target, type TargetOptions,
} from './common.js';
import { layerOutput, resolveLayer, withPatchedForwards, type LayerRef, type Patch } from './hooks.js';
import { pathIntegral, type WithDelta } from './gradient.js';
import { IG_METHODS, quadrature, type IgMethod } from './quadrature.js';
import { guidedBackprop } from './modified-grad.js';
import { INTERPOLATE_MODES, interpolate, type InterpolateMode } from './interpolate.js';
import { Module } from '../nn/module.js';

/**
 * A patch that makes the layer's output `replace(output)` and refuses a second call in one pass.
 * What `replace` keeps (the layer's output, the leaf put in its place) moves to the scope that was
 * current when the patch was made: a model whose forward runs in its own scope() (a language model,
 * a translation model) would otherwise free them when its forward returns.
 */
function layerPatch(op: string, name: string, replace: (out: Tensor) => Tensor): Patch {
  let calls = 0;
  const outer = currentScope();
  return (orig, args) => {
    if (++calls > 1) throw new Error(`${op}: layer '${name}' runs more than once in a forward pass; attribute to a layer used once`);
    const out = layerOutput(op, orig(...args), `layer '${name}'`);
    const r = replace(out);
    if (outer) for (const t of new Set([out, r])) adopt(outer, t);
    return r;
  };
}

function layerName(layer: LayerRef): string {
  return typeof layer === 'string' ? layer : layer.constructor.name;
}

/** The layer's output for a batch, without grad. */
export function layerActivation(model: ModelLike, input: Tensor, layer: LayerRef): Tensor {
  const op = 'layerActivation';
  const m = resolveLayer(op, model, layer);
  const f = forwardOf(op, model);
  return scope(() => {
    let act: Tensor | null = null;
    noGrad(() => withPatchedForwards(new Map([[m, layerPatch(op, layerName(layer), (o) => (act = o))]]), () => f(input)));
    if (!act) throw new Error(`${op}: layer '${layerName(layer)}' did not run in the model's forward pass`);
    return act as Tensor;
  });
}

/**
 * The layer's output and d(Σ targeted outputs)/d(layer output): the forward continues from a copy
 * of the layer's output (or from `replaceWith`, when given) that is a leaf of the graph.
 */
function layerGrad(op: string, f: Forward, model: ModelLike, m: Module, name: string, input: Tensor, target: Target, replaceWith?: Tensor): { act: Tensor; grad: Tensor } {
  let act: Tensor | null = null, leaf: Tensor | null = null;
  const patch = layerPatch(op, name, (o) => {
    act = o;
    leaf = (replaceWith ?? o).detach().requiresGrad_(true);
    return leaf;
  });
  const root = enableGrad(() => withPatchedForwards(new Map([[m, patch]]), () => sum(selectTarget(op, f(input), target, input.shape[0]!))));
  if (!act || !leaf) throw new Error(`${op}: layer '${name}' did not run in the model's forward pass`);
  const l = leaf as Tensor;
  const grad = root.requiresGrad ? (runBackward(root, null, {}, [l]) as (Tensor | null)[])[0] ?? zerosLike(l) : zerosLike(l);
  return { act: act as Tensor, grad };
}

export interface GradCamOptions extends TargetOptions {
  /** the layer to explain, by name ('features.3') or the module; its output is [N, C, …spatial] */
  layer: LayerRef;
  /** relu of the map (the original Grad-CAM; Captum's default is false) */
  reluAttributions?: boolean;
  /** resize the map to the input's spatial size ('bilinear' default, 'nearest', 'linear' for 1-D) or keep the layer's ('none') */
  upsample?: InterpolateMode | 'none';
}

/**
 * Grad-CAM: the layer's channels weighted by their spatially averaged gradient and summed,
 * [N, 1, …] — which regions of the layer's feature map the target depends on — upsampled to the input.
 */
export function gradCam(model: ModelLike, input: Tensor, opts: GradCamOptions): Tensor {
  const op = 'gradCam';
  checkOptions(op, opts ?? {}, ['target', 'layer', 'reluAttributions', 'upsample']);
  const m = resolveLayer(op, model, opts?.layer);
  const up = opts.upsample ?? 'bilinear';
  if (up !== 'none' && !INTERPOLATE_MODES.includes(up)) throw new Error(`${op}: unknown upsample '${String(up)}' (none, ${INTERPOLATE_MODES.join(', ')})`);
  if (!(input && typeof input === 'object' && 'shape' in input)) throw new TypeError(`${op}: input must be a Tensor`);
  return scope(() => withFrozenParams(model, () => {
    const { act, grad } = layerGrad(op, forwardOf(op, model), model, m, layerName(opts.layer), input, opts.target);
    if (act.ndim < 2) throw new Error(`${op}: layer '${layerName(opts.layer)}' gives ${fmt(act.shape)}; Grad-CAM needs [N, C, …]`);
    const spatial = Array.from({ length: act.ndim - 2 }, (_, i) => i + 2);
    const weights = spatial.length ? mean(grad, spatial, true) : grad;
    let cam = sum(mul(weights, act), 1, true);
    if (opts.reluAttributions) cam = relu(cam);
    if (up === 'none' || !spatial.length) return cam;
    if (input.ndim !== act.ndim) {
      throw new Error(`${op}: cannot upsample the layer's ${fmt(act.shape)} map to an input ${fmt(input.shape)}; pass {upsample: 'none'}`);
    }
    const mode: InterpolateMode = up === 'nearest' ? 'nearest' : spatial.length === 1 ? 'linear' : 'bilinear';
    return interpolate(cam, input.shape.slice(2), mode);
  }));
}

export interface LayerGradientXActivationOptions extends TargetOptions {
  /** the layer to explain, by name ('features.3') or the module */
  layer: LayerRef;
  /** multiply the gradient by the activation (default true; false: the layer gradient alone) */
  multiplyByInputs?: boolean;
}

/**
 * Captum's LayerGradientXActivation: the layer's output times the gradient of the target with
 * respect to it, element by element — [N, …] like the layer's output, adding up (over every element)
 * to the first-order change of the target when the layer's output is taken to zero.
 */
export function layerGradientXActivation(model: ModelLike, input: Tensor, opts: LayerGradientXActivationOptions): Tensor {
  const op = 'layerGradientXActivation';
  checkOptions(op, opts ?? {}, ['target', 'layer', 'multiplyByInputs']);
  const m = resolveLayer(op, model, opts?.layer);
  if (!(input && typeof input === 'object' && 'shape' in input)) throw new TypeError(`${op}: input must be a Tensor`);
  return scope(() => withFrozenParams(model, () => {
    const { act, grad } = layerGrad(op, forwardOf(op, model), model, m, layerName(opts.layer), input, opts.target);
    return opts.multiplyByInputs === false ? grad : mul(grad, act);
  }));
}

/**
 * HiResCAM (Draelos & Carin, 2020): like Grad-CAM, but each position's channels are weighted by
 * that position's own gradient instead of the spatial mean — Σ_c ∂y/∂A_c ⊙ A_c, [N, 1, …], relu'd
 * on request and upsampled, with gradCam's options and defaults. For a model that ends in global average pooling and a
 * linear layer the two are equal; for one that flattens the feature map into dense layers, Grad-CAM's
 * mean can credit places the model does not use, HiResCAM's map adds up to the first-order change of
 * the target (see docs/notes/explain.md).
 */
export function hiResCam(model: ModelLike, input: Tensor, opts: GradCamOptions): Tensor {
  const op = 'hiResCam';
  checkOptions(op, opts ?? {}, ['target', 'layer', 'reluAttributions', 'upsample']);
  const up = opts.upsample ?? 'bilinear';
  if (up !== 'none' && !INTERPOLATE_MODES.includes(up)) throw new Error(`${op}: unknown upsample '${String(up)}' (none, ${INTERPOLATE_MODES.join(', ')})`);
  return scope(() => {
    const gxa = layerGradientXActivation(model, input, { layer: opts.layer, target: opts.target });
    if (gxa.ndim < 3) throw new Error(`${op}: layer '${layerName(opts.layer)}' gives ${fmt(gxa.shape)}; HiResCAM needs [N, C, …spatial]`);
    let cam = sum(gxa, 1, true);
    if (opts.reluAttributions) cam = relu(cam);
    if (up === 'none') return cam;
    if (input.ndim !== cam.ndim) throw new Error(`${op}: cannot upsample the layer's ${fmt(cam.shape)} map to an input ${fmt(input.shape)}; pass {upsample: 'none'}`);
    const mode: InterpolateMode = up === 'nearest' ? 'nearest' : cam.ndim === 3 ? 'linear' : 'bilinear';
    return interpolate(cam, input.shape.slice(2), mode);
  });
}

export interface GuidedGradCamOptions extends TargetOptions {
  layer: LayerRef;
  /** how the Grad-CAM map is resized to the input (Captum's default 'nearest') */
  interpolateMode?: InterpolateMode;
}

/** Guided backpropagation ⊙ the (relu'd) Grad-CAM map resized to the input: fine detail where the layer looks. */
export function guidedGradCam(model: Module, input: Tensor, opts: GuidedGradCamOptions): Tensor {
  const op = 'guidedGradCam';
  checkOptions(op, opts ?? {}, ['target', 'layer', 'interpolateMode']);
  checkInput(op, input);
  const mode = opts.interpolateMode ?? 'nearest';
  return scope(() => {
    const cam = gradCam(model, input, { layer: opts.layer, target: opts.target, reluAttributions: true, upsample: 'none' });
    const camUp = interpolate(cam, input.shape.slice(2), mode);
    return mul(guidedBackprop(model, input, { target: opts.target }), camUp);
  });
}

export interface LayerIntegratedGradientsOptions extends TargetOptions {
  /** the layer whose output is attributed (for text models, the embedding) */
  layer: LayerRef;
  /** the reference input (default zeros; for token ids, e.g. the padding id) */
  baselines?: Baseline;
  nSteps?: number;
  method?: IgMethod;
  internalBatchSize?: number;
  multiplyByInputs?: boolean;
  returnConvergenceDelta?: boolean;
}

/**
 * Integrated gradients of the layer's output: the layer's output is moved along the straight path
 * from its value at the baseline to its value at the input while the rest of the model runs as
 * usual. Attributions have the layer output's shape (for an embedding [N, T, E]: sum the last dim
 * for one number per token); they add up to f(input) − f(baseline). Works for token-id inputs.
 */
export function layerIntegratedGradients(model: ModelLike, input: Tensor, opts: LayerIntegratedGradientsOptions & { returnConvergenceDelta: true }): WithDelta;
export function layerIntegratedGradients(model: ModelLike, input: Tensor, opts: LayerIntegratedGradientsOptions): Tensor;
export function layerIntegratedGradients(model: ModelLike, input: Tensor, opts: LayerIntegratedGradientsOptions): Tensor | WithDelta {
  const op = 'layerIntegratedGradients';
  checkOptions(op, opts ?? {}, ['target', 'layer', 'baselines', 'nSteps', 'method', 'internalBatchSize', 'multiplyByInputs', 'returnConvergenceDelta']);
  const m = resolveLayer(op, model, opts?.layer);
  if (!(input && typeof input === 'object' && 'shape' in input) || input.ndim < 1) throw new TypeError(`${op}: input must be a Tensor with a batch dimension`);
  const method = opts.method ?? 'gausslegendre';
  if (!IG_METHODS.includes(method)) throw new Error(`${op}: unknown method '${String(method)}' (methods: ${IG_METHODS.join(', ')})`);
  const q = quadrature(method, checkPositiveInt(op, 'nSteps', opts.nSteps ?? 50));
  const name = layerName(opts.layer);
  return scope(() => withFrozenParams(model, () => {
    const f = forwardOf(op, model);
    const b = baselineFor(op, input, opts.baselines);
    const actIn = layerActivation(model, input, m), actBase = layerActivation(model, b, m);
    const diff = sub(actIn, actBase);
    const n = input.shape[0]!;
    const pathGrad = pathIntegral(op, q.alphas, q.weights, n, opts.internalBatchSize, (alphas) => {
      const scaled = cat(alphas.map((a) => add(actBase, mul(diff, a))), 0);
      return layerGrad(op, f, model, m, name, tileRows(input, alphas.length), tileTarget(opts.target, alphas.length), scaled).grad;
    });
    const attributions = opts.multiplyByInputs === false ? pathGrad : mul(pathGrad, diff);
    if (!opts.returnConvergenceDelta) return attributions;
    const fx = noGrad(() => selectTarget(op, f(input), opts.target, n)), fb = noGrad(() => selectTarget(op, f(b), opts.target, n));
    return { attributions, delta: sub(sumPerExample(attributions), sub(fx, fb)) };
  }));
}

