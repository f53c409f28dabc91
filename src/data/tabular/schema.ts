// What each column of a table is: the target, numeric or categorical features, or ignored — inferred
// from the cells and overridable by name — whether the task is classification or regression, and
// which cells are missing (reported by line and column).

import { columnIndex, isMissingText, type RawTable } from './table.js';

export type ColumnKind = 'numeric' | 'categorical' | 'ignore';
export type TabularTask = 'classification' | 'regression';

export interface ColumnSpec { name: string; kind: ColumnKind; /** why it was given this kind */ why: string }

export interface TabularSpec {
  target: string;
  task: TabularTask;
  /** the feature columns (the target is not among them) */
  columns: ColumnSpec[];
}

export interface SpecOptions {
  target: string;
  task?: TabularTask;
  categorical?: readonly string[];
  numeric?: readonly string[];
  ignore?: readonly string[];
}

const isNumberText = (s: string): boolean => {
  const t = s.trim();
  return t !== '' && Number.isFinite(Number(t));
};

/** Distinct non-missing texts of column j (numbers compared by value: "1.0" and "1" are one). */
export function distinctValues(t: RawTable, j: number, rows?: readonly number[]): Map<string, number> {
  const seen = new Map<string, number>();
  const take = (r: number): void => {
    const s = t.rows[r]![j]!;
    if (isMissingText(s)) return;
    const k = canonical(s);
    seen.set(k, (seen.get(k) ?? 0) + 1);
  };
  if (rows) for (const r of rows) take(r);
  else for (let r = 0; r < t.rows.length; r++) take(r);
  return seen;
}

/** A cell's text as a category key: numbers by value, text trimmed. */
export function canonical(s: string): string {
  const t = s.trim();
  return isNumberText(t) ? String(Number(t)) : t;
}

function inferKind(t: RawTable, j: number): { kind: ColumnKind; why: string } {
  let present = 0, numeric = 0;
  const n = t.rows.length;
  for (let r = 0; r < n; r++) {
    const s = t.rows[r]![j]!;
    if (isMissingText(s)) continue;
    present++;
    if (isNumberText(s)) numeric++;
  }
  if (present === 0) return { kind: 'ignore', why: 'every value is missing' };
  const distinct = distinctValues(t, j).size;
  if (numeric === present) {
    if (distinct === 1) return { kind: 'ignore', why: 'one value throughout' };
    // R's write.csv and pandas' to_csv write the row number as an unnamed first column.
    if (j === 0 && t.rows.every((row, r) => row[0]!.trim() === String(r + 1) || row[0]!.trim() === String(r))) {
      return { kind: 'ignore', why: 'row numbers 1…n (or 0…n−1)' };
    }
    return { kind: 'numeric', why: 'all values are numbers' };
  }
  if (numeric > 0 && numeric >= present * 0.9) {
    throw new Error(`${t.name}: column ${JSON.stringify(t.columns[j])} is numbers except ${present - numeric} cell(s) such as ${JSON.stringify(firstNonNumber(t, j))} on line ${t.lines[firstNonNumberRow(t, j)]}; fix them, mark them missing, or name the column in --categorical`);
  }
  if (distinct === 1) return { kind: 'ignore', why: 'one value throughout' };
  if (distinct === present && present > 20) return { kind: 'ignore', why: 'every value differs (an identifier or free text)' };
  return { kind: 'categorical', why: `text with ${distinct} distinct values` };
}

function firstNonNumberRow(t: RawTable, j: number): number {
  return t.rows.findIndex((row) => !isMissingText(row[j]!) && !isNumberText(row[j]!));
}
function firstNonNumber(t: RawTable, j: number): string {
  return t.rows[firstNonNumberRow(t, j)]![j]!;
}

