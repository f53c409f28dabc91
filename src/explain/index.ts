// nb.explain — attributions for any model (Captum's methods in camelCase): which inputs, pixels,
// tokens or features a prediction depends on, by gradients, perturbations or a layer's activations.

export type { Baseline, Forward, ModelLike, Target, TargetOptions } from './common.js';
export type { LayerRef } from './hooks.js';
export {
  saliency, inputXGradient, integratedGradients, inputBaselineXGradient, gradientShap,
  type SaliencyOptions, type IntegratedGradientsOptions, type InputBaselineXGradientOptions, type GradientShapOptions, type WithDelta,
} from './gradient.js';
export { smoothGrad, NT_TYPES, type SmoothGradOptions, type NtType, type AttributionMethod } from './noise-tunnel.js';
export { guidedBackprop, deconvolution, deepLift, type DeepLiftOptions } from './modified-grad.js';
export {
  featureAblation, occlusion, shapleyValueSampling, shapleyValues,
  type FeatureAblationOptions, type OcclusionOptions, type ShapleyOptions, type ShapleyValueSamplingOptions,
} from './perturbation.js';
export {
  gradCam, guidedGradCam, hiResCam, layerGradientXActivation, layerIntegratedGradients, layerActivation,
  type GradCamOptions, type GuidedGradCamOptions, type LayerGradientXActivationOptions, type LayerIntegratedGradientsOptions,
} from './layer.js';
export { interpolate, type InterpolateMode } from './interpolate.js';
export { quadrature, gaussLegendre, IG_METHODS, type IgMethod, type Quadrature } from './quadrature.js';
export { deletionCurve, spearman, topAttributions, type DeletionOptions, type DeletionResult } from './evaluate.js';
export { heatmapOverlay, greyImage, sideBySide, pixelMap, percentileAbs, type HeatmapOptions, type HeatmapSign, type RgbaImage } from './heatmap.js';
export { imagePanelsHtml, featureBarsSvg, tokensHtml, type ImagePanelRow } from './html.js';
export { METHOD_NAMES, METHOD_TITLES, runMethod, lastSpatialLayer, hasSpatialLayer, defaultImageMethods, panels, heatmapSign, type MethodName, type RunOptions } from './registry.js';
