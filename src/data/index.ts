// nabla's data API: datasets, the DataLoader (seeded shuffle, step scopes, prefetch), collate and
// transforms. File formats and named data sets (src/data/formats, src/data/datasets) are exported beside it.

export {
  TensorDataset, Subset, MappedDataset, ArrayDataset, withTransform, randomSplit, randperm, isDataset, isArraySample,
  type Dataset, type IterableDataset, type ArraySample, type Column,
} from './dataset.js';
export { DataLoader, tensorsIn, type DataLoaderOptions, type DataLoaderState } from './loader.js';
export { BucketBatchSampler, type BatchSampler, type BucketBatchSamplerOptions } from './batch-sampler.js';
export { defaultCollate, type Collated } from './collate.js';
export * as transforms from './transforms.js';
export { parseKjv, formatKjv, splitKjv, KJV_BOOKS, KJV_SPLITS, KJV_COUNTS, type KjvChapter, type KjvSplitText } from './datasets/kjv.js';
export {
  parseDictIndex, parseDictEntry, decodeDictNumber, buildPairs, splitOfHeadword,
  type DictEntry, type IndexEntry, type TranslationPair, type FreedictSplit, type PairOptions,
} from './datasets/freedict.js';
export { trainTestSplit, kFold, stratifiedKFold, type SplitIndices } from './splits.js';
export * as tabular from './tabular/index.js';
