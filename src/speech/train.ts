// Training and evaluating the spoken-digits recogniser with the one loop (fit): batches, AdamW with
// gradient clipping and a one-cycle schedule, and the held-out-voice test with greedy and beam decoding.

import { manualSeed } from '../tensor/random.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { DataLoader } from '../data/loader.js';
import { AdamW } from '../optim/adam.js';
import { OneCycleLR } from '../optim/one-cycle.js';
import { clipGradNorm } from '../optim/clip.js';
import { fit } from '../train/fit.js';
import type { Callback, History } from '../train/callbacks.js';
import type { ProgressMode, ProgressStream } from '../train/progress.js';
import { SpeechBatches, type SpokenDigitsSplit, type SpeechBatch } from '../data/datasets/spoken-digits.js';
import { SpeechRecognizer, ctcBatchLoss, DigitErrorRate, type SpeechModelOptions } from './model.js';
import { SpeechScorer, type SpeechEvaluation } from './score.js';

export interface SpeechTrainOptions {
  epochs?: number;
  batchSize?: number;
  maxLr?: number;
  weightDecay?: number;
  /** gradient norm clip (default 5) */
  clip?: number;
  /** noise, gain and speed augmentation of the training clips (default true); false is the baseline */
  augment?: boolean;
  /** with augment: the fraction of training clips left without noise (default 0; the CLI task's --clean) */
  clean?: number;
  seed?: number;
  model?: SpeechModelOptions;
  verbose?: boolean | ProgressMode;
  stream?: ProgressStream;
  callbacks?: Callback[];
  signal?: AbortSignal;
}

/** DataLoader over a split's length-bucketed batches (shuffled each epoch when training). */
export function speechLoader(split: SpokenDigitsSplit, opts: { batchSize?: number; augment?: boolean; shuffle?: boolean; seed?: number } = {}): DataLoader<SpeechBatch, SpeechBatch> {
  const ds = new SpeechBatches(split, { batchSize: opts.batchSize ?? 32, augment: opts.augment ?? false, fixedNoiseDb: opts.augment ? null : undefined });
  return new DataLoader<SpeechBatch, SpeechBatch>(ds, { batchSize: 1, shuffle: opts.shuffle ?? false, collate: (b) => b[0]!, seed: opts.seed });
}

/**
 * Trains a SpeechRecognizer on `train` (validated on `val` each epoch). With augment false the
 * training clips are clean and fixed — the baseline the augmented model is compared with; val and
 * test clips always carry their fixed noise.
 */
export async function trainSpeechRecognizer(train: SpokenDigitsSplit, val: SpokenDigitsSplit | null, opts: SpeechTrainOptions = {}): Promise<{ model: SpeechRecognizer; history: History }> {
  const epochs = opts.epochs ?? 4;
  const seed = opts.seed ?? 0;
  manualSeed(seed);
  const model = new SpeechRecognizer(opts.model);
  const augment = opts.augment ?? true;
  // The baseline trains on the clean clips as they are: no noise, no augmentation.
  const trainDs = new SpeechBatches(train, { batchSize: opts.batchSize ?? 32, augment, clean: opts.clean, fixedNoiseDb: augment ? undefined : null });
  const trainLoader = new DataLoader<SpeechBatch, SpeechBatch>(trainDs, { batchSize: 1, shuffle: true, collate: (b) => b[0]!, seed: seed + 1 });
  const valLoader = val ? speechLoader(val, { batchSize: 64 }) : undefined;
  const adam = new AdamW(model.parameters(), { lr: opts.maxLr ?? 2e-3, weightDecay: opts.weightDecay ?? 1e-2 });
  const scheduler = new OneCycleLR(adam, { maxLr: opts.maxLr ?? 2e-3, totalSteps: epochs * trainLoader.length, pctStart: 0.15 });
  const params = model.parameters();
  const clip = opts.clip ?? 5;
  // fit() calls step() after backward: clip the gradient norm first (GRU + CTC gradients spike early).
  const optimizer = { zeroGrad: () => adam.zeroGrad(), step: () => { clipGradNorm(params, clip); return adam.step(); }, paramGroups: adam.paramGroups };
  const history = await fit(model, {
    train: trainLoader, val: valLoader, loss: ctcBatchLoss, optimizer, epochs, scheduler, schedulerInterval: 'batch',
    metrics: [new DigitErrorRate()], verbose: opts.verbose ?? true, stream: opts.stream, callbacks: opts.callbacks, signal: opts.signal,
  });
  return { model, history };
}

export type { SpeechEvaluation, Transcript } from './score.js';

/** Greedy and prefix-beam digit error rates of `model` on a split (with its fixed noise). */
export function evaluateSpeech(model: SpeechRecognizer, split: SpokenDigitsSplit, opts: { beamWidth?: number; batchSize?: number } = {}): SpeechEvaluation {
  const ds = new SpeechBatches(split, { batchSize: opts.batchSize ?? 64 });
  const wasTraining = model.training;
  model.eval();
  const scorer = new SpeechScorer(split, opts.beamWidth ?? 8);
  try {
    for (let b = 0; b < ds.length; b++) {
      scope(() => noGrad(() => {
        const [x, y] = ds.get(b);
        scorer.add(model.forward(x), y, ds.batches[b]!);
      }));
    }
  } finally {
    model.train(wasTraining);
  }
  return scorer.result();
}
