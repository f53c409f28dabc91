// The methods by their command-line names ('integrated-gradients', 'grad-cam', …) with defaults
// that suit a trained classifier, the layer Grad-CAM looks at when none is named, and picture
// panels (input | heatmap per method) — what `nabla explain` and report.html build on.

import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../autograd/graph.js';
import { scope } from '../tensor/memory.js';
import type { ModelLike, Target } from './common.js';
import { forwardOf } from './common.js';
import { withPatchedForwards, type Patch } from './hooks.js';
import { gradientShap, inputXGradient, integratedGradients, saliency } from './gradient.js';
import { smoothGrad } from './noise-tunnel.js';
import { deepLift, guidedBackprop } from './modified-grad.js';
import { featureAblation, occlusion, shapleyValueSampling } from './perturbation.js';
import { gradCam, guidedGradCam, hiResCam } from './layer.js';
import { greyImage, heatmapOverlay, type HeatmapSign, type RgbaImage } from './heatmap.js';

export const METHOD_NAMES = [
  'saliency', 'input-x-gradient', 'integrated-gradients', 'smooth-grad', 'gradient-shap', 'guided-backprop', 'deep-lift',
  'occlusion', 'feature-ablation', 'shapley', 'grad-cam', 'guided-grad-cam', 'hires-cam',
] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** What every method of the registry may use. */
export interface RunOptions {
  target: Target;
  /**
   * the reference input: a number for every feature (for images, a black pixel as the model sees
   * it) or a tensor of one sample's or the batch's shape (for a table, the typical training row)
   */
  baseline?: number | Tensor;
  /** feature ablation and Shapley values: elements sharing an int32 id are removed together (a table column's one-hot block) */
  featureMask?: Tensor;
  /** Grad-CAM's layer (default: the last layer with a spatial output) */
  layer?: string;
  /** seeds the random methods (default 0, so a command gives the same picture twice) */
  seed?: number;
}

/** Human-readable titles. */
export const METHOD_TITLES: Record<MethodName, string> = {
  'saliency': 'saliency', 'input-x-gradient': 'input × gradient', 'integrated-gradients': 'integrated gradients',
  'smooth-grad': 'SmoothGrad', 'gradient-shap': 'GradientSHAP', 'guided-backprop': 'guided backprop', 'deep-lift': 'DeepLift',
  'occlusion': 'occlusion', 'feature-ablation': 'feature ablation', 'shapley': 'Shapley values', 'grad-cam': 'Grad-CAM',
  'guided-grad-cam': 'guided Grad-CAM', 'hires-cam': 'HiResCAM',
};

/** Methods whose maps are signed (shown blue–red); the others are magnitudes. */
const SIGNED = new Set<MethodName>(['input-x-gradient', 'integrated-gradients', 'gradient-shap', 'deep-lift', 'occlusion', 'feature-ablation', 'shapley']);

export function heatmapSign(m: MethodName): HeatmapSign {
  return SIGNED.has(m) ? 'all' : 'absolute';
}

