// Evaluation of a classifier over a split: loss, accuracy, confusion matrix, per-class
// precision/recall/F1, and the most confident mistakes (for the report).

import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { crossEntropy } from '../nn/loss.js';
import { softmax } from '../ops/activation.js';
import type { Split } from './data.js';
import { classReport } from '../train/metrics.js';

export interface Evaluation {
  loss: number;
  accuracy: number;
  confusion: number[][];
  perClass: { precision: number; recall: number; f1: number }[];
  mistakes: { index: number; predicted: number; actual: number; probability: number }[];
}

export function evaluate(model: Module, split: Split, classes: number, opts: { batchSize?: number; keepMistakes?: number } = {}): Evaluation {
  const bs = opts.batchSize ?? 500;
  const wasTraining = model.training;
  model.eval();
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const mistakes: Evaluation['mistakes'] = [];
  let lossSum = 0, correct = 0;
  const px = split.x.length / split.n;
  try {
    for (let s = 0; s < split.n; s += bs) {
      const n = Math.min(bs, split.n - s);
      scope(() => noGrad(() => {
        const x = tensor(split.x.subarray(s * px, (s + n) * px), { shape: [n, 1, 28, 28] });
        const y = tensor(split.y.subarray(s, s + n), { shape: [n] });
        const logits = model.forward(x) as Tensor;
        lossSum += crossEntropy(logits, y, { reduction: 'sum' }).item();
        const probs = softmax(logits, 1).dataSync();
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
          const actual = split.y[s + i]!;
          confusion[actual]![best]!++;
          if (best === actual) correct++;
          else mistakes.push({ index: s + i, predicted: best, actual, probability: probs[i * classes + best]! });
        }
      }));
    }
  } finally {
    model.train(wasTraining);
  }
  mistakes.sort((a, b) => b.probability - a.probability);
  const report = classReport(confusion);
  const perClass = report.precision.map((precision, c) => ({ precision, recall: report.recall[c]!, f1: report.f1[c]! }));
  return { loss: lossSum / split.n, accuracy: correct / split.n, confusion, perClass, mistakes: mistakes.slice(0, opts.keepMistakes ?? 0) };
}
