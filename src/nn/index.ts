// The `nn` namespace (like torch.nn): Module and containers, the layers, and `init`.

export { Module, Parameter, Sequential, ModuleList, ModuleDict, type StateDict, type LoadResult } from './module.js';
export type { RemovableHandle, ForwardHook, ForwardPreHook, FullBackwardHook } from './hooks.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Conv1d, Conv2d, ConvTranspose2d, type ConvLayerOptions, type ConvTransposeLayerOptions } from './layers/conv.js';
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, type MaxPoolLayerOptions, type AvgPoolLayerOptions } from './layers/pool.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormOptions, type LayerNormOptions, type GroupNormOptions } from './layers/norm.js';
export { Dropout, Dropout2d, type DropoutOptions } from './layers/dropout.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export { ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax } from './layers/activation.js';
export { Flatten, Unflatten, Identity } from './layers/shape.js';
export { ConvTranspose1d, type PaddingMode } from './layers/conv.js';
export { Conv3d, type Conv3dLayerOptions } from './layers/conv3d.js';
export {
  PReLU, Hardtanh, ReLU6, Hardswish, Hardsigmoid, Mish, LogSigmoid, Softmin, Softsign, Tanhshrink, Softshrink,
  Hardshrink, Threshold, CELU, SELU, GLU, type PReLUOptions,
} from './layers/activation-extra.js';
export * as utils from './utils.js';
export * as init from './init.js';

// Recurrent and attention layers, and the loss modules (like torch.nn).
export * from './rnn.js';
export { LSTMCell, type RNNCellOptions } from './rnn-cells.js';
export * from './attention.js';
export * from './loss-modules.js';
export { CTCLoss, type CtcLossOptions } from './ctc.js';
export * from './transformer.js';
export { InstanceNorm1d, InstanceNorm2d, type InstanceNormOptions } from './layers/instance-norm.js';
export { Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle, Unfold, Fold } from './layers/resample.js';
export { CosineSimilarity, PairwiseDistance } from './layers/distance.js';
export { EmbeddingBag, type EmbeddingBagLayerOptions } from './layers/embedding-bag.js';
