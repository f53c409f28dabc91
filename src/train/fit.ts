// fit(): the training loop — epochs of scoped steps (a batch → loss step, backward, clipping, optimizer
// and scheduler steps), validation, metrics, callbacks, progress, Ctrl-C between steps, and an exact
// resume from a FitState (a checkpoint's record of where a run was, mid-epoch included).

import { Tensor } from '../tensor/tensor.js';
import { beginScope, endScope } from '../tensor/memory.js';
import { getRngState, setRngState } from '../tensor/random.js';
import type { Module } from '../nn/module.js';
import { DataLoader } from '../data/loader.js';
import { ReduceLROnPlateau } from '../optim/plateau.js';
import { OneCycleLR } from '../optim/one-cycle.js';
import { clipGradNorm } from '../optim/clip.js';
import { createMetric, type Metric, type MetricName } from './metrics.js';
import { Progress, type ProgressMode, type ProgressStream } from './progress.js';
import type { Callback, History, Logs, OptimizerLike, TrainContext } from './callbacks.js';
import { defaultStep, iterate, runEval, stepParts, type Batches, type LossFn, type StepFn } from './step.js';
import { checkFitState, type FitState, type JsonValue } from './fit-state.js';
import { eventLoopTurn } from './yield.js';

export { evaluate, type EvaluateOptions, type Batch, type Batches, type LossFn, type StepFn, type StepResult } from './step.js';

/** A learning-rate scheduler: nabla's (StepLR, OneCycleLR, ReduceLROnPlateau, …) or anything with step(). */
export interface SchedulerLike {
  step(metric?: number): void;
  stateDict?(): Record<string, unknown>;
  loadStateDict?(sd: Record<string, unknown>): void;
}

export interface FitOptions {
  train: Batches;
  val?: Batches;
  /** The loss of (output, target); not needed when `step` is given. */
  loss?: LossFn;
  optimizer: OptimizerLike;
  epochs: number;
  /** Start at this epoch (0-based), e.g. when resuming from a checkpoint that holds no FitState. */
  initialEpoch?: number;
  /** Continue a run exactly where it stopped (a FitState from a checkpoint); the model and optimizer must already hold its weights and state. */
  resume?: FitState;
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
  /** Stops after the current step when aborted (Ctrl-C); ctx.interrupted and ctx.state() say where. */
  signal?: AbortSignal;
  /** The forward pass (default model.forward(x)). */
  forward?: (model: Module, input: Tensor) => Tensor;
  /** A batch → loss function (and output/target for the metrics), instead of forward + loss. */
  step?: StepFn;
  /** The same for validation (default: `step`), run in eval mode without grad. */
  evalStep?: StepFn;
  /** Clip the gradients' global L2 norm to this before each optimizer step (0 or absent: no clipping). */
  clipGradNorm?: number;
}

/** Metrics, scheduler and callbacks: their state as JSON, or null where they keep none. */
function stateOf(o: { state?(): JsonValue } | { stateDict?(): Record<string, unknown> } | undefined): JsonValue | null {
  if (!o) return null;
  if ('state' in o && typeof o.state === 'function') return o.state();
  if ('stateDict' in o && typeof o.stateDict === 'function') return structuredClone(o.stateDict()) as JsonValue;
  return null;
}

/** JSON turned NaN into null: back to NaN in history lists. */
function historyFromJson(h: History): History {
  const out: History = { epoch: [], loss: [], valLoss: [], lr: [] };
  for (const [k, v] of Object.entries(h)) out[k] = (v as (number | null)[]).map((x) => (x === null ? NaN : x));
  return out;
}

/**
 * Trains `model` for `epochs` epochs and returns the history. Each step — zeroGrad, forward and loss
 * (or the `step` function), backward, clipping, optimizer step — runs in its own scope, so memory
 * stays flat. Validation (if given) runs after each epoch in eval mode without grad. Between steps the
 * event loop gets a turn (at most every 15 ms), so a signal or a UI event is seen mid-epoch.
 */
