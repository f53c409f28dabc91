// Explanations of tabular models (issue 17): attributions per column — a one-hot block counts as its
// column — from the typical training row; `nabla explain CHECKPOINT rows.csv` prints each row's top
// columns, and the report shows the mean |attribution| per column over the test rows as a bar chart.

import { existsSync } from 'node:fs';
import * as nb from '../../index.js';
import { readRawCsvFile } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Inspector, Verb } from '../task.js';
import { attributionLines, EXPLAIN_FLAGS, inEvalMode, parseMethods, parseTarget } from '../explain.js';
import { preprocessorOf, type TabularMeta } from './data.js';

type Preprocessor = nb.data.tabular.Preprocessor;
type MethodName = nb.explain.MethodName;

/** Methods that need the gradient with respect to every input column. */
const GRADIENT: readonly MethodName[] = ['saliency', 'input-x-gradient', 'integrated-gradients', 'smooth-grad', 'gradient-shap', 'guided-backprop', 'deep-lift'];
/** Methods whose attributions add up to f(row) − f(typical row) (completeness, summation to delta, efficiency). */
const ADDITIVE: readonly MethodName[] = ['integrated-gradients', 'deep-lift', 'shapley'];
const PERTURBATION: readonly MethodName[] = ['feature-ablation', 'shapley'];
/** Rows of the test set the report's chart averages over (the tables we ship have 89–114). */
const REPORT_ROWS = 500;

export const TYPICAL_ROW = 'the typical training row (numbers at their training mean, categories at their most frequent value)';

/** The columns of a table as the model reads them: names, each input feature's column, the typical row. */
export interface ColumnView {
  names: string[];
  /** the column of each encoded feature (a one-hot block shares its column's id) */
  featureColumn: Int32Array;
  /** the typical training row, encoded: numbers at the mean (0 standardised), categories at their mode */
  baseline: Float32Array;
  /** categorical columns read through embeddings (no gradient reaches them) */
  embedded: string[];
}

export function columnsOf(pp: Preprocessor): ColumnView {
  const width = nb.data.tabular.featureWidth(pp);
  const names = [...pp.numeric.map((c) => c.name), ...pp.categorical.map((c) => c.name)];
  const featureColumn = new Int32Array(width), baseline = new Float32Array(width);
  pp.numeric.forEach((_, k) => (featureColumn[k] = k));
  let off = pp.numeric.length;
  pp.categorical.forEach((c, k) => {
    const col = pp.numeric.length + k, mode = c.levels.indexOf(c.fill);
    if (pp.encoding === 'onehot') {
      featureColumn.fill(col, off, off + c.levels.length);
      if (mode > 0) baseline[off + mode] = 1;
      off += c.levels.length;
    } else {
      featureColumn[off] = col;
      baseline[off] = Math.max(0, mode);
      off += 1;
    }
  });
  return { names, featureColumn, baseline, embedded: pp.encoding === 'embedding' ? pp.categorical.map((c) => c.name) : [] };
}

/** The default method: integrated gradients where every column has a gradient, else Shapley value sampling. */
export function defaultTabularMethod(pp: Preprocessor): MethodName {
  return columnsOf(pp).embedded.length ? 'shapley' : 'integrated-gradients';
}

/** Refuses methods that make no sense for table columns, with the reason. */
export function checkTabularMethod(m: MethodName, pp: Preprocessor): void {
  if (m === 'grad-cam' || m === 'guided-grad-cam' || m === 'hires-cam') throw new UsageError(`explain: --method ${m} needs a conv layer's feature map (images); for table columns use integrated-gradients, shapley or feature-ablation`);
  if (m === 'occlusion') throw new UsageError('explain: --method occlusion slides a window over an image; for table columns use feature-ablation (one column at a time)');
  const emb = columnsOf(pp).embedded;
  if (emb.length && GRADIENT.includes(m)) {
    throw new UsageError(`explain: --method ${m} needs the gradient with respect to every column, but this model reads ${emb.join(', ')} through embeddings (--encoding embedding), which have none; use shapley or feature-ablation`);
  }
}

/**
 * Attributions per column, [n × columns] row-major: a method's attributions of the encoded features
 * summed over each column's features (a perturbation method removes a column's one-hot block as one
 * feature), in the target's units for regression. `target`: class per row, or undefined (regression).
 */
