// nn.utils (like torch.nn.utils): rnn (padded and packed variable-length batches), weightNorm,
// spectralNorm and their removal.

export * as rnn from './packed.js';
export {
  weightNorm, removeWeightNorm, spectralNorm, removeSpectralNorm, type WeightNormOptions, type SpectralNormOptions,
} from './weight-norm.js';
