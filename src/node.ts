// nabla/node: the Node platform layer — files (safetensors, checkpoints, IDX/CSV/NPY/PNG) and
// data sets found on disk. The main entry (nabla) stays browser-safe.

export { saveFileAtomic, saveFileAtomicSync, loadSafetensorsFile, saveSafetensorsFile, saveCheckpoint, loadCheckpoint } from './io/node-files.js';
export { fashionMnist, fashionMnistSync, mnist, mnistSync, nablaCacheDir, type IdxDatasetOptions } from './data/datasets/fashion-mnist-node.js';
export { kjv, kjvFromBibleProgram, type KjvOptions, type KjvCorpus } from './data/datasets/kjv-node.js';
export { freedictDeuEng, readFreedictEntries, FREEDICT_DIR, type FreedictOptions, type FreedictCorpus } from './data/datasets/freedict-node.js';
export type { ImageDataset } from './data/datasets/fashion-mnist.js';
import { DATASET_SPECS } from './data/datasets/fashion-mnist-node.js';
/** The directory of the Fashion-MNIST sample shipped in the package (6,000 train / 1,000 test images). */
export const FASHION_MNIST_SAMPLE_DIR: string = DATASET_SPECS.fashionMnist.sampleDir!;
export { readIdxFile, writeIdxFile } from './data/formats/idx-node.js';
export { readCsvFile, readNpyFile, writeNpyFile } from './data/formats/formats-node.js';
export { readPngFile, decodePng } from './data/formats/png-node.js';
export { encodePng, writePngFile } from './explain/heatmap-node.js';
export { exportModelFile, importModelFile } from './io/onnx/node.js';
// nb.onnx is on the main entry; it is here too, so `import { onnx } from 'nabla/node'` keeps working.
export * as onnx from './io/onnx/index.js';
export { spokenDigits, espeakVariants, ACCENTS, type SpokenDigitsOptions } from './data/datasets/spoken-digits-node.js';
export { readWav } from './data/audio/wav-node.js';
// Speech lives here and in nabla/speech, not in the main entry: fft.js and wavefile are CommonJS, which a
// page importing dist/ without a bundler cannot load (bundlers can: import 'nabla/speech').
export * as speech from './speech/index.js';

import { loadSafetensorsFile, saveSafetensorsFile } from './io/node-files.js';
import { toRecords, fromRecords } from './io/tensors.js';
import type { Tensor } from './tensor/tensor.js';

/** Saves a state dict (e.g. model.stateDict()) as a safetensors file, atomically. */
export async function save(path: string, stateDict: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  await saveSafetensorsFile(path, toRecords(stateDict), metadata);
}

/** Loads a safetensors file as tensors (for model.loadStateDict). */
export async function load(path: string): Promise<Record<string, Tensor>> {
  return fromRecords((await loadSafetensorsFile(path)).tensors);
}
export { breastCancer, diabetes, sklearnCsv, sklearnDataDir, SKLEARN_DATA_DIR, BREAST_CANCER_FEATURES, DIABETES_FEATURES } from './data/datasets/sklearn-node.js';
export { rExportedCsv, rCacheDir, type RExport } from './data/datasets/r-export-node.js';
export { movielens, type MovieLens } from './data/datasets/movielens-node.js';
export { euStocks, EU_STOCK_INDICES, type EuStocks } from './data/datasets/eu-stocks-node.js';
export { imageFolder, readImageFile, IMAGE_EXTENSIONS, type ImageFolder, type ImageFolderOptions } from './data/datasets/image-folder-node.js';
export { readRawCsvFile } from './data/tabular/table-node.js';
