// What one step of fit() or evaluate() computes from a batch: the default (forward, then the loss of
// [input, target]) or a task's own batch → loss function, and evaluate() over a data set.

import { Tensor } from '../tensor/tensor.js';
import { beginScope, endScope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import type { Module } from '../nn/module.js';
import type { DataLoader } from '../data/loader.js';
import { createMetric, type Metric, type MetricName } from './metrics.js';
import type { Logs } from './callbacks.js';

/** A batch: [input, target] (further elements are ignored), as a DataLoader over a TensorDataset gives. */
export type Batch = readonly [Tensor, Tensor, ...unknown[]] | readonly Tensor[];
export type Batches = DataLoader<unknown, Batch> | DataLoader<unknown, unknown> | Iterable<unknown> | AsyncIterable<unknown>;
export type LossFn = ((output: Tensor, target: Tensor) => Tensor) | { forward(output: Tensor, target: Tensor): Tensor };

/**
 * What a step function returns: the loss (one number, the batch mean), or the loss with the output and
 * target the metrics see (metrics are skipped when either is missing) and the batch's sample count
 * (the weight of its loss in the epoch's mean; default: the output's, else the target's first dim, else 1).
 */
export type StepResult = Tensor | { loss?: Tensor; output?: Tensor; target?: Tensor; size?: number };

/** A batch → loss function: a task's own forward and loss (language models, seq2seq, recommenders …). */
export type StepFn = (model: Module, batch: unknown) => StepResult;

export function callLoss(loss: LossFn, out: Tensor, y: Tensor): Tensor {
  return typeof loss === 'function' ? loss(out, y) : loss.forward(out, y);
}

export function splitBatch(where: string, b: unknown): [Tensor, Tensor] {
  if (!Array.isArray(b) || !(b[0] instanceof Tensor) || !(b[1] instanceof Tensor)) {
    throw new TypeError(`${where}: each batch must be [input, target] tensors (a DataLoader over a TensorDataset gives that), got ${Array.isArray(b) ? `an array of ${b.length}` : typeof b}; or give a step function`);
  }
  return [b[0], b[1]];
}

/** The step fit() and evaluate() run when none is given: forward(x), then loss(output, y). */
export function defaultStep(where: string, loss: LossFn | undefined, forward?: (model: Module, input: Tensor) => Tensor): StepFn {
  return (model, b) => {
    const [x, y] = splitBatch(where, b);
    const output = forward ? forward(model, x) : (model.forward(x) as Tensor);
    return { loss: loss ? callLoss(loss, output, y) : undefined, output, target: y, size: x.shape[0] ?? 1 };
  };
}

/** A step's result in one shape; throws when the loss is not one number. */
export function stepParts(where: string, r: StepResult, needLoss: boolean): { loss: Tensor | null; output?: Tensor; target?: Tensor; size: number } {
  const o = r instanceof Tensor ? { loss: r } : r;
  if (!o || typeof o !== 'object') throw new TypeError(`${where}: the step function must return the loss tensor or {loss, output?, target?, size?}`);
  const loss = (o.loss ?? null) as Tensor | null;
  if (needLoss && !(loss instanceof Tensor)) throw new TypeError(`${where}: the step function returned no loss tensor`);
  if (loss && loss.numel() !== 1) throw new Error(`${where}: the loss must be one number per batch, got shape [${loss.shape.join(', ')}] (use reduction 'mean')`);
  const size = o.size ?? o.output?.shape[0] ?? o.target?.shape[0] ?? 1;
  if (!Number.isFinite(size) || size < 0) throw new Error(`${where}: the step's size must be a non-negative number, got ${size}`);
  return { loss, output: o.output, target: o.target, size };
}

export async function* iterate(b: Batches): AsyncGenerator<unknown> {
  if (Symbol.asyncIterator in b) yield* b as AsyncIterable<unknown>;
  else yield* b as Iterable<unknown>;
}

export interface EvaluateOptions {
  loss?: LossFn;
  metrics?: (MetricName | Metric)[];
  forward?: (model: Module, input: Tensor) => Tensor;
  /** A batch → loss/output function (as fit's evalStep); replaces forward and loss. */
  step?: StepFn;
  /** Sees every batch's output and target (e.g. to collect predictions, a confusion matrix, examples). */
  onBatch?: (output: Tensor | undefined, target: Tensor | undefined, batch: unknown) => void;
}

/** Runs the model in eval mode without grad over every batch: {loss (sample-weighted mean), metrics…}. */
export async function evaluate(model: Module, data: Batches, opts: EvaluateOptions = {}): Promise<Logs> {
  const metrics = (opts.metrics ?? []).map(createMetric);
  const step = opts.step ?? defaultStep('evaluate', opts.loss, opts.forward);
  return runEval(model, data, step, metrics, '', opts.onBatch, opts.loss !== undefined);
}

/** evaluate() with its parts given; `withLoss`: report a loss (NaN for no batches) even before a step returns one. */
export async function runEval(
  model: Module, data: Batches, step: StepFn, metrics: Metric[], prefix: string, onBatch?: EvaluateOptions['onBatch'], withLoss = false,
): Promise<Logs> {
  const wasTraining = model.training;
  model.eval();
  for (const m of metrics) m.reset();
  let sum = 0, n = 0;
  try {
    for await (const b of iterate(data)) {
      const s = beginScope();
      try {
        noGrad(() => {
          const r = stepParts('evaluate', step(model, b), false);
          if (r.loss) {
            sum += r.loss.item() * r.size;
            withLoss = true;
          }
          n += r.size;
          if (r.output && r.target) for (const m of metrics) m.update(r.output, r.target);
          onBatch?.(r.output, r.target, b);
        });
      } finally {
        endScope(s);
      }
    }
  } finally {
    model.train(wasTraining);
  }
  const key = (k: string): string => (prefix ? prefix + k[0]!.toUpperCase() + k.slice(1) : k);
  const logs: Logs = {};
  if (withLoss) logs[key('loss')] = n ? sum / n : NaN;
  for (const m of metrics) logs[key(m.name)] = m.compute();
  return logs;
}