/** Infers the spec: column kinds (overrides win), and the task from the target's values. */
export function inferSpec(t: RawTable, opts: SpecOptions): TabularSpec {
  const tj = columnIndex(t, opts.target, 'target column');
  const override = new Map<string, ColumnKind>();
  for (const [kind, names] of [['categorical', opts.categorical], ['numeric', opts.numeric], ['ignore', opts.ignore]] as const) {
    for (const c of names ?? []) {
      columnIndex(t, c);
      if (c === opts.target) throw new Error(`${t.name}: ${JSON.stringify(c)} is the target; it cannot also be ${kind}`);
      if (override.has(c)) throw new Error(`${t.name}: column ${JSON.stringify(c)} is named as both ${override.get(c)} and ${kind}`);
      override.set(c, kind);
    }
  }
  const columns: ColumnSpec[] = [];
  t.columns.forEach((name, j) => {
    if (j === tj) return;
    const o = override.get(name);
    if (o === 'numeric') {
      const bad = firstNonNumberRow(t, j);
      if (bad >= 0) throw new Error(`${t.name}: column ${JSON.stringify(name)} is declared numeric but line ${t.lines[bad]} holds ${JSON.stringify(t.rows[bad]![j])}`);
    }
    columns.push(o ? { name, kind: o, why: 'as you said' } : { name, ...inferKind(t, j) });
  });
  if (!columns.some((c) => c.kind !== 'ignore')) throw new Error(`${t.name}: no feature columns left to learn from (${columns.map((c) => `${c.name}: ${c.why}`).join('; ')})`);
  return { target: opts.target, task: opts.task ?? inferTask(t, tj), columns };
}

/** Text or bool targets, and whole numbers with few distinct values, are classes; other numbers regression. */
function inferTask(t: RawTable, tj: number): TabularTask {
  const values = [...distinctValues(t, tj).keys()];
  if (values.length < 2) throw new Error(`${t.name}: the target ${JSON.stringify(t.columns[tj])} has ${values.length} distinct value(s); nothing to learn`);
  if (!values.every(isNumberText)) return 'classification';
  const ints = values.every((v) => Number.isInteger(Number(v)));
  return ints && values.length <= Math.max(2, Math.min(20, Math.ceil(t.rows.length / 10))) ? 'classification' : 'regression';
}

export interface MissingReport {
  /** every missing feature cell: 1-based file line, 0-based row, column */
  cells: { line: number; row: number; column: string }[];
  /** missing cells per column (only columns with some) */
  byColumn: Record<string, number>;
  /** rows (0-based) whose target is missing: they cannot be used */
  targetMissingRows: number[];
}

/** The missing cells of the features the spec uses, and the rows without a target. */
export function findMissing(t: RawTable, spec: TabularSpec): MissingReport {
  const used = spec.columns.filter((c) => c.kind !== 'ignore').map((c) => [c.name, t.columns.indexOf(c.name)] as const);
  const tj = t.columns.indexOf(spec.target);
  const cells: MissingReport['cells'] = [], byColumn: Record<string, number> = {}, targetMissingRows: number[] = [];
  t.rows.forEach((row, r) => {
    if (isMissingText(row[tj]!)) targetMissingRows.push(r);
    for (const [name, j] of used) {
      if (isMissingText(row[j]!)) {
        cells.push({ line: t.lines[r]!, row: r, column: name });
        byColumn[name] = (byColumn[name] ?? 0) + 1;
      }
    }
  });
  return { cells, byColumn, targetMissingRows };
}

/** A few lines for people: counts per column and the first cells by line. */
export function describeMissing(t: RawTable, m: MissingReport, show = 10): string {
  const lines: string[] = [];
  if (m.cells.length) {
    const rows = new Set(m.cells.map((c) => c.row)).size;
    lines.push(`${t.name}: ${m.cells.length} missing value(s) in ${rows} row(s): ${Object.entries(m.byColumn).map(([c, k]) => `${c} ${k}`).join(', ')}`);
    for (const c of m.cells.slice(0, show)) lines.push(`  line ${c.line}, column ${JSON.stringify(c.column)}`);
    if (m.cells.length > show) lines.push(`  … and ${m.cells.length - show} more`);
  }
  if (m.targetMissingRows.length) {
    lines.push(`${t.name}: ${m.targetMissingRows.length} row(s) have no target and are left out (lines ${m.targetMissingRows.slice(0, show).map((r) => t.lines[r]).join(', ')}${m.targetMissingRows.length > show ? ', …' : ''})`);
  }
  return lines.join('\n');
}
