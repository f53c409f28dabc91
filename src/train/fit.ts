// fit(): the training loop — epochs of scoped steps (forward, loss, backward, optimizer step),
// validation, metrics, LR scheduling, callbacks and progress — and evaluate() for a model on a data set.

import { Tensor } from '../tensor/tensor.js';
import { beginScope, endScope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import type { Module } from '../nn/module.js';
import { DataLoader } from '../data/loader.js';
import { ReduceLROnPlateau } from '../optim/plateau.js';
import { OneCycleLR } from '../optim/one-cycle.js';
import { createMetric, type Metric, type MetricName } from './metrics.js';
import { Progress, type ProgressMode, type ProgressStream } from './progress.js';
import type { Callback, History, Logs, OptimizerLike, TrainContext } from './callbacks.js';

/** A batch: [input, target] (further elements are ignored), as a DataLoader over a TensorDataset gives. */
export type Batch = readonly [Tensor, Tensor, ...unknown[]] | readonly Tensor[];
export type Batches = DataLoader<unknown, Batch> | Iterable<Batch> | AsyncIterable<Batch>;
export type LossFn = ((output: Tensor, target: Tensor) => Tensor) | { forward(output: Tensor, target: Tensor): Tensor };

/** A learning-rate scheduler: nabla's (StepLR, OneCycleLR, ReduceLROnPlateau, …) or anything with step(). */
export interface SchedulerLike {
  step(metric?: number): void;
}

export interface FitOptions {
  train: Batches;
  val?: Batches;
  loss: LossFn;
  optimizer: OptimizerLike;
  epochs: number;
  /** Start at this epoch (0-based), e.g. when resuming from a checkpoint. */
  initialEpoch?: number;
  scheduler?: SchedulerLike;
  /** When the scheduler steps: 'epoch' (default; OneCycleLR defaults to 'batch'). */
  schedulerInterval?: 'epoch' | 'batch';
  /** The value ReduceLROnPlateau watches (default 'valLoss', or 'loss' without validation). */
  schedulerMonitor?: string;
  callbacks?: Callback[];
  /** Names ('accuracy', 'top5', 'precision', 'recall', 'f1', 'mae', 'rmse') or Metric objects. */
  metrics?: (MetricName | Metric)[];
  /** Progress display: true/'auto' (bar on a TTY, lines otherwise), 'bar', 'lines', false/'none'. */
  verbose?: boolean | ProgressMode;
  /** Steps between progress lines when not on a TTY. */
  logEvery?: number;
  stream?: ProgressStream;
  /** Stops after the current step when aborted (Ctrl-C); the history so far is returned. */
  signal?: AbortSignal;
  /** The forward pass (default model.forward(x)). */
  forward?: (model: Module, input: Tensor) => Tensor;
}

function callLoss(loss: LossFn, out: Tensor, y: Tensor): Tensor {
  return typeof loss === 'function' ? loss(out, y) : loss.forward(out, y);
}

function splitBatch(where: string, b: unknown): [Tensor, Tensor] {
  if (!Array.isArray(b) || !(b[0] instanceof Tensor) || !(b[1] instanceof Tensor)) {
    throw new TypeError(`${where}: each batch must be [input, target] tensors (a DataLoader over a TensorDataset gives that), got ${Array.isArray(b) ? `an array of ${b.length}` : typeof b}`);
  }
  return [b[0], b[1]];
}

function stepsOf(b: Batches): number | undefined {
  if (b instanceof DataLoader) return b.hasLength ? b.length : undefined;
  return Array.isArray(b) ? b.length : undefined;
}

async function* iterate(b: Batches): AsyncGenerator<unknown> {
  if (Symbol.asyncIterator in b) yield* b as AsyncIterable<Batch>;
  else yield* b as Iterable<Batch>;
}

export interface EvaluateOptions {
  loss?: LossFn;
  metrics?: (MetricName | Metric)[];
  forward?: (model: Module, input: Tensor) => Tensor;
}

/** Runs the model in eval mode without grad over every batch: {loss (sample-weighted mean), metrics…}. */
export async function evaluate(model: Module, data: Batches, opts: EvaluateOptions = {}): Promise<Logs> {
  const metrics = (opts.metrics ?? []).map(createMetric);
  return runEval(model, data, opts.loss, metrics, opts.forward, '');
}

async function runEval(model: Module, data: Batches, loss: LossFn | undefined, metrics: Metric[], forward: FitOptions['forward'], prefix: string): Promise<Logs> {
  const wasTraining = model.training;
  model.eval();
  for (const m of metrics) m.reset();
  let sum = 0, n = 0;
  try {
    for await (const b of iterate(data)) {
      const s = beginScope();
      try {
        noGrad(() => {
          const [x, y] = splitBatch('evaluate', b);
          const out = forward ? forward(model, x) : (model.forward(x) as Tensor);
          const bs = x.shape[0] ?? 1;
          if (loss) sum += callLoss(loss, out, y).item() * bs;
          n += bs;
          for (const m of metrics) m.update(out, y);
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
  if (loss) logs[key('loss')] = n ? sum / n : NaN;
  for (const m of metrics) logs[key(m.name)] = m.compute();
  return logs;
}

/**
 * Trains `model` for `epochs` epochs and returns the history. Each step — zeroGrad, forward, loss,
 * backward, optimizer step — runs in its own scope, so memory stays flat. Validation (if given) runs
 * after each epoch in eval mode without grad. Callbacks can stop training (EarlyStopping).
 */
export async function fit(model: Module, opts: FitOptions): Promise<History> {
  const { train, val, optimizer, epochs } = opts;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!optimizer || typeof optimizer.step !== 'function') throw new TypeError('fit: optimizer must have step() and zeroGrad()');
  if (!opts.loss) throw new TypeError('fit: give a loss function, e.g. loss: F.crossEntropy');
  const initialEpoch = opts.initialEpoch ?? 0;
  const trainMetrics = (opts.metrics ?? []).map(createMetric);
  const valMetrics = (opts.metrics ?? []).map((m) => createMetric(typeof m === 'string' ? m : cloneMetric(m)));
  const callbacks = opts.callbacks ?? [];
  const verbose = opts.verbose ?? true;
  const progress = new Progress({
    stream: opts.stream,
    mode: verbose === true ? 'auto' : verbose === false ? 'none' : verbose,
    every: opts.logEvery,
  });
  const history: History = { epoch: [], loss: [], valLoss: [], lr: [] };
  const ctx: TrainContext = {
    model, optimizer, epoch: initialEpoch, epochs, globalStep: 0, stopTraining: false, history,
    log: (t) => progress.log(t),
  };
  const scheduler = opts.scheduler;
  const interval = opts.schedulerInterval ?? (scheduler instanceof OneCycleLR ? 'batch' : 'epoch');
  const lr = (): number => optimizer.paramGroups?.[0]?.lr ?? NaN;
  const total = stepsOf(train);

  for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
  try {
    for (let epoch = initialEpoch; epoch < epochs && !ctx.stopTraining; epoch++) {
      ctx.epoch = epoch;
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
      model.train();
      for (const m of trainMetrics) m.reset();
      progress.startEpoch(epoch + 1, epochs, total);
      let lossSum = 0, samples = 0, step = 0;
      for await (const b of iterate(train)) {
        const s = beginScope();
        let lossValue: number;
        let bs: number;
        try {
          const [x, y] = splitBatch('fit', b);
          bs = x.shape[0] ?? 1;
          optimizer.zeroGrad();
          const out = opts.forward ? opts.forward(model, x) : (model.forward(x) as Tensor);
          const l = callLoss(opts.loss, out, y);
          if (l.numel() !== 1) throw new Error(`fit: the loss must be one number per batch, got shape [${l.shape.join(', ')}] (use reduction 'mean')`);
          l.backward();
          optimizer.step();
          lossValue = l.item();
          for (const m of trainMetrics) m.update(out.detach(), y);
          if (scheduler && interval === 'batch') scheduler.step();
        } finally {
          endScope(s);
        }
        if (!Number.isFinite(lossValue)) {
          throw new Error(`fit: the loss became ${lossValue} at epoch ${epoch + 1}, step ${step + 1}; try a smaller learning rate`);
        }
        step++;
        ctx.globalStep++;
        lossSum += lossValue * bs;
        samples += bs;
        const running: Logs = { loss: lossSum / samples };
        for (const m of trainMetrics) running[m.name] = m.compute();
        progress.update(step, samples, running);
        for (const cb of callbacks) await cb.onBatchEnd?.(step, { ...running, batchLoss: lossValue, batchSize: bs }, ctx);
        if (opts.signal?.aborted) { ctx.stopTraining = true; break; }
      }
      const logs: Logs = { loss: samples ? lossSum / samples : NaN };
      for (const m of trainMetrics) logs[m.name] = m.compute();
      if (val && !opts.signal?.aborted) Object.assign(logs, await runEval(model, val, opts.loss, valMetrics, opts.forward, 'val'));
      logs.lr = lr();
      progress.endEpoch(samples, logs);
      if (scheduler && interval === 'epoch') {
        if (scheduler instanceof ReduceLROnPlateau) {
          const key = opts.schedulerMonitor ?? (val ? 'valLoss' : 'loss');
          const v = logs[key];
          if (typeof v !== 'number') throw new Error(`fit: ReduceLROnPlateau watches '${key}', which the logs lack (they have: ${Object.keys(logs).join(', ')})`);
          scheduler.step(v);
        } else {
          scheduler.step();
        }
      }
      history.epoch.push(epoch + 1);
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      if (!val) history.valLoss.push(NaN);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, ctx);
      if (opts.signal?.aborted) ctx.stopTraining = true;
    }
  } finally {
    for (const cb of callbacks) await cb.onTrainEnd?.(ctx);
  }
  return history;
}

/** A fresh accumulator of the same kind for validation (metric objects carry state). */
function cloneMetric(m: Metric): Metric {
  if (typeof m.clone === 'function') return m.clone();
  throw new Error(`fit: metric '${m.name}' is used for training and validation, so it needs a clone() method that makes a fresh one`);
}
