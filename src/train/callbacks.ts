// Callbacks for fit(): EarlyStopping (with best-weight restore), ModelCheckpoint (through a save
// function the caller gives), JsonlLogger (one JSON line per epoch), and the hook interface itself.

import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { clone } from '../ops/index.js';
import type { Module } from '../nn/module.js';
import type { FitState, JsonValue } from './fit-state.js';

/** What fit() needs of an optimizer (every nabla optimizer has it). */
export interface OptimizerLike {
  step(): unknown;
  zeroGrad(): void;
  paramGroups?: { lr: number }[];
}

/** Per-epoch values: loss, valLoss, metrics (accuracy, valAccuracy, …), lr. */
export type Logs = Record<string, number>;

/** The training run as callbacks see it; setting stopTraining ends fit() after the current epoch. */
export interface TrainContext {
  model: Module;
  optimizer: OptimizerLike;
  /** Epoch being run (0-based). */
  epoch: number;
  epochs: number;
  /** Steps done so far in this epoch. */
  step: number;
  /** Steps done so far, all epochs. */
  globalStep: number;
  stopTraining: boolean;
  /** Set when the signal stopped training (mid-epoch or between epochs): ctx.state() is where to resume. */
  interrupted: boolean;
  history: History;
  /** Prints a line without breaking the progress bar. */
  log(text: string): void;
  /** Where the run is now, as JSON for a checkpoint: fit({resume}) continues from it exactly. */
  state(): FitState;
}

/** What fit() returns: one entry per epoch for every key (epoch, loss, valLoss, lr, metrics…). */
export interface History {
  epoch: number[];
  loss: number[];
  valLoss: number[];
  lr: number[];
  [key: string]: number[];
}

export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  onBatchEnd?(step: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  /** The callback's own state for a checkpoint (best value, epochs waited…), and its restore. */
  state?(): JsonValue;
  loadState?(s: JsonValue): void;
}

export type Mode = 'min' | 'max' | 'auto';

/** 'auto': maximise accuracy-like keys, minimise the rest (losses, errors). */
export function resolveMode(mode: Mode, monitor: string): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== 'auto') throw new Error(`mode must be 'min', 'max' or 'auto', got '${String(mode)}'`);
  return /acc|precision|recall|f1|auc/i.test(monitor) ? 'max' : 'min';
}

function monitored(who: string, monitor: string, logs: Logs): number {
  const v = logs[monitor];
  if (typeof v !== 'number') {
    throw new Error(`${who}: the logs have no '${monitor}' (they have: ${Object.keys(logs).join(', ')}); ` +
      `pass monitor: 'loss' when there is no validation set`);
  }
  return v;
}

/** A copy of every parameter and buffer, outside every scope. */
function snapshot(model: Module): Map<string, Tensor> {
  return noGrad(() => new Map(Object.entries(model.stateDict()).map(([k, t]) => [k, keep(clone(t.detach()))] as [string, Tensor])));
}

function freeSnapshot(s: Map<string, Tensor> | null): void {
  if (s) for (const t of s.values()) t.dispose();
}

export interface EarlyStoppingOptions {
  /** The logged value to watch (default 'valLoss'). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  mode?: Mode;
  /** When training ends, load the weights of the best epoch (if it was not the last). */
  restoreBestWeights?: boolean;
  /** Stop if the value has not passed this by the end of `patience` epochs. */
  baseline?: number;
}

/** Stops training when the monitored value has not improved for `patience` epochs (Keras's EarlyStopping). */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly modeOpt: Mode;
  private readonly baseline: number | undefined;
  private mode: 'min' | 'max' = 'min';
  best = NaN;
  bestEpoch = -1;
  /** The epoch after which training was stopped, or -1. */
  stoppedEpoch = -1;
  private wait = 0;
  private weights: Map<string, Tensor> | null = null;
  private restored = false;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.monitor = opts.monitor ?? 'valLoss';
    this.patience = opts.patience ?? 0;
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.modeOpt = opts.mode ?? 'auto';
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.baseline = opts.baseline;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new Error(`EarlyStopping: patience must be a non-negative integer, got ${opts.patience}`);
    resolveMode(this.modeOpt, this.monitor);
  }

  private improves(v: number, ref: number): boolean {
    return this.mode === 'min' ? v < ref - this.minDelta : v > ref + this.minDelta;
  }

  onTrainBegin(): void {
    this.mode = resolveMode(this.modeOpt, this.monitor);
    if (this.restored) { this.restored = false; return; } // resumed: loadState() set best and wait
    this.best = this.baseline ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    freeSnapshot(this.weights);
    this.weights = null;
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    const v = monitored('EarlyStopping', this.monitor, logs);
    this.wait++;
    if (this.improves(v, this.best)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) {
        freeSnapshot(this.weights);
        this.weights = snapshot(ctx.model);
      }
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      ctx.stopTraining = true;
      ctx.log(`EarlyStopping: ${this.monitor} has not improved for ${this.wait} epoch(s); stopping (best ${this.best} at epoch ${this.bestEpoch + 1})`);
    }
  }

  state(): JsonValue {
    return { best: jsonNumber(this.best), bestEpoch: this.bestEpoch, wait: this.wait };
  }

  /** Restores best value and patience count (a resumed run keeps no snapshot of the best weights). */
  loadState(s: JsonValue): void {
    const o = s as { best: number | null; bestEpoch: number; wait: number };
    this.best = o.best === null ? NaN : o.best;
    this.bestEpoch = o.bestEpoch;
    this.wait = o.wait;
    this.restored = true;
  }

  onTrainEnd(ctx: TrainContext): void {
    // An interrupted run is to be resumed from the weights it has, so they stay.
    if (this.weights && this.restoreBestWeights && this.bestEpoch !== ctx.epoch && !ctx.interrupted) {
      ctx.model.loadStateDict(this.weights);
      ctx.log(`EarlyStopping: restored the weights of epoch ${this.bestEpoch + 1} (${this.monitor} ${this.best})`);
    }
    freeSnapshot(this.weights);
    this.weights = null;
  }
}

