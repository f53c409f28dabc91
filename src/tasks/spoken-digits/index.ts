// The spoken-digits task: sequences of 1–7 digits spoken by espeak-ng voices with noise, a conv +
// bidirectional GRU recogniser trained with CTC on clips batched by length, the digit error rate on
// voices never heard in training beside the same model trained without augmentation (a baseline the
// same command trains), a report section, and `nabla predict CHECKPOINT clip.wav`.

import * as nb from '../../index.js';
import { speech } from '../../node.js';
import { UsageError } from '../../cli/args.js';
import type { Task, TaskContext } from '../task.js';
import { checkFeatures, collate, loadData, splitOf, type SpeechMeta, type SpeechTaskBatch } from './data.js';
import { speechInspector } from './inspect.js';
import { predictVerb } from './predict.js';

const MODELS = {
  crnn: '2 × Conv1d(k 5, stride 2) + BatchNorm + ReLU of 96 channels → 2-layer bidirectional GRU of 96 → linear over blank + 10 digits (CTC)',
  'crnn-small': 'the same with 48 channels and a 1-layer bidirectional GRU of 64 (quick runs, CI)',
};

const CONFIGS: Record<string, speech.SpeechModelOptions> = {
  crnn: { channels: 96, hidden: 96, layers: 2 },
  'crnn-small': { channels: 48, hidden: 64, layers: 1 },
};

/** CTC loss per digit, with the output [T, N, 11] and packed targets for DigitErrorRate; size: clips. */
function step(model: nb.nn.Module, batch: unknown): nb.train.StepResult {
  const [x, y] = batch as SpeechTaskBatch;
  const output = model.forward(x) as nb.Tensor;
  return { loss: speech.ctcBatchLoss(output, y), output, target: y, size: y.shape[0]! };
}

export const spokenDigitsTask: Task<SpeechMeta> = {
  name: 'spoken-digits',
  summary: 'speech recognition of 1–7 spoken digits (espeak-ng voices, noise), tested on voices never heard in training; `nabla predict` transcribes WAV files',
  flags: {
    augment: { type: 'boolean', default: true, help: 'fresh noise, gain, speed and vocal-tract warp for every training clip each time it is read (--no-augment: the clean clips, as the baseline)' },
    clean: { type: 'number', default: 0.2, min: 0, help: 'with --augment, the fraction of training clips left without noise each time (so clean recordings, as `nabla predict` reads them, are familiar too)' },
    'train-clips': { type: 'int', default: 6000, min: 1, help: 'training clips to build' },
    'val-clips': { type: 'int', default: 400, min: 1, help: 'validation clips (10 held-out voices)' },
    'test-clips': { type: 'int', default: 1000, min: 1, help: 'test clips (20 other held-out voices)' },
    data: { type: 'string', help: 'where the clips are cached (default: $NABLA_DATA/spoken-digits or ~/.cache/nabla/spoken-digits; built there once with espeak-ng and sox)' },
    dropout: { type: 'number', default: 0.1, min: 0, help: 'dropout before the output layer and between GRU layers' },
  },
  evalFlags: ['data'],
  defaults: { model: 'crnn', epochs: 5, 'batch-size': 32, lr: 0.002, optimizer: 'adamw', 'weight-decay': 0.01, schedule: 'onecycle', clip: 5 },
  models: MODELS,
  check(o) {
    if ((o.dropout as number) >= 1) throw new UsageError(`train: --dropout must be below 1, got ${o.dropout}`);
    if ((o.clean as number) > 1) throw new UsageError(`train: --clean is a fraction of the clips, at most 1, got ${o.clean}`);
  },
  data: (o, io, meta) => loadData(o, io, meta),
  model(name, ctx: TaskContext<SpeechMeta>) {
    checkFeatures(ctx.meta, 'spoken-digits');
    return new speech.SpeechRecognizer({ ...CONFIGS[name], dropout: ctx.options.dropout as number });
  },
  trainStep: (model, batch) => step(model, batch),
  evalStep: (model, batch) => step(model, batch),
  metrics: () => [new speech.DigitErrorRate()],
  formatMetric: (_name, v) => `${(100 * v).toFixed(2)}%`,
  evalBatchSize: 64,
  monitor: 'valDigitErrorRate',
  batchSampler(split, data, batchSize) {
    const ds = data[split];
    const s = ds && splitOf.get(ds);
    // Clips of similar length share a batch: less padding for the GRU (its reverse direction reads it first).
    return s ? new nb.data.BucketBatchSampler(s.clips.map((c) => c.length), { batchSize, shuffle: split === 'train' }) : null;
  },
  trainedBaselines: (ctx) => (ctx.options.augment ? [{
    name: 'no augmentation',
    about: 'the same model trained on the clean clips as espeak-ng spoke them: no noise, gain, speed change or vocal-tract warp',
    options: { augment: false },
  }] : []),
  inspector: (data) => speechInspector(data),
  exampleInput: (data) => collate([data.test.get(0)])[0],
  verbs: { predict: predictVerb },
};
