// Where a fit() run is, as plain JSON: epoch and step, the loader's and the generator's state at the
// epoch's start and after the last step, running sums, metric/scheduler/callback state and history —
// what a checkpoint holds so that a resumed run continues exactly (the same batches, draws and weights).

import type { RngState } from '../tensor/random.js';
import type { DataLoaderState } from '../data/loader.js';
import type { History } from './callbacks.js';

/** JSON values (what checkpoint metadata can hold). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface FitState {
  /** Layout version of this record. */
  version: 1;
  /** The epoch in progress or next to run (0-based). */
  epoch: number;
  /** Steps done in that epoch (0: it has not begun). */
  step: number;
  /** Steps done in all epochs. */
  globalStep: number;
  /** The global generator and the train loader (if a DataLoader) when the epoch began. */
  epochStartRng: RngState;
  epochStartLoader: DataLoaderState | null;
  /** The global generator after the last step. */
  rng: RngState;
  /** Sample-weighted loss sum and sample count of the epoch so far. */
  lossSum: number;
  samples: number;
  /** Seconds spent in the epoch so far (for samples/s; not part of what is reproduced). */
  seconds: number;
  /** Each training metric's state (null for a metric without state()). */
  metrics: (JsonValue | null)[];
  /** The scheduler's stateDict(), if it has one. */
  scheduler: JsonValue | null;
  /** Each callback's state() (null for one without). */
  callbacks: (JsonValue | null)[];
  history: History;
}

/** Checks that a value read from a file is a FitState (the fields fit() relies on), naming the file. */
export function checkFitState(v: unknown, where: string): FitState {
  const s = v as Partial<FitState> | null;
  const bad = (what: string): never => { throw new Error(`${where}: the training state is malformed (${what})`); };
  if (!s || typeof s !== 'object') bad('not an object');
  if (s!.version !== 1) bad(`version ${JSON.stringify(s!.version)}, expected 1`);
  for (const k of ['epoch', 'step', 'globalStep', 'samples'] as const) {
    if (!Number.isSafeInteger(s![k]) || s![k]! < 0) bad(`${k} is ${JSON.stringify(s![k])}`);
  }
  for (const k of ['epochStartRng', 'rng'] as const) {
    const r = s![k];
    if (!r || typeof r !== 'object' || typeof r.seedLo !== 'number' || typeof r.seedHi !== 'number' || typeof r.counter !== 'number') bad(`${k} is not a generator state`);
  }
  if (typeof s!.lossSum !== 'number') bad('lossSum is not a number');
  if (!Array.isArray(s!.metrics) || !Array.isArray(s!.callbacks)) bad('metrics or callbacks is not a list');
  const h = s!.history as History | undefined;
  if (!h || typeof h !== 'object' || !Array.isArray(h.epoch)) bad('history has no epoch list');
  return s as FitState;
}
