// A CSV as raw text cells (a header and rows of strings, each with its line number), the form that
// type inference, preprocessing and prediction on new rows all start from. Browser-safe.

import { parseCsvRows } from '../formats/csv.js';

export interface RawTable {
  /** where the table came from, for errors */
  name: string;
  columns: string[];
  rows: string[][];
  /** 1-based line of each row in the file */
  lines: number[];
  /** class names by label text for one column (scikit-learn's data files list them in the header) */
  classNames?: { column: string; names: Record<string, string> };
  /** how the header was read, when it was not a plain row of names */
  note?: string;
}

/** Texts that mean "missing" (as in csv.ts). */
export const MISSING_TEXTS: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '?'];
const missingSet = new Set(MISSING_TEXTS);
export const isMissingText = (s: string): boolean => missingSet.has(s.trim());

const INT_RE = /^[+-]?\d+$/;

/**
 * Parses CSV text into a RawTable. The header names the columns; scikit-learn's data files
 * (first row "n_samples,n_features,class names…") are recognised and their columns named
 * x0…x{F−1} and 'target', with the class names kept — a header of numbers is otherwise refused.
 */
export function readRawCsv(text: string, opts: { name?: string; delimiter?: string } = {}): RawTable {
  const name = opts.name ?? 'CSV';
  const parsed = parseCsvRows(text, opts.delimiter ?? ',', name);
  if (parsed.length === 0) throw new Error(`${name}: the file is empty`);
  const head = parsed[0]!.fields.map((f) => f.trim());
  const sk = sklearnHeader(head, parsed.slice(1).map((r) => r.fields.length));
  let columns: string[], body = parsed.slice(1), classNames: RawTable['classNames'], note: string | undefined;
  if (sk) {
    const second = parsed[1]?.fields.map((f) => f.trim()) ?? [];
    const namedRow = second.length === sk.features + 1 && second.every((f) => f !== '' && !Number.isFinite(Number(f)));
    columns = namedRow ? second : [...Array.from({ length: sk.features }, (_, j) => `x${j}`), 'target'];
    if (namedRow) body = parsed.slice(2);
    if (body.length !== sk.samples) throw new Error(`${name}: the header says ${sk.samples} samples, the file has ${body.length} rows`);
    const target = columns[columns.length - 1]!;
    if (sk.classes.length) classNames = { column: target, names: Object.fromEntries(sk.classes.map((c, i) => [String(i), c])) };
    note = `${name}: read as scikit-learn's data format (${sk.samples} samples, ${sk.features} features` +
      `${sk.classes.length ? `, classes ${sk.classes.join(', ')}` : ''}); columns ${namedRow ? 'named by its second row' : `x0…x${sk.features - 1} and '${target}'`}`;
  } else {
    if (head.length > 1 && head.every((f) => Number.isFinite(Number(f)) && f !== '')) {
      throw new Error(`${name}: the first row (${head.slice(0, 4).join(', ')}${head.length > 4 ? ', …' : ''}) is numbers, not column names; add a header row naming the columns`);
    }
    columns = head.map((c, j) => (c === '' ? `column ${j + 1}` : c));
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c)) throw new Error(`${name}: column name ${JSON.stringify(c)} appears twice in the header`);
      seen.add(c);
    }
  }
  const rows: string[][] = [], lines: number[] = [];
  for (const r of body) {
    if (r.fields.length !== columns.length) {
      throw new Error(`${name}: line ${r.line} has ${r.fields.length} fields but the header has ${columns.length} columns`);
    }
    rows.push(r.fields);
    lines.push(r.line);
  }
  if (rows.length === 0) throw new Error(`${name}: a header but no data rows`);
  return { name, columns, rows, lines, classNames, note };
}

/** scikit-learn's header "n_samples,n_features[,class names…]" (padded with empty fields), if it is one. */
function sklearnHeader(head: string[], widths: number[]): { samples: number; features: number; classes: string[] } | null {
  if (head.length < 2 || !INT_RE.test(head[0]!) || !INT_RE.test(head[1]!)) return null;
  const samples = Number(head[0]), features = Number(head[1]);
  if (samples < 1 || features < 1) return null;
  const rest = head.slice(2).filter((f) => f !== '');
  // Data rows hold the features and a target; a second header row of names may come first.
  const dataWidths = widths.slice(widths[0] === features + 1 ? 0 : 1);
  if (dataWidths.length < samples || dataWidths.some((w) => w !== features + 1)) return null;
  if (rest.some((f) => Number.isFinite(Number(f)))) return null;
  return { samples, features, classes: rest };
}

/** The index of a column, or an error listing the columns there are. */
export function columnIndex(t: RawTable, column: string, what = 'column'): number {
  const j = t.columns.indexOf(column);
  if (j < 0) throw new Error(`${t.name}: no ${what} ${JSON.stringify(column)} (columns: ${t.columns.join(', ')})`);
  return j;
}