export function columnAttributions(model: nb.nn.Module, pp: Preprocessor, x: nb.Tensor, method: MethodName, target: number[] | undefined): Float64Array {
  const v = columnsOf(pp);
  const n = x.shape[0]!, width = v.featureColumn.length, C = v.names.length;
  const a = nb.scope(() => nb.explain.runMethod(method, model, x, {
    target, baseline: nb.tensor(v.baseline, { shape: [1, width] }),
    featureMask: PERTURBATION.includes(method) ? nb.tensor(v.featureColumn, { shape: [width], dtype: 'int32' }) : undefined,
  }).dataSync());
  const scale = pp.task === 'regression' ? pp.targetStd! : 1;
  const out = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    const seen = new Uint8Array(C);
    for (let f = 0; f < width; f++) {
      const c = v.featureColumn[f]!;
      // a perturbation method gives every feature of a removed group the group's value: count it once
      if (PERTURBATION.includes(method)) {
        if (seen[c]) continue;
        seen[c] = 1;
      }
      out[i * C + c] += a[i * width + f]! * scale;
    }
  }
  return out;
}

/** What the attributions are of, for a caption: "the malignant logit" or "the prediction of progression". */
function what(pp: Preprocessor, cls: number | null): string {
  if (pp.task === 'regression') return `the prediction of ${pp.target}, in its units`;
  return cls === null ? "the predicted class's logit" : `the ${(pp.classNames ?? pp.classes!)[cls]} logit`;
}

/** The model's outputs for encoded rows: class probabilities [n × C] or predictions in the target's units. */
function outputs(model: nb.nn.Module, pp: Preprocessor, x: nb.Tensor): { logits: Float32Array; probs?: Float64Array; values?: Float64Array } {
  const logits = nb.scope(() => nb.noGrad(() => (model.forward(x) as nb.Tensor).dataSync() as Float32Array));
  if (pp.task === 'regression') return { logits, values: Float64Array.from(logits, (v) => v * pp.targetStd! + pp.targetMean!) };
  const C = pp.classes!.length, probs = new Float64Array(logits.length);
  for (let i = 0; i < logits.length / C; i++) {
    const row = logits.subarray(i * C, (i + 1) * C), m = Math.max(...row);
    const z = row.reduce((s, l) => s + Math.exp(l - m), 0);
    row.forEach((l, c) => (probs[i * C + c] = Math.exp(l - m) / z));
  }
  return { logits, probs };
}

