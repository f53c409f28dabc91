// nb.data.tabular: tables from CSV text, column kinds and the task, missing-value reports, and the
// preprocessing (fitted on training rows, saved as JSON) that turns rows into model inputs.

export { readRawCsv, columnIndex, isMissingText, MISSING_TEXTS, type RawTable } from './table.js';
export { inferSpec, findMissing, describeMissing, distinctValues, type ColumnKind, type ColumnSpec, type TabularSpec, type TabularTask, type SpecOptions, type MissingReport } from './schema.js';
export {
  fitPreprocessor, transformRows, featureWidth, featureNames, balancedClassWeights, checkPreprocessor,
  type Preprocessor, type Encoded, type Encoding, type Impute, type NumericStats, type CategoricalStats,
} from './preprocess.js';
