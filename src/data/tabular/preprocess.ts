// Turning table rows into model inputs with statistics from the training rows only: numeric columns
// standardised, categorical columns as one-hot blocks or embedding indices, missing values imputed
// on request, the target as class indices or a standardised number. The fitted Preprocessor is plain
// JSON, saved in the checkpoint, so prediction on raw rows repeats exactly what training did.

import { canonical, distinctValues, type TabularSpec, type TabularTask } from './schema.js';
import { columnIndex, isMissingText, type RawTable } from './table.js';

export type Encoding = 'onehot' | 'embedding';
export type Impute = 'none' | 'mean' | 'median';

export interface NumericStats { name: string; mean: number; std: number; fill: number }
/** levels[0] is reserved for values not seen in training (a zero one-hot block, or embedding row 0). */
export interface CategoricalStats { name: string; levels: string[]; fill: string }

export interface Preprocessor {
  format: 'nabla-tabular/1';
  target: string;
  task: TabularTask;
  encoding: Encoding;
  impute: Impute;
  numeric: NumericStats[];
  categorical: CategoricalStats[];
  /** classification: the class texts, index = label */
  classes?: string[];
  /** classification: display names of the classes (scikit-learn's files name them) */
  classNames?: string[];
  /** regression: the target's training mean and standard deviation */
  targetMean?: number;
  targetStd?: number;
}

const UNSEEN = '<unseen>';

/** Fits the preprocessing on the training rows (indices into t.rows). */
export function fitPreprocessor(t: RawTable, spec: TabularSpec, trainRows: readonly number[], opts: { encoding?: Encoding; impute?: Impute } = {}): Preprocessor {
  if (trainRows.length === 0) throw new Error(`${t.name}: no training rows to fit the preprocessing on`);
  const impute = opts.impute ?? 'none';
  const numeric: NumericStats[] = [], categorical: CategoricalStats[] = [];
  for (const c of spec.columns) {
    const j = columnIndex(t, c.name);
    if (c.kind === 'numeric') {
      const v: number[] = [];
      for (const r of trainRows) { const s = t.rows[r]![j]!; if (!isMissingText(s)) v.push(Number(s)); }
      if (v.length === 0) throw new Error(`${t.name}: column ${JSON.stringify(c.name)} has no values in the training rows`);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      const sorted = v.slice().sort((a, b) => a - b);
      const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
      // A constant column standardises to 0 rather than dividing by zero.
      numeric.push({ name: c.name, mean, std: std > 1e-12 ? std : 1, fill: impute === 'median' ? median : mean });
    } else if (c.kind === 'categorical') {
      const counts = distinctValues(t, j, trainRows);
      if (counts.size === 0) throw new Error(`${t.name}: column ${JSON.stringify(c.name)} has no values in the training rows`);
      const levels = [...counts.keys()].sort();
      const mode = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
      categorical.push({ name: c.name, levels: [UNSEEN, ...levels], fill: mode });
    }
  }
  const tj = columnIndex(t, spec.target, 'target column');
  const pp: Preprocessor = { format: 'nabla-tabular/1', target: spec.target, task: spec.task, encoding: opts.encoding ?? 'onehot', impute, numeric, categorical };
  if (spec.task === 'classification') {
    // Every class in the file (not only the training rows), so a label index means the same in every fold.
    const keys = [...distinctValues(t, tj).keys()];
    const numericKeys = keys.every((k) => Number.isFinite(Number(k)));
    pp.classes = keys.sort(numericKeys ? (a, b) => Number(a) - Number(b) : undefined);
    const names = t.classNames?.column === spec.target ? t.classNames.names : null;
    if (names) pp.classNames = pp.classes.map((k) => names[k] ?? k);
  } else {
    const v = trainRows.map((r) => t.rows[r]![tj]!).filter((s) => !isMissingText(s)).map(Number);
    if (v.some((x) => !Number.isFinite(x))) throw new Error(`${t.name}: a regression target must be numbers; column ${JSON.stringify(spec.target)} is not`);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    pp.targetMean = mean;
    pp.targetStd = std > 1e-12 ? std : 1;
  }
  return pp;
}

/** Input width: numeric columns, then one block per categorical (its levels, or one index column). */
export function featureWidth(pp: Preprocessor): number {
  return pp.numeric.length + (pp.encoding === 'onehot' ? pp.categorical.reduce((a, c) => a + c.levels.length, 0) : pp.categorical.length);
}

/** Feature names in input order (one-hot columns as "column=level"). */
export function featureNames(pp: Preprocessor): string[] {
  const names = pp.numeric.map((c) => c.name);
  for (const c of pp.categorical) {
    if (pp.encoding === 'onehot') names.push(...c.levels.map((l) => `${c.name}=${l}`));
    else names.push(c.name);
  }
  return names;
}

export interface Encoded {
  /** [n, featureWidth] row-major */
  x: Float32Array;
  n: number;
  width: number;
  /** labels (classification) or standardised targets (regression); absent when the rows have no target */
  y?: Int32Array | Float32Array;
  /** per row: categorical values never seen in training, as "column=value" */
  unseen: string[][];
}

