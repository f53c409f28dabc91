// Data of the tabular tasks: a table (a user's CSV, or a healthcare table), its column kinds and task,
// missing values reported (and imputed on request), a seeded test split or one fold of K (stratified
// for classes), a validation split, and the preprocessing fitted on the training rows (the task's meta).

import * as nb from '../../index.js';
import { UsageError } from '../../cli/args.js';
import type { Options, TaskData, TaskIO } from '../task.js';

type RawTable = nb.data.tabular.RawTable;
type Preprocessor = nb.data.tabular.Preprocessor;

/** What a checkpoint keeps to rebuild the model and read new rows. */
export interface TabularMeta {
  [k: string]: nb.train.JsonValue;
  pp: nb.train.JsonValue;
  hidden: number[];
  dropout: number;
  classWeights: number[] | null;
}

export const preprocessorOf = (meta: TabularMeta, where = 'checkpoint'): Preprocessor => nb.data.tabular.checkPreprocessor(meta.pp, where);

const list = (v: unknown): string[] | undefined => (typeof v === 'string' && v !== '' ? v.split(',').map((s) => s.trim()).filter((s) => s) : undefined);

export function parseHidden(v: unknown): number[] {
  if (v === undefined || v === '') return [];
  const h = String(v).split(',').map((s) => Number(s.trim()));
  if (h.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`train: --hidden must be whole numbers ≥ 1 separated by commas (e.g. 64,32), got '${v}'`);
  return h;
}

/** The spec of a table from the options (target, kinds, task). */
export function specOf(t: RawTable, o: Options, target: string): nb.data.tabular.TabularSpec {
  try {
    return nb.data.tabular.inferSpec(t, {
      target, task: o.task as nb.data.tabular.TabularTask | undefined,
      categorical: list(o.categorical), numeric: list(o.numeric), ignore: list(o.ignore),
    });
  } catch (e) {
    throw new UsageError(`train: ${(e as Error).message}`);
  }
}

/** Training, validation and test row indices: --folds/--fold or --split, then --val-split of the training rows. */
function splitRows(rows: number[], labels: number[] | null, o: Options): { train: number[]; val: number[]; test: number[] } {
  const seed = o.seed as number;
  let train: number[], test: number[];
  const k = o.folds as number;
  if (k > 0) {
    if ((o.fold as number) > k) throw new UsageError(`train: --fold ${o.fold} is not one of the ${k} folds`);
    const folds = labels ? nb.data.stratifiedKFold(labels, k, seed) : nb.data.kFold(rows.length, k, seed);
    const f = folds[(o.fold as number) - 1]!;
    train = f.train; test = f.test;
  } else {
    const s = nb.data.trainTestSplit(rows.length, { testFraction: o.split as number, seed, stratify: labels ?? undefined });
    train = s.train; test = s.test;
  }
  let val: number[] = [];
  if ((o['val-split'] as number) > 0) {
    const s = nb.data.trainTestSplit(train.length, { testFraction: o['val-split'] as number, seed: seed + 1, stratify: labels ? train.map((i) => labels[i]!) : undefined });
    val = s.test.map((i) => train[i]!);
    train = s.train.map((i) => train[i]!);
  }
  const at = (ix: number[]): number[] => ix.map((i) => rows[i]!);
  return { train: at(train), val: at(val), test: at(test) };
}

function dataset(e: nb.data.tabular.Encoded): nb.data.TensorDataset {
  return new nb.data.TensorDataset({ data: e.x, shape: [e.n, e.width] }, { data: e.y!, shape: [e.n] });
}

/**
 * Loads and splits a table for training (or, with `saved`, for eval: the same split, encoded with the
 * saved preprocessing).
 */
export function loadTable(t: RawTable, target: string, o: Options, io: TaskIO, saved?: TabularMeta): TaskData<TabularMeta> {
  if (t.note) io.log(t.note);
  const spec = specOf(t, o, target);
  const missing = nb.data.tabular.findMissing(t, spec);
  const report = nb.data.tabular.describeMissing(t, missing);
  if (report) for (const line of report.split('\n')) io.log(line);
  if (missing.cells.length && o.impute === 'none') {
    const c = missing.cells[0]!;
    throw new UsageError(`train: ${t.name} has ${missing.cells.length} missing value(s), the first at line ${c.line}, column ${JSON.stringify(c.column)}; pass --impute mean (or median) to fill them with training statistics`);
  }
  const dropped = new Set(missing.targetMissingRows);
  const rows = t.rows.map((_, r) => r).filter((r) => !dropped.has(r));
  // Labels for stratifying: class indices over every class in the file.
  let labels: number[] | null = null;
  if (spec.task === 'classification') {
    const probe = nb.data.tabular.fitPreprocessor(t, { ...spec, columns: [] }, rows);
    labels = Array.from(nb.data.tabular.transformRows(probe, { ...t, columns: t.columns }, rows).y!);
  }
  const split = splitRows(rows, labels, o);
  const pp = saved ? preprocessorOf(saved) : nb.data.tabular.fitPreprocessor(t, spec, split.train, { encoding: o.encoding as nb.data.tabular.Encoding, impute: o.impute as nb.data.tabular.Impute });
  const enc = (r: number[]): nb.data.tabular.Encoded => nb.data.tabular.transformRows(pp, t, r);
  const test = dataset(enc(split.test));
  const meta: TabularMeta = saved ?? {
    pp: JSON.parse(JSON.stringify(pp)) as nb.train.JsonValue, hidden: parseHidden(o.hidden), dropout: o.dropout as number, classWeights: null,
  };
  const how = (o.folds as number) > 0 ? `fold ${o.fold} of ${o.folds}${labels ? ' (stratified)' : ''}` : `${Math.round(100 * (o.split as number))}% held out${labels ? ' (stratified)' : ''}`;
  const source = `${t.name}: ${rows.length} rows, target '${target}' (${spec.task}), ${how}`;
  if (io.purpose === 'eval') return { train: new nb.data.ArrayDataset([]), val: null, test, meta, source };
  const trainEnc = enc(split.train);
  if (!saved && o['class-weights'] === 'balanced' && spec.task === 'classification') meta.classWeights = Array.from(nb.data.tabular.balancedClassWeights(trainEnc.y!, pp.classes!.length));
  io.log(`${spec.columns.map((c) => `${c.name}: ${c.kind}`).join(', ')} · ${split.train.length} train / ${split.val.length} val / ${split.test.length} test rows`);
  return { train: dataset(trainEnc), val: split.val.length ? dataset(enc(split.val)) : null, test, meta, source };
}