const fmt = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toPrecision(4)}`;

/** `nabla explain CHECKPOINT rows.csv`: for every row, the prediction and the columns it rests on most. */
export const tabularExplainVerb: Verb<TabularMeta> = {
  summary: 'which columns each prediction rests on: the top attributions per row of a CSV file (integrated gradients, Shapley values, …)',
  usage: 'rows.csv [--method integrated-gradients,shapley] [--target CLASS] [--top K]',
  flags: EXPLAIN_FLAGS,
  run({ model, ctx, flags, args, checkpoint, log }) {
    if (args.length !== 1) throw new UsageError('explain: give one CSV file of rows after the checkpoint (the target column is optional)');
    if (!existsSync(args[0]!)) throw new UsageError(`explain: no file at ${args[0]}`);
    if (flags.layer !== undefined) throw new UsageError('explain: --layer is for Grad-CAM on images and embeddings of text models; a tabular model is explained column by column');
    const pp = preprocessorOf(ctx.meta, checkpoint);
    const methods = parseMethods(flags, () => [defaultTabularMethod(pp)]);
    for (const m of methods) checkTabularMethod(m, pp);
    const classes = pp.task === 'classification' ? pp.classNames ?? pp.classes! : [];
    if (pp.task === 'regression' && flags.target !== undefined) throw new UsageError(`explain: --target names a class, but this model predicts the number ${pp.target}`);
    const wanted = pp.task === 'classification' ? parseTarget(flags, classes) : undefined;
    const t = readRawCsvFile(args[0]!);
    let enc: nb.data.tabular.Encoded;
    try {
      enc = nb.data.tabular.transformRows(pp, t);
    } catch (e) {
      throw new UsageError(`explain: ${(e as Error).message}`);
    }
    const v = columnsOf(pp), C = v.names.length, top = Math.min(flags.top as number, C);
    const rawAt = v.names.map((name) => t.columns.indexOf(name));
    return nb.scope(() => {
      const x = nb.tensor(enc.x, { shape: [enc.n, enc.width] });
      const out = outputs(model, pp, x), base = outputs(model, pp, nb.tensor(v.baseline, { shape: [1, enc.width] }));
      const K = classes.length;
      const pred = pp.task === 'classification' ? Array.from({ length: enc.n }, (_, i) => argmax(out.probs!.subarray(i * K, (i + 1) * K))) : [];
      const target = pp.task === 'classification' ? pred.map((p) => wanted ?? p) : undefined;
      log(`explaining ${enc.n} row(s) of ${args[0]} against ${TYPICAL_ROW}; attributions to ${what(pp, wanted ?? null)}`);
      for (const m of methods) {
        const attr = columnAttributions(model, pp, x, m, target);
        for (let i = 0; i < enc.n; i++) {
          const row = t.rows[i]!;
          const names = v.names.map((name, c) => `${name} = ${rawAt[c]! >= 0 && row[rawAt[c]!]!.trim() !== '' ? row[rawAt[c]!]!.trim() : '(missing)'}`);
          const unseen = enc.unseen[i]!.length ? `  (not seen in training: ${enc.unseen[i]!.join(', ')})` : '';
          let head: string, fx: number, fb: number;
          if (pp.task === 'regression') {
            fx = out.values![i]!; fb = base.values![0]!;
            const truth = enc.y ? ` (actual ${(enc.y[i]! * pp.targetStd! + pp.targetMean!).toPrecision(6)})` : '';
            head = `line ${t.lines[i]}: ${pp.target} ${fx.toPrecision(6)}${truth}${unseen}; ${nb.explain.METHOD_TITLES[m]} of the prediction in its units (the typical row: ${fb.toPrecision(6)}):`;
          } else {
            const c = target![i]!;
            fx = out.logits[i * K + c]!; fb = base.logits[c]!;
            const truth = enc.y ? ` (actual ${classes[enc.y[i]!]})` : '';
            const also = c !== pred[i] ? `, ${classes[c]} ${(100 * out.probs![i * K + c]!).toFixed(1)}%` : '';
            head = `line ${t.lines[i]}: predicted ${classes[pred[i]!]} ${(100 * out.probs![i * K + pred[i]!]!).toFixed(1)}%${also}${truth}${unseen}; ${nb.explain.METHOD_TITLES[m]} of the ${classes[c]} logit (${fx.toFixed(4)}; the typical row: ${fb.toFixed(4)}):`;
          }
          log(head);
          for (const l of attributionLines(names, attr.subarray(i * C, (i + 1) * C), top)) log(l);
          if (ADDITIVE.includes(m)) {
            const sum = attr.subarray(i * C, (i + 1) * C).reduce((s, a) => s + a, 0);
            log(`  all ${C} columns add up to ${fmt(sum)}; the row minus the typical row: ${fmt(fx - fb)}`);
          }
        }
      }
      return 0;
    });
  },
};

function argmax(a: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[b]!) b = i;
  return b;
}

/**
 * Adds the report's Explanations section to a tabular inspector: the mean |attribution| per column
 * over (up to 500) test rows, as a bar chart, with the default method; `nabla eval` prints the top ten.
 */
export function withColumnAttributions(inner: Inspector, model: nb.nn.Module | undefined, pp: Preprocessor): Inspector {
  if (!model) return inner;
  const width = nb.data.tabular.featureWidth(pp);
  const rows: Float32Array[] = [];
  let seen = 0;
  return {
    update(output, target, batch) {
      inner.update(output, target, batch);
      const x = (batch as [nb.Tensor, nb.Tensor])[0];
      const n = x.shape[0]!;
      if (seen < REPORT_ROWS) rows.push((x.dataSync() as Float32Array).slice(0, Math.min(n, REPORT_ROWS - seen) * width));
      seen += n;
    },
    finish() {
      const r = inner.finish();
      const n = rows.reduce((s, a) => s + a.length, 0) / width;
      if (!n) return r;
      const method = defaultTabularMethod(pp), v = columnsOf(pp), C = v.names.length;
      const mean = inEvalMode(model, () => nb.scope(() => {
        const flat = new Float32Array(n * width);
        let o = 0;
        for (const a of rows) { flat.set(a, o); o += a.length; }
        const x = nb.tensor(flat, { shape: [n, width] });
        const target = pp.task === 'classification' ? Array.from(nb.noGrad(() => (model.forward(x) as nb.Tensor).argmax(1)).dataSync()) : undefined;
        const a = columnAttributions(model, pp, x, method, target);
        return v.names.map((_, c) => { let s = 0; for (let i = 0; i < n; i++) s += Math.abs(a[i * C + c]!); return s / n; });
      }));
      const title = `Mean |${nb.explain.METHOD_TITLES[method]}| per column over ${n} test rows (of ${what(pp, null)})`;
      const html = `<h2>Explanations</h2><p class="muted">How far each column moves ${what(pp, null)} away from ${TYPICAL_ROW}, averaged over the test rows `
        + `(${method === 'shapley' ? 'Shapley value sampling, 25 orders: categories read through embeddings have no gradient' : 'integrated gradients, 50 steps'}). `
        + '<code>nabla explain CHECKPOINT rows.csv</code> shows the columns behind each single prediction.</p>'
        + nb.explain.featureBarsSvg(title, v.names, mean);
      const lines = [`\n${title}:`, ...attributionLines(v.names, mean, 10)];
      return { lines: [...r.lines, ...lines], html: r.html + html };
    },
  };
}