/**
 * Encodes rows of a table that has (at least) the preprocessor's columns, in any order. A missing
 * value is an error naming the line and column unless the preprocessor imputes; the target is read
 * when the table has that column.
 */
export function transformRows(pp: Preprocessor, t: RawTable, rows?: readonly number[]): Encoded {
  const idx = rows ?? t.rows.map((_, r) => r);
  const n = idx.length, width = featureWidth(pp);
  const x = new Float32Array(n * width);
  const numJ = pp.numeric.map((c) => columnIndex(t, c.name, 'column (the model was trained with it)'));
  const catJ = pp.categorical.map((c) => columnIndex(t, c.name, 'column (the model was trained with it)'));
  const levelMaps = pp.categorical.map((c) => new Map(c.levels.map((l, i) => [l, i])));
  const tj = t.columns.indexOf(pp.target);
  const classMap = pp.classes ? new Map(pp.classes.map((c, i) => [c, i])) : null;
  const y = tj < 0 ? undefined : classMap ? new Int32Array(n) : new Float32Array(n);
  const unseen: string[][] = [];
  const missing = (r: number, col: string): never => {
    throw new Error(`${t.name}: line ${t.lines[r]}, column ${JSON.stringify(col)}: missing value (impute with --impute mean|median, or fix the file)`);
  };
  idx.forEach((r, i) => {
    const row = t.rows[r]!;
    if (!row) throw new RangeError(`${t.name}: row ${r} does not exist (${t.rows.length} rows)`);
    const base = i * width;
    pp.numeric.forEach((c, k) => {
      const s = row[numJ[k]!]!;
      let v: number;
      if (isMissingText(s)) {
        if (pp.impute === 'none') missing(r, c.name);
        v = c.fill;
      } else {
        v = Number(s);
        if (!Number.isFinite(v)) throw new Error(`${t.name}: line ${t.lines[r]}, column ${JSON.stringify(c.name)}: ${JSON.stringify(s)} is not a number`);
      }
      x[base + k] = (v - c.mean) / c.std;
    });
    let off = pp.numeric.length;
    const odd: string[] = [];
    pp.categorical.forEach((c, k) => {
      const s = row[catJ[k]!]!;
      let key: string;
      if (isMissingText(s)) {
        if (pp.impute === 'none') missing(r, c.name);
        key = c.fill;
      } else key = canonical(s);
      let level = levelMaps[k]!.get(key);
      if (level === undefined || level === 0) { level = 0; odd.push(`${c.name}=${s.trim()}`); }
      if (pp.encoding === 'onehot') {
        if (level > 0) x[base + off + level] = 1;
        off += c.levels.length;
      } else {
        x[base + off] = level;
        off += 1;
      }
    });
    unseen.push(odd);
    if (y) {
      const s = row[tj]!;
      if (isMissingText(s)) throw new Error(`${t.name}: line ${t.lines[r]}: the target ${JSON.stringify(pp.target)} is missing`);
      if (classMap) {
        const label = classMap.get(canonical(s));
        if (label === undefined) throw new Error(`${t.name}: line ${t.lines[r]}: class ${JSON.stringify(s)} of ${JSON.stringify(pp.target)} was not in the training data (classes: ${pp.classes!.join(', ')})`);
        y[i] = label;
      } else {
        y[i] = (Number(s) - pp.targetMean!) / pp.targetStd!;
      }
    }
  });
  return { x, n, width, y, unseen };
}

/** Class weights n / (classes · count) from training labels ("balanced", as scikit-learn); absent classes get 0. */
export function balancedClassWeights(labels: ArrayLike<number>, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]++;
  const w = new Float32Array(classes);
  for (let c = 0; c < classes; c++) w[c] = counts[c]! > 0 ? labels.length / (classes * counts[c]!) : 0;
  return w;
}

/** Checks a Preprocessor read back from a checkpoint (it is data from a file). */
export function checkPreprocessor(v: unknown, where: string): Preprocessor {
  const p = v as Preprocessor;
  const bad = (what: string): never => { throw new Error(`${where}: the saved preprocessing is invalid (${what})`); };
  if (!p || typeof p !== 'object' || p.format !== 'nabla-tabular/1') bad(`format ${JSON.stringify((p as { format?: unknown } | null)?.format)}, expected nabla-tabular/1`);
  if (p.task !== 'classification' && p.task !== 'regression') bad(`task ${String(p.task)}`);
  if (p.encoding !== 'onehot' && p.encoding !== 'embedding') bad(`encoding ${String(p.encoding)}`);
  if (!Array.isArray(p.numeric) || !Array.isArray(p.categorical)) bad('columns');
  for (const c of p.numeric) if (typeof c.name !== 'string' || ![c.mean, c.std, c.fill].every(Number.isFinite)) bad(`numeric column ${JSON.stringify(c?.name)}`);
  for (const c of p.categorical) if (typeof c.name !== 'string' || !Array.isArray(c.levels) || c.levels[0] !== UNSEEN) bad(`categorical column ${JSON.stringify(c?.name)}`);
  if (p.task === 'classification' && (!Array.isArray(p.classes) || p.classes.length < 2)) bad('classes');
  if (p.task === 'regression' && !(Number.isFinite(p.targetMean) && Number.isFinite(p.targetStd))) bad('target statistics');
  return p;
}
