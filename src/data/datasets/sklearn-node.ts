// Healthcare tables from Debian's python3-sklearn data files: the Wisconsin diagnostic breast-cancer
// data (569 × 30, malignant/benign) and the diabetes progression data (442 × 10, raw units), plus any
// other CSV in that folder (iris, wine) — read, checked against their documented shapes, as RawTables.

import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { readRawCsv, type RawTable } from '../tabular/table.js';

export const SKLEARN_DATA_DIR = '/usr/lib/python3/dist-packages/sklearn/datasets/data';

/** The folder holding scikit-learn's data files: $NABLA_SKLEARN_DATA, else Debian's python3-sklearn. */
export function sklearnDataDir(): string {
  const dir = process.env.NABLA_SKLEARN_DATA ?? SKLEARN_DATA_DIR;
  if (!existsSync(dir)) {
    throw new Error(`scikit-learn's data files are not at ${dir}: install Debian's python3-sklearn (apt-get install python3-sklearn), or set NABLA_SKLEARN_DATA to a folder holding breast_cancer.csv and diabetes_data_raw.csv.gz`);
  }
  return dir;
}

function readText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${path}: not a valid gzip file: ${(e as Error).message}`, { cause: e });
    }
  }
  return bytes.toString('utf8');
}

function check(t: RawTable, path: string, rows: number, cols: number): RawTable {
  if (t.rows.length !== rows || t.columns.length !== cols) {
    throw new Error(`${path}: expected ${rows} rows of ${cols} columns, found ${t.rows.length} of ${t.columns.length} — not the file scikit-learn ships`);
  }
  for (let r = 0; r < t.rows.length; r++) {
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(Number(t.rows[r]![j]))) throw new Error(`${path}: line ${t.lines[r]}, column ${JSON.stringify(t.columns[j])}: ${JSON.stringify(t.rows[r]![j])} is not a number`);
    }
  }
  return t;
}

const CANCER_PARTS = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave points', 'symmetry', 'fractal dimension'];
/** scikit-learn's feature names: the mean, standard error and worst value of ten nucleus measurements. */
export const BREAST_CANCER_FEATURES: readonly string[] = [
  ...CANCER_PARTS.map((p) => `mean ${p}`), ...CANCER_PARTS.map((p) => `${p} error`), ...CANCER_PARTS.map((p) => `worst ${p}`),
];

/**
 * The Wisconsin diagnostic breast-cancer data: 30 features and the target 'diagnosis' (0 malignant,
 * 1 benign, as scikit-learn labels it), 212 malignant and 357 benign.
 */
export function breastCancer(dir = sklearnDataDir()): RawTable {
  const path = join(dir, 'breast_cancer.csv');
  const t = check(readRawCsv(readText(path), { name: path }), path, 569, 31);
  const benign = t.rows.filter((r) => r[30] === '1').length;
  if (benign !== 357 || t.rows.some((r) => r[30] !== '0' && r[30] !== '1')) throw new Error(`${path}: expected 357 benign (1) and 212 malignant (0) labels, found ${benign} benign`);
  return { ...t, columns: [...BREAST_CANCER_FEATURES, 'diagnosis'], classNames: { column: 'diagnosis', names: { 0: 'malignant', 1: 'benign' } }, note: undefined };
}

/** Column names of the diabetes data (age, sex, body-mass index, blood pressure, six blood serum measurements). */
export const DIABETES_FEATURES: readonly string[] = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];

/** The diabetes data in its original units: 10 baseline variables and 'progression' one year later (442 patients). */
export function diabetes(dir = sklearnDataDir()): RawTable {
  const xPath = join(dir, 'diabetes_data_raw.csv.gz'), yPath = join(dir, 'diabetes_target.csv.gz');
  const xRows = readText(xPath).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const yRows = readText(yPath).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (xRows.length !== 442 || yRows.length !== 442) throw new Error(`${xPath}: expected 442 patients in it and in diabetes_target.csv.gz, found ${xRows.length} and ${yRows.length}`);
  const rows = xRows.map((l, i) => {
    const f = l.split(/\s+/);
    if (f.length !== 10) throw new Error(`${xPath}: line ${i + 1} has ${f.length} values, expected 10`);
    return [...f, String(Number(yRows[i]))];
  });
  const t: RawTable = { name: xPath, columns: [...DIABETES_FEATURES, 'progression'], rows, lines: rows.map((_, i) => i + 1) };
  return check(t, xPath, 442, 11);
}

/** Any CSV of that folder by file name (e.g. 'iris.csv', 'wine_data.csv'), its header read as scikit-learn writes it. */
export function sklearnCsv(file: string, dir = sklearnDataDir()): RawTable {
  const path = join(dir, file);
  return readRawCsv(readText(path), { name: path });
}
