// nabla's data API: datasets, the DataLoader (seeded shuffle, step scopes, prefetch), collate and
// transforms. File formats and named data sets (src/data/formats, src/data/datasets) are exported beside it.

export {
  TensorDataset, Subset, MappedDataset, ArrayDataset, withTransform, randomSplit, randperm, isDataset, isArraySample,
  type Dataset, type IterableDataset, type ArraySample, type Column,
} from './dataset.js';
export { DataLoader, tensorsIn, type DataLoaderOptions, type DataLoaderState } from './loader.js';
export { defaultCollate, type Collated } from './collate.js';
export * as transforms from './transforms.js';
export { trainTestSplit, kFold, stratifiedKFold, type SplitIndices } from './splits.js';
export * as tabular from './tabular/index.js';
