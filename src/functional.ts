// nb.F — the functional forms of the network ops (like torch.nn.functional).

export { relu, sigmoid, tanh } from './ops/elementwise.js';
export { softmax, logSoftmax, leakyRelu, elu, gelu, silu, softplus, dropout } from './ops/activation.js';
export { linear, matmul } from './ops/linalg.js';
export { conv1d, conv2d, convTranspose2d, type ConvOptions, type ConvTransposeOptions } from './ops/conv.js';
export { maxPool1d, maxPool2d, maxPool2dWithIndices, avgPool1d, avgPool2d, adaptiveAvgPool2d, type MaxPoolOptions, type AvgPoolOptions } from './ops/pool.js';
export { embedding, oneHot } from './ops/indexing.js';
export { pad } from './ops/shape.js';
export {
  mseLoss, l1Loss, smoothL1Loss, huberLoss, crossEntropy, nllLoss, binaryCrossEntropy,
  binaryCrossEntropyWithLogits, klDiv, cosineEmbeddingLoss,
  type Reduction, type ReductionOptions, type NllOptions, type CrossEntropyOptions, type BceWithLogitsOptions,
} from './nn/loss.js';
export { ctcLoss, type CtcLossOptions, type Lengths } from './nn/ctc.js';
export {
  marginRankingLoss, hingeEmbeddingLoss, tripletMarginLoss, multiMarginLoss, multiLabelSoftMarginLoss,
  type MarginOptions, type TripletMarginOptions, type MultiMarginOptions, type MultiLabelSoftMarginOptions,
} from './nn/loss-margin.js';
export { poissonNllLoss, gaussianNllLoss, type PoissonNllOptions, type GaussianNllOptions } from './nn/loss-likelihood.js';
export { scaledDotProductAttention } from './nn/attention.js';
export {
  layerNorm, batchNorm, groupNorm, instanceNorm, normalize,
  type LayerNormFnOptions, type BatchNormFnOptions, type GroupNormFnOptions, type InstanceNormFnOptions, type NormalizeOptions,
} from './ops/norm-functional.js';
export { interpolate, type InterpolateOptions, type InterpolateMode } from './ops/interpolate.js';
export { unfold, fold, type UnfoldOptions } from './ops/unfold.js';
export { pixelShuffle, pixelUnshuffle } from './ops/pixel-shuffle.js';
export { cosineSimilarity, pairwiseDistance, type CosineSimilarityOptions, type PairwiseDistanceOptions } from './ops/distance.js';
export { embeddingBag, type EmbeddingBagOptions } from './ops/embedding-bag.js';
export { convTranspose1d } from './ops/conv.js';
export { conv3d, type Conv3dOptions } from './ops/conv3d.js';
export {
  prelu, hardtanh, relu6, hardswish, hardsigmoid, mish, logsigmoid, softmin, softsign, tanhshrink, softshrink,
  hardshrink, threshold, celu, selu, glu,
} from './ops/activation-extra.js';
