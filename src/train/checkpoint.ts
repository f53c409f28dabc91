// A training run as one checkpoint: model weights, optimizer state, fit()'s FitState and a config,
// as the CheckpointData that nabla/node's saveCheckpoint writes (browser-safe), and back again.

import type { Module } from '../nn/module.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { CheckpointData, Json } from '../io/checkpoint.js';
import { toRecords, fromRecords } from '../io/tensors.js';
import { optimizerToCheckpoint, optimizerFromCheckpoint } from '../io/state.js';
import { checkFitState, type FitState } from './fit-state.js';

/** What a checkpoint needs of an optimizer (every nabla optimizer has it). */
export interface StatefulOptimizer {
  stateDict(): OptimizerStateDict;
  loadStateDict(sd: OptimizerStateDict): void;
}

/** The metadata key of the FitState (JSON). */
const FIT_KEY = 'nabla_fit';

export interface TrainingCheckpointParts {
  model: Module;
  optimizer?: StatefulOptimizer;
  /** ctx.state() of fit(): where the run is, so that fit({resume}) continues exactly. */
  state?: FitState;
  /** The run's configuration (what rebuilding the model and data needs). */
  config?: Json;
  extra?: Record<string, string>;
}

/** Builds the checkpoint of a run (copies of the weights and optimizer state). */
export function trainingCheckpoint(p: TrainingCheckpointParts): CheckpointData {
  const ck: CheckpointData = { model: toRecords(p.model.stateDict()), extra: { ...(p.extra ?? {}) } };
  if (p.optimizer) {
    const sd = p.optimizer.stateDict();
    try {
      ck.optimizer = optimizerToCheckpoint(sd);
    } finally {
      for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
    }
  }
  if (p.state) {
    ck.epoch = p.state.epoch;
    ck.step = p.state.step;
    ck.rng = p.state.rng as unknown as Json;
    ck.extra![FIT_KEY] = JSON.stringify(p.state);
  }
  if (p.config !== undefined) ck.config = p.config;
  return ck;
}

/**
 * Loads a checkpoint's weights into `model` (and its optimizer state into `optimizer`, when given) and
 * returns its FitState for fit({resume}), or null when it holds none (a plain weights file).
 * `where` (a file name) goes into error messages.
 */
export function restoreTraining(ck: CheckpointData, model: Module, optimizer?: StatefulOptimizer, where = 'checkpoint'): FitState | null {
  const tensors = fromRecords(ck.model);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  if (optimizer) {
    if (!ck.optimizer) throw new Error(`${where}: holds no optimizer state to resume from`);
    const sd = optimizerFromCheckpoint(ck.optimizer, where);
    try {
      optimizer.loadStateDict(sd);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    } finally {
      for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
    }
  }
  const raw = ck.extra?.[FIT_KEY];
  if (raw === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${where}: the training state (${FIT_KEY}) is not valid JSON`);
  }
  return checkFitState(parsed, where);
}