/** Runs a method by name on a batch; attributions shaped like the input. */
export function runMethod(name: string, model: ModelLike, x: Tensor, o: RunOptions): Tensor {
  if (!(METHOD_NAMES as readonly string[]).includes(name)) throw new Error(`explain: unknown method '${name}' (methods: ${METHOD_NAMES.join(', ')})`);
  const b = o.baseline ?? 0, target = o.target, seed = o.seed ?? 0, featureMask = o.featureMask;
  if (featureMask !== undefined && name !== 'feature-ablation' && name !== 'shapley') throw new Error(`explain: featureMask is for feature-ablation and shapley, not ${name}`);
  const spatial = x.ndim >= 3;
  const layer = (): string => o.layer ?? lastSpatialLayer(model, x);
  switch (name as MethodName) {
    case 'saliency': return saliency(model, x, { target });
    case 'input-x-gradient': return inputXGradient(model, x, { target });
    case 'integrated-gradients': return integratedGradients(model, x, { target, baselines: b });
    case 'smooth-grad': return smoothGrad(model, x, { target, nSamples: 20, stdevs: 0.15 * range(x), seed });
    case 'gradient-shap': return scope(() => gradientShap(model, x, { target, baselines: x.mul(0).add(b).narrow(0, 0, 1), nSamples: 20, stdevs: 0.1 * range(x), seed }));
    case 'guided-backprop': return guidedBackprop(asModule(name, model), x, { target });
    case 'deep-lift': return deepLift(asModule(name, model), x, { target, baselines: b });
    case 'occlusion': {
      const win = spatial ? [x.shape[1]!, ...x.shape.slice(2).map((d) => Math.max(1, Math.round(d / 7)))] : x.shape.slice(1).map(() => 1);
      const strides = spatial ? [x.shape[1]!, ...win.slice(1).map((w) => Math.max(1, Math.floor(w / 2)))] : 1;
      return occlusion(model, x, { target, slidingWindowShapes: win, strides, baselines: b, perturbationsPerEval: 16 });
    }
    case 'feature-ablation': return featureAblation(model, x, { target, baselines: b, featureMask, perturbationsPerEval: 16 });
    case 'shapley': return shapleyValueSampling(model, x, { target, baselines: b, featureMask, nSamples: 25, perturbationsPerEval: 16, seed });
    case 'grad-cam': return gradCam(model, x, { target, layer: layer(), reluAttributions: true });
    case 'guided-grad-cam': return guidedGradCam(asModule(name, model), x, { target, layer: layer() });
    case 'hires-cam': return hiResCam(model, x, { target, layer: layer(), reluAttributions: true });
  }
}

function asModule(name: string, model: ModelLike): Module {
  if (!(model instanceof Module)) throw new Error(`explain: ${name} needs the model as an nn.Module`);
  return model;
}

function range(x: Tensor): number {
  return noGrad(() => scope(() => x.amax().item() - x.amin().item())) || 1;
}

/**
 * The name of the last module (not a pooling or dropout layer) whose output is [N, C, H, W] (or
 * [N, C, L]) with more than one position: the last convolution's activation, Grad-CAM's usual layer.
 */
export function lastSpatialLayer(model: ModelLike, x: Tensor): string {
  if (!(model instanceof Module)) throw new Error('explain: name the layer for Grad-CAM (the model is a function, so its layers cannot be listed)');
  const f = forwardOf('grad-cam', model);
  let last: string | null = null;
  const patches = new Map<Module, Patch>();
  for (const [name, m] of model.namedModules()) {
    if (name === '' || [...m.namedChildren()].length || /Pool|Dropout/.test(m.constructor.name)) continue;
    patches.set(m, (orig, args) => {
      const out = orig(...args) as Tensor;
      if (out && typeof out === 'object' && 'shape' in out && out.ndim >= 3 && out.shape.slice(2).reduce((a, d) => a * d, 1) > 1) last = name;
      return out;
    });
  }
  scope(() => noGrad(() => withPatchedForwards(patches, () => f(x.narrow(0, 0, 1)))));
  if (!last) throw new Error('explain: the model has no layer with a spatial output ([N, C, H, W]) for Grad-CAM; name one with layer');
  return last;
}

/** Whether Grad-CAM has a layer to look at without being told one (a conv net, not an MLP). */
export function hasSpatialLayer(model: ModelLike, x: Tensor): boolean {
  if (!(model instanceof Module)) return false;
  try {
    lastSpatialLayer(model, x);
    return true;
  } catch {
    return false;
  }
}

/** The methods a picture of an image classifier shows by default: Grad-CAM where it applies, else saliency, and integrated gradients. */
export function defaultImageMethods(model: ModelLike, x: Tensor): MethodName[] {
  return hasSpatialLayer(model, x) ? ['grad-cam', 'integrated-gradients'] : ['saliency', 'integrated-gradients'];
}

/**
 * For each example a row of pictures: the input in grey, then each method's heatmap over it.
 * `display` holds the images as they should look ([N, C, H, W] in [0, 1]); `attributions` maps a
 * method to its [N, C, H, W] (or [N, 1, H, W]) result.
 */
export function panels(display: Tensor, attributions: ReadonlyMap<MethodName, Tensor>, scale = 4): RgbaImage[][] {
  const n = display.shape[0]!;
  return Array.from({ length: n }, (_, i) => scope(() => {
    const img = display.select(0, i);
    return [greyImage(img, scale), ...[...attributions].map(([m, a]) => heatmapOverlay(img, a.select(0, i), { sign: heatmapSign(m), scale }))];
  }));
}
