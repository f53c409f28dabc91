// Shared parts of classification tasks (Fashion-MNIST, image folders, spoken digits, breast cancer …):
// the test-set inspector (confusion matrix, per-class precision/recall/F1, the most confident mistakes
// and correct answers as pictures) and the class-prior baseline.

import * as nb from '../index.js';
import type { Baseline, Inspection, Inspector } from './task.js';
import { esc, pct } from './html.js';
import { imageExplanationsHtml, type ExplainExample } from './explain.js';

export interface ClassificationInspectorOptions {
  classes: readonly string[];
  /** An example as HTML (e.g. an <img> with a data URI) from its batch and row; without it no example grids. */
  render?(batch: unknown, row: number): string;
  /** How many mistakes to show (the most confident ones; default 40). */
  mistakes?: number;
  /** How many correct answers to show per class (the most confident; default 2). */
  correctPerClass?: number;
  /** An "Explanations" section: the most confident right and wrong images with their heatmaps (image classifiers). */
  explain?: InspectorExplain;
}

/** What the inspector needs to explain image predictions (src/tasks/explain.ts draws them). */
export interface InspectorExplain {
  model: nb.nn.Module;
  /** One example as the model reads it, [C, H, W], and as it should be shown, in [0, 1]. */
  input(batch: unknown, row: number): Float32Array;
  display(batch: unknown, row: number): Float32Array;
  shape: [number, number, number];
  /** a black pixel as the model sees it */
  baseline: number;
  /** right and wrong examples each, of different true classes (default 4) */
  count?: number;
}

interface Example { html: string; predicted: number; actual: number; probability: number }