/** Writes a model file: fit passes the path, the model and {epoch, logs, optimizer}. */
export type SaveFn = (path: string, model: Module, extra: { epoch: number; logs: Logs; optimizer: OptimizerLike }) => Promise<void> | void;

export interface ModelCheckpointOptions {
  /** File path; '{epoch}' and '{key}' of any log value (e.g. '{valLoss}') are filled in. */
  path: string;
  /** The writer (the safetensors checkpoint layer, or your own). */
  save: SaveFn;
  monitor?: string;
  mode?: Mode;
  /** Only write when the monitored value improves (default false: every epoch). */
  saveBestOnly?: boolean;
}

/** Saves the model at the end of each epoch, or only when the monitored value improves. */
export class ModelCheckpoint implements Callback {
  readonly path: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  private readonly save: SaveFn;
  private readonly modeOpt: Mode;
  best = NaN;
  /** The paths written, in order. */
  readonly saved: string[] = [];

  constructor(opts: ModelCheckpointOptions) {
    if (typeof opts?.path !== 'string' || typeof opts.save !== 'function') throw new TypeError('ModelCheckpoint: needs {path, save}');
    this.path = opts.path;
    this.save = opts.save;
    this.monitor = opts.monitor ?? 'valLoss';
    this.modeOpt = opts.mode ?? 'auto';
    this.saveBestOnly = opts.saveBestOnly ?? false;
    resolveMode(this.modeOpt, this.monitor);
  }

  onTrainBegin(): void {
    if (this.restored) { this.restored = false; return; }
    this.best = resolveMode(this.modeOpt, this.monitor) === 'min' ? Infinity : -Infinity;
  }

  private restored = false;
  state(): JsonValue {
    return { best: jsonNumber(this.best) };
  }

  loadState(s: JsonValue): void {
    const b = (s as { best: number | null }).best;
    this.best = b === null ? NaN : b;
    this.restored = true;
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): Promise<void> {
    if (this.saveBestOnly) {
      const v = monitored('ModelCheckpoint', this.monitor, logs);
      const better = resolveMode(this.modeOpt, this.monitor) === 'min' ? v < this.best : v > this.best;
      if (!better) return;
      this.best = v;
    }
    const path = this.path.replace(/\{(\w+)\}/g, (m, key: string) => {
      if (key === 'epoch') return String(epoch + 1);
      const v = logs[key];
      return typeof v === 'number' ? v.toFixed(4) : m;
    });
    await this.save(path, ctx.model, { epoch, logs: { ...logs }, optimizer: ctx.optimizer });
    this.saved.push(path);
  }
}

export interface JsonlLoggerOptions {
  /** Receives each line (with its '\n'): fs.appendFileSync bound to a path, an array's push, … */
  write: (line: string) => void | Promise<void>;
  /** Also log every N steps (default 0: epochs only). */
  everySteps?: number;
}

/** One JSON object per line: {"type":"epoch","epoch":1,"loss":…,"valLoss":…,"time":…} (and steps when asked). */
export class JsonlLogger implements Callback {
  private readonly write: JsonlLoggerOptions['write'];
  private readonly everySteps: number;
  private t0 = 0;

  constructor(opts: JsonlLoggerOptions | JsonlLoggerOptions['write']) {
    const o = typeof opts === 'function' ? { write: opts } : opts;
    this.write = o.write;
    this.everySteps = o.everySteps ?? 0;
  }

  onTrainBegin(): void {
    this.t0 = Date.now();
  }

  async onBatchEnd(step: number, logs: Logs, ctx: TrainContext): Promise<void> {
    if (this.everySteps > 0 && ctx.globalStep % this.everySteps === 0) {
      await this.write(JSON.stringify({ type: 'step', epoch: ctx.epoch + 1, step, globalStep: ctx.globalStep, ...clean(logs) }) + '\n');
    }
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    await this.write(JSON.stringify({ type: 'epoch', epoch: epoch + 1, ...clean(logs), time: (Date.now() - this.t0) / 1000 }) + '\n');
  }
}

/** A number JSON can hold: ±Infinity (a best value not yet set) as ±Number.MAX_VALUE, NaN as null. */
function jsonNumber(v: number): number | null {
  if (Number.isNaN(v)) return null;
  return Number.isFinite(v) ? v : v > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** JSON has no NaN/Infinity: they become null. */
function clean(logs: Logs): Record<string, number | null> {
  return Object.fromEntries(Object.entries(logs).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

/** A callback from plain functions. */
export class LambdaCallback implements Callback {
  constructor(hooks: Callback) {
    Object.assign(this, hooks);
  }
}