export async function fit(model: Module, opts: FitOptions): Promise<History> {
  const { train, val, optimizer, epochs } = opts;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!optimizer || typeof optimizer.step !== 'function') throw new TypeError('fit: optimizer must have step() and zeroGrad()');
  if (!opts.loss && !opts.step) throw new TypeError('fit: give a loss function (e.g. loss: F.crossEntropy) or a step function');
  const clip = opts.clipGradNorm ?? 0;
  if (!(clip >= 0)) throw new RangeError(`fit: clipGradNorm must be ≥ 0, got ${clip}`);
  const resume = opts.resume ? checkFitState(opts.resume, 'fit: resume') : null;
  const trainStep = opts.step ?? defaultStep('fit', opts.loss, opts.forward);
  const evalStep = opts.evalStep ?? (opts.step ? opts.step : defaultStep('fit', opts.loss, opts.forward));
  const trainMetrics = (opts.metrics ?? []).map(createMetric);
  const valMetrics = (opts.metrics ?? []).map((m) => createMetric(typeof m === 'string' ? m : cloneMetric(m)));
  const callbacks = opts.callbacks ?? [];
  const verbose = opts.verbose ?? true;
  const progress = new Progress({
    stream: opts.stream,
    mode: verbose === true ? 'auto' : verbose === false ? 'none' : verbose,
    every: opts.logEvery,
  });
  const scheduler = opts.scheduler;
  const interval = opts.schedulerInterval ?? (scheduler instanceof OneCycleLR ? 'batch' : 'epoch');
  const lr = (): number => optimizer.paramGroups?.[0]?.lr ?? NaN;
  const params = clip > 0 ? model.parameters() : [];
  const loader = train instanceof DataLoader ? train : null;
  const total = loader ? (loader.hasLength ? loader.length : undefined) : Array.isArray(train) ? train.length : undefined;

  // Where the run is; ctx.state() reads it, so a callback can checkpoint at any step or epoch end.
  const pos = {
    epoch: opts.initialEpoch ?? 0, step: 0, lossSum: 0, samples: 0, seconds: 0,
    epochStartRng: getRngState(), epochStartLoader: loader?.getState() ?? null, rng: getRngState(),
  };
  let history: History = { epoch: [], loss: [], valLoss: [], lr: [] };
  const ctx: TrainContext = {
    model, optimizer, epoch: pos.epoch, epochs, step: 0, globalStep: 0, stopTraining: false, interrupted: false, history,
    log: (t) => progress.log(t),
    state: (): FitState => ({
      version: 1, epoch: pos.epoch, step: pos.step, globalStep: ctx.globalStep,
      epochStartRng: { ...pos.epochStartRng }, epochStartLoader: pos.epochStartLoader ? { ...pos.epochStartLoader } : null,
      rng: { ...pos.rng }, lossSum: pos.lossSum, samples: pos.samples, seconds: pos.seconds,
      metrics: trainMetrics.map((m) => stateOf(m)), scheduler: stateOf(scheduler), callbacks: callbacks.map((c) => stateOf(c)),
      history: structuredClone(history),
    }),
  };
  if (resume) {
    if (resume.metrics.length !== trainMetrics.length) throw new Error(`fit: resume: the state has ${resume.metrics.length} metrics, this run ${trainMetrics.length}`);
    if (resume.callbacks.length !== callbacks.length) throw new Error(`fit: resume: the state has ${resume.callbacks.length} callbacks' states, this run ${callbacks.length} callbacks`);
    history = historyFromJson(resume.history);
    ctx.history = history;
    ctx.globalStep = resume.globalStep;
    pos.epoch = resume.epoch;
    if (resume.scheduler !== null) {
      if (!scheduler?.loadStateDict) throw new Error('fit: resume: the state holds a scheduler state, and this run has no scheduler that can load it');
      scheduler.loadStateDict(resume.scheduler as Record<string, unknown>);
    }
    callbacks.forEach((c, i) => { if (resume.callbacks[i] !== null) c.loadState?.(resume.callbacks[i]!); });
  }
  let turn = performance.now();

  for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
  try {
    for (let epoch = pos.epoch; epoch < epochs && !ctx.stopTraining; epoch++) {
      const at = resume && epoch === resume.epoch ? resume : null;
      ctx.epoch = epoch;
      pos.epoch = epoch;
      if (at) {
        if (at.epochStartLoader && loader) loader.setState(at.epochStartLoader);
        setRngState(at.epochStartRng);
      }
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
      model.train();
      for (const m of trainMetrics) m.reset();
      Object.assign(pos, { step: 0, lossSum: 0, samples: 0, seconds: 0, epochStartRng: getRngState(), epochStartLoader: loader?.getState() ?? null, rng: getRngState() });
      const skip = at?.step ?? 0;
      if (at) {
        Object.assign(pos, { step: at.step, lossSum: at.lossSum, samples: at.samples, seconds: at.seconds, rng: { ...at.rng } });
        trainMetrics.forEach((m, i) => { if (at.metrics[i] !== null) m.loadState?.(at.metrics[i]!); });
        // Resuming at an epoch's start: the generator is where the run left it (after validation).
        if (skip === 0) setRngState(at.rng);
      }
      progress.startEpoch(epoch + 1, epochs, total);
      const t0 = performance.now() - pos.seconds * 1000;
      let index = 0;
      for await (const b of iterate(train)) {
        if (index < skip) {
          // The batches the interrupted run had done: loaded (so the loader is where it was) and passed
          // over; before the next one loads, the generator is put back to where the last step left it.
          if (++index === skip) setRngState(at!.rng);
          continue;
        }
        index++;
        const s = beginScope();
        let lossValue: number;
        let bs: number;
        try {
          optimizer.zeroGrad();
          const r = stepParts('fit', trainStep(model, b), true);
          r.loss!.backward();
          if (clip > 0) clipGradNorm(params, clip);
          optimizer.step();
          lossValue = r.loss!.item();
          bs = r.size;
          if (r.output && r.target) for (const m of trainMetrics) m.update(r.output.detach(), r.target);
          if (scheduler && interval === 'batch') scheduler.step();
        } finally {
          endScope(s);
        }
        if (!Number.isFinite(lossValue)) {
          throw new Error(`fit: the loss became ${lossValue} at epoch ${epoch + 1}, step ${pos.step + 1}; try a smaller learning rate`);
        }
        pos.step++;
        ctx.step = pos.step;
        ctx.globalStep++;
        pos.lossSum += lossValue * bs;
        pos.samples += bs;
        pos.seconds = (performance.now() - t0) / 1000;
        pos.rng = getRngState();
        const running: Logs = { loss: pos.samples ? pos.lossSum / pos.samples : NaN };
        for (const m of trainMetrics) running[m.name] = m.compute();
        progress.update(pos.step, pos.samples, running);
        for (const cb of callbacks) await cb.onBatchEnd?.(pos.step, { ...running, batchLoss: lossValue, batchSize: bs, lr: lr() }, ctx);
        if (performance.now() - turn > 15) {
          await eventLoopTurn();
          turn = performance.now();
        }
        if (opts.signal?.aborted) break;
      }
      if (opts.signal?.aborted) {
        // Mid-epoch: the epoch is not over, so it is not logged; ctx.state() says where to resume.
        ctx.interrupted = true;
        ctx.stopTraining = true;
        break;
      }
      const logs: Logs = { loss: pos.samples ? pos.lossSum / pos.samples : NaN };
      for (const m of trainMetrics) logs[m.name] = m.compute();
      if (val) Object.assign(logs, await runEval(model, val, evalStep, valMetrics, 'val', undefined, opts.loss !== undefined));
      logs.lr = lr();
      progress.endEpoch(pos.samples, logs);
      if (scheduler && interval === 'epoch') {
        if (scheduler instanceof ReduceLROnPlateau) {
          const key = opts.schedulerMonitor ?? (val ? 'valLoss' : 'loss');
          const v = logs[key];
          if (typeof v !== 'number') throw new Error(`fit: ReduceLROnPlateau watches '${key}', which the logs have not (they have: ${Object.keys(logs).join(', ')})`);
          scheduler.step(v);
        } else {
          scheduler.step();
        }
      }
      history.epoch.push(epoch + 1);
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      if (!('valLoss' in logs)) history.valLoss.push(NaN);
      // The next epoch's start, as the callbacks (checkpoints) see it.
      Object.assign(pos, {
        epoch: epoch + 1, step: 0, lossSum: 0, samples: 0, seconds: 0,
        epochStartRng: getRngState(), epochStartLoader: loader?.getState() ?? null, rng: getRngState(),
      });
      for (const m of trainMetrics) m.reset();
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, ctx);
      if (opts.signal?.aborted && epoch + 1 < epochs) {
        ctx.interrupted = true;
        ctx.stopTraining = true;
      }
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