/** Softmax of one row of scores (logits or log-probabilities), in float64. */
function softmaxRow(v: ArrayLike<number>, off: number, n: number): number[] {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, v[off + j]!);
  const e = Array.from({ length: n }, (_, j) => Math.exp(v[off + j]! - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Keeps the k entries of largest probability (rendering only those that get in). */
function keepTop<T extends { probability: number }>(list: T[], k: number, p: number, make: () => T): void {
  if (k <= 0 || (list.length >= k && p <= list[list.length - 1]!.probability)) return;
  list.push(make());
  list.sort((a, b) => b.probability - a.probability);
  if (list.length > k) list.pop();
}

export function classificationInspector(o: ClassificationInspectorOptions): Inspector {
  const C = o.classes.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const mistakes: Example[] = [];
  const correct: Example[][] = Array.from({ length: C }, () => []);
  const nMistakes = o.mistakes ?? 40, nCorrect = o.correctPerClass ?? 2;
  // The most confident right and wrong example of each true class, for the explanations.
  const toExplain: [ExplainExample[][], ExplainExample[][]] = [Array.from({ length: C }, () => []), Array.from({ length: C }, () => [])];
  return {
    update(output, target, batch) {
      if (!output || !target) return;
      if (output.ndim !== 2 || output.shape[1] !== C) throw new Error(`classification: expected scores [N, ${C}], got [${output.shape.join(', ')}]`);
      const scores = output.dataSync(), labels = target.dataSync();
      for (let i = 0; i < output.shape[0]!; i++) {
        const probs = softmaxRow(scores, i * C, C);
        let best = 0;
        for (let c = 1; c < C; c++) if (probs[c]! > probs[best]!) best = c;
        const actual = labels[i]!;
        confusion[actual]![best]!++;
        if (o.explain) {
          const e = o.explain;
          keepTop(toExplain[best === actual ? 0 : 1][actual]!, 1, probs[best]!, () => ({ x: e.input(batch, i), display: e.display(batch, i), predicted: best, actual, probability: probs[best]! }));
        }
        if (!o.render) continue;
        const make = (): Example => ({ html: o.render!(batch, i), predicted: best, actual, probability: probs[best]! });
        if (best === actual) keepTop(correct[actual]!, nCorrect, probs[best]!, make);
        else keepTop(mistakes, nMistakes, probs[best]!, make);
      }
    },
    finish(): Inspection {
      const report = nb.train.classReport(confusion);
      const w = Math.max(5, ...o.classes.map((c) => c.length));
      const lines = [`\n${'class'.padEnd(w)}  precision  recall     F1`];
      report.precision.forEach((p, i) => lines.push(`${o.classes[i]!.padEnd(w)}  ${(100 * p).toFixed(2).padStart(8)}%  ${(100 * report.recall[i]!).toFixed(2).padStart(6)}%  ${report.f1[i]!.toFixed(3)}`));
      lines.push('\nconfusion matrix (rows: actual, columns: predicted)');
      const cw = Math.max(5, ...confusion.flat().map((v) => String(v).length + 1));
      lines.push(' '.repeat(w) + o.classes.map((_, j) => String(j).padStart(cw)).join(''));
      confusion.forEach((row, i) => lines.push(`${o.classes[i]!.padEnd(w)}${row.map((v) => String(v).padStart(cw)).join('')}   (${i})`));
      const classRows = report.precision.map((p, i) => `<tr><td>${esc(o.classes[i]!)}</td><td>${pct(p)}</td><td>${pct(report.recall[i]!)}</td><td>${report.f1[i]!.toFixed(3)}</td><td>${report.support[i]}</td></tr>`).join('');
      let html = `<h2>Confusion matrix (test set)</h2>${confusionTable(o.classes, confusion)}`
        + `<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>test images</th></tr>${classRows}</table>`;
      if (o.render) {
        const grid = (ex: Example[], right: boolean): string => ex.map((m) => `<figure class="ex"><div>${m.html}</div><figcaption><b>${esc(o.classes[m.predicted]!)}</b> ${pct(m.probability)}`
          + (right ? '' : `<br><span class="wrong">true: ${esc(o.classes[m.actual]!)}</span>`) + '</figcaption></figure>').join('');
        html += `<h2>Correctly classified test examples</h2><p class="muted">The ${nCorrect} most confident correct answers of each class, with the predicted probability.</p><div class="grid">${grid(correct.flat(), true)}</div>`
          + `<h2>Misclassified test examples</h2><p class="muted">The ${nMistakes} most confident mistakes: predicted class (bold, with its probability) and the true class.</p><div class="grid">${grid(mistakes, false)}</div>`;
      }
      if (o.explain) {
        // of different classes: the `count` most confident of the per-class right answers, and of the mistakes
        const pick = (per: ExplainExample[][]): ExplainExample[] => per.flat().sort((a, b) => b.probability - a.probability).slice(0, o.explain!.count ?? 4);
        html += imageExplanationsHtml(o.explain.model, [...pick(toExplain[0]), ...pick(toExplain[1])], o.explain.shape, o.classes, o.explain.baseline);
      }
      return { lines, html };
    },
  };
}


function confusionTable(classes: readonly string[], m: number[][]): string {
  const max = Math.max(1, ...m.flatMap((r, i) => r.filter((_, j) => j !== i)));
  const head = `<tr><th>actual \\ predicted</th>${classes.map((c) => `<th class="rot"><div>${esc(c)}</div></th>`).join('')}<th>total</th></tr>`;
  const body = m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((v, j) => {
      const diag = i === j;
      const a = diag ? 0.15 + 0.6 * (total ? v / total : 0) : 0.7 * (v / max);
      const bg = diag ? `rgba(34,139,34,${a.toFixed(3)})` : `rgba(220,50,47,${a.toFixed(3)})`;
      return `<td style="background:${bg}" title="${esc(classes[i]!)} predicted as ${esc(classes[j]!)}: ${v}">${v}</td>`;
    }).join('');
    return `<tr><th>${esc(classes[i]!)}</th>${cells}<td>${total}</td></tr>`;
  }).join('');
  return `<table class="cm">${head}${body}</table>`;
}

/** Scores log(class frequency) for every input: accuracy of always answering the most frequent class, loss the labels' entropy. */
class ClassPrior extends nb.nn.Module {
  private readonly logPrior: nb.Tensor;
  constructor(counts: readonly number[]) {
    super();
    const total = counts.reduce((a, b) => a + b, 0);
    // A class never seen gets half a count, so its log stays finite.
    this.logPrior = nb.keep(nb.tensor(counts.map((c) => Math.log(Math.max(c, 0.5) / total)), { dtype: 'float32' }));
  }
  override forward(x: nb.Tensor): nb.Tensor {
    return this.logPrior.unsqueeze(0).expand([x.shape[0]!, this.logPrior.shape[0]!]).contiguous();
  }
}

/** The majority-class baseline from the training labels' class counts. */
export function classPriorBaseline(labels: ArrayLike<number>, classes: readonly string[]): Baseline {
  const counts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  const top = counts.indexOf(Math.max(...counts));
  return {
    name: 'majority class',
    about: `always answers the most frequent training class (${classes[top]}) with the training class frequencies as probabilities`,
    model: new ClassPrior(counts),
  };
}
