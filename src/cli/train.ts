// `nabla train`: trains an image classifier on Fashion-MNIST with a live progress bar, validation
// each epoch, best/last checkpoints, metrics.jsonl and report.html; Ctrl-C stops after the current
// step and keeps a checkpoint that `--resume` continues from exactly.

import { mkdirSync, appendFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from '../index.js';
import type { Tensor } from '../tensor/tensor.js';
import { TensorDataset } from '../data/dataset.js';
import { DataLoader, type DataLoaderState } from '../data/loader.js';
import { crossEntropy } from '../nn/loss.js';
import type { Module } from '../nn/module.js';
import { Adam, AdamW, SGD, OneCycleLR, CosineAnnealingLR, type Optimizer, type LRScheduler } from '../optim/index.js';
import { getRngState, setRngState, manualSeed, type RngState } from '../tensor/random.js';
import { saveCheckpoint, loadCheckpoint } from '../io/node-files.js';
import { toRecords, fromRecords } from '../io/tensors.js';
import { optimizerToCheckpoint, loadOptimizerFromCheckpoint } from '../io/state.js';
import type { Json } from '../io/checkpoint.js';
import { parseArgs, helpText, UsageError, type FlagSpec } from './args.js';
import { loadData, augmentBatch, type LoadedData } from './data.js';
import { buildModel, MODEL_NAMES, type ModelName } from './models.js';
import { evaluate } from './evaluate.js';
import { Progress } from '../train/progress.js';
import { renderReport, type EpochRow } from './report.js';
import { pngDataUri } from './images.js';
import { backendFacts, setThreads } from './runtime.js';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string', default: 'cnn', choices: MODEL_NAMES, help: 'network to train' },
  epochs: { type: 'int', default: 5, min: 1, help: 'passes over the training set' },
  'batch-size': { type: 'int', default: 64, min: 1, help: 'samples per step' },
  lr: { type: 'number', help: 'peak learning rate (default: 0.003 for adam/adamw, 0.05 for sgd)', min: 0 },
  optimizer: { type: 'string', default: 'adamw', choices: ['adam', 'adamw', 'sgd'], help: 'optimizer' },
  'weight-decay': { type: 'number', default: 0.0005, min: 0, help: 'L2 weight decay' },
  dropout: { type: 'number', min: 0, help: 'dropout probability (default: 0 for mlp, 0.25 for cnn and resnet-small)' },
  schedule: { type: 'string', default: 'onecycle', choices: ['onecycle', 'cosine', 'constant'], help: 'learning-rate schedule' },
  'label-smoothing': { type: 'number', default: 0, min: 0, help: 'cross-entropy label smoothing' },
  augment: { type: 'boolean', default: false, help: 'random shifts of up to 2 pixels and horizontal flips' },
  seed: { type: 'int', default: 1, help: 'random seed (weights, shuffling, dropout, augmentation)' },
  threads: { type: 'int', min: 1, help: 'worker threads (default: all cores)' },
  out: { type: 'string', help: 'output directory (default: runs/<model>-<time>)' },
  resume: { type: 'boolean', default: false, help: 'continue the run in --out from its last checkpoint' },
  patience: { type: 'int', default: 0, min: 0, help: 'stop early after this many epochs without a better validation accuracy (0: never)' },
  'val-size': { type: 'int', default: 5000, min: 0, help: 'training images held out for validation' },
  limit: { type: 'int', default: 0, min: 0, help: 'use only this many training images (0: all)' },
  sample: { type: 'boolean', default: false, help: 'use the small sample shipped with nabla instead of the full data set' },
  data: { type: 'string', help: 'directory holding the IDX files (default: $NABLA_DATA, cache, /usr/share/datasets)' },
  quiet: { type: 'boolean', default: false, help: 'no progress bar, only epoch lines' },
};

export const TRAIN_HELP = helpText('train', '[fashion-mnist] [options]',
  'Trains a classifier and writes best.safetensors, last.safetensors, metrics.jsonl and report.html to --out.', TRAIN_FLAGS);

interface Config {
  dataset: string; model: ModelName; epochs: number; batchSize: number; lr: number; optimizer: string;
  weightDecay: number; dropout: number; schedule: string; labelSmoothing: number; augment: boolean;
  seed: number; valSize: number; limit: number; sample: boolean;
}

/** Where a run is, saved in every checkpoint (JSON). */
interface RunState {
  epoch: number; // epochs completed
  step: number; // steps completed within the current epoch
  globalStep: number;
  rng: RngState; // global generator after the last completed step
  loader: DataLoaderState; // the loader's state at the start of the current epoch
  scheduler: Record<string, unknown> | null;
  history: EpochRow[];
  bestValAcc: number;
  sinceBest: number;
  epochLoss: number; epochCorrect: number; epochSeen: number; epochSeconds: number;
}

function makeOptimizer(c: Config, model: Module): Optimizer {
  const params = model.parameters();
  if (c.optimizer === 'sgd') return new SGD(params, { lr: c.lr, momentum: 0.9, nesterov: true, weightDecay: c.weightDecay });
  if (c.optimizer === 'adam') return new Adam(params, { lr: c.lr, weightDecay: c.weightDecay });
  return new AdamW(params, { lr: c.lr, weightDecay: c.weightDecay * 100 });
}

function makeScheduler(c: Config, opt: Optimizer, stepsPerEpoch: number): LRScheduler | null {
  const total = c.epochs * stepsPerEpoch;
  if (c.schedule === 'onecycle') return new OneCycleLR(opt, { maxLr: c.lr, totalSteps: total, pctStart: 0.25 }) as unknown as LRScheduler;
  if (c.schedule === 'cosine') return new CosineAnnealingLR(opt, { tMax: total }) as unknown as LRScheduler;
  return null;
}

/** For tests: behave as if Ctrl-C came during this global step (the same path as a real SIGINT). */
export interface TrainHooks { interruptAtStep?: number }

export async function trainCommand(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s + '\n'), hooks: TrainHooks = {}): Promise<number> {
  const { positionals, flags } = parseArgs(argv, TRAIN_FLAGS, 'train');
  if (positionals.length > 1) throw new UsageError(`train: expected at most one dataset, got ${positionals.join(' ')}`);
  const f = flags as Record<string, never>;
  const c: Config = {
    dataset: positionals[0] ?? 'fashion-mnist', model: f.model, epochs: f.epochs, batchSize: f['batch-size'],
    lr: f.lr ?? (f.optimizer === 'sgd' ? 0.05 : 0.003), optimizer: f.optimizer, weightDecay: f['weight-decay'],
    dropout: f.dropout ?? (f.model === 'mlp' ? 0 : 0.25), schedule: f.schedule, labelSmoothing: f['label-smoothing'], augment: f.augment, seed: f.seed,
    valSize: f['val-size'], limit: f.limit, sample: f.sample,
  };
  if (c.dataset !== 'fashion-mnist') throw new UsageError(`train: unknown dataset '${c.dataset}' (available: fashion-mnist)`);
  if (c.dropout >= 1) throw new UsageError(`train: --dropout must be below 1, got ${c.dropout}`);
  if (f.threads) await setThreads(f.threads);
  const out: string = f.out ?? join('runs', `${c.model}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  const lastPath = join(out, 'last.safetensors'), bestPath = join(out, 'best.safetensors');
  if (f.resume && !existsSync(lastPath)) throw new UsageError(`train: --resume needs a checkpoint at ${lastPath}, and there is none`);
  mkdirSync(out, { recursive: true });

  manualSeed(c.seed);
  const data = loadData({ dataset: c.dataset, sample: c.sample, limit: c.limit, valSize: c.valSize, seed: c.seed, root: f.data }, log);
  const classes = data.classes.length;
  const model = buildModel(c.model, classes, c.dropout);
  const optimizer = makeOptimizer(c, model);
  const ds = new TensorDataset(
    nb.keep(nb.tensor(data.train.x, { shape: [data.train.n, 1, 28, 28] })),
    nb.keep(nb.tensor(data.train.y, { shape: [data.train.n] })),
  );
  const loader = new DataLoader(ds, { batchSize: c.batchSize, shuffle: true, seed: c.seed });
  const stepsPerEpoch = Math.ceil(data.train.n / c.batchSize);
  const scheduler = makeScheduler(c, optimizer, stepsPerEpoch);

  let st: RunState = {
    epoch: 0, step: 0, globalStep: 0, rng: getRngState(), loader: loader.getState(), scheduler: null, history: [],
    bestValAcc: -1, sinceBest: 0, epochLoss: 0, epochCorrect: 0, epochSeen: 0, epochSeconds: 0,
  };
  if (f.resume) {
    const ck = await loadCheckpoint(lastPath);
    const saved = ck.config as unknown as Config;
    for (const k of ['model', 'epochs', 'batchSize', 'optimizer', 'seed', 'limit', 'valSize', 'sample'] as const) {
      if (saved && saved[k] !== c[k]) throw new UsageError(`train: --resume with a different ${k} (${String(c[k])}) than the run in ${out} (${String(saved[k])})`);
    }
    const tensors = fromRecords(ck.model);
    model.loadStateDict(tensors);
    for (const t of Object.values(tensors)) t.dispose();
    if (ck.optimizer) loadOptimizerFromCheckpoint(optimizer, ck.optimizer, `checkpoint ${lastPath}`);
    st = (ck.extra ? JSON.parse(ck.extra['run'] ?? 'null') : null) as RunState;
    if (!st) throw new Error(`checkpoint ${lastPath}: no run state (was it written by nabla train?)`);
    if (scheduler && st.scheduler) scheduler.loadStateDict(st.scheduler);
    log(`resuming ${out} at epoch ${st.epoch + 1}, step ${st.step}`);
  } else {
    writeFileSync(join(out, 'metrics.jsonl'), '');
  }
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...c, out, backend: backendFacts() }, null, 2) + '\n');
  log(`${c.model}: ${model.numParameters().toLocaleString('en-US')} parameters · ${data.train.n} train / ${data.val?.n ?? 0} val / ${data.test.n} test images (${data.source}) · ${Object.entries(backendFacts()).map(([k, v]) => `${k} ${v}`).join(', ')}`);

  const save = async (path: string): Promise<void> => {
    const runJson = JSON.stringify({ ...st, scheduler: scheduler ? scheduler.stateDict() : null });
    const optSd = optimizer.stateDict();
    await saveCheckpoint(path, {
      model: toRecords(model.stateDict()), optimizer: optimizerToCheckpoint(optSd),
      epoch: st.epoch, step: st.step, config: c as unknown as Json, extra: { 'run': runJson },
    });
    for (const s of Object.values(optSd.state)) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
  };

  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)…\n');
  };
  process.on('SIGINT', onSigint);
  try {
    while (st.epoch < c.epochs && !interrupted) {
      if (st.step === 0) {
        st.loader = loader.getState();
        st.epochLoss = 0; st.epochCorrect = 0; st.epochSeen = 0; st.epochSeconds = 0;
      }
      loader.setState(st.loader);
      setRngState(st.rng);
      const bar = new Progress(f.quiet ? { mode: 'lines', every: Number.MAX_SAFE_INTEGER } : {});
      bar.startEpoch(st.epoch + 1, c.epochs, stepsPerEpoch);
      const t0 = performance.now() - st.epochSeconds * 1000;
      let i = 0;
      model.train();
      for (const [x, y] of loader as Iterable<[Tensor, Tensor]>) {
        if (i++ < st.step) continue; // resuming: the same order, up to where the run stopped
        const n = y.shape[0]!;
        let input = x;
        if (c.augment) {
          const px = x.dataSync() as Float32Array;
          augmentBatch(px, n);
          input = nb.tensor(px, { shape: x.shape });
        }
        const logits = model.forward(input) as Tensor;
        const loss = crossEntropy(logits, y, { labelSmoothing: c.labelSmoothing });
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        scheduler?.step();
        const l = loss.item();
        if (!Number.isFinite(l)) throw new Error(`train: the loss became ${l} at epoch ${st.epoch + 1}, step ${st.step + 1}; try a lower --lr`);
        const correct = logits.argmax(1).eq(y).sum().item();
        st.step++; st.globalStep++;
        if (hooks.interruptAtStep === st.globalStep) interrupted = true;
        st.epochLoss += l * n; st.epochCorrect += correct; st.epochSeen += n;
        st.epochSeconds = (performance.now() - t0) / 1000;
        st.rng = getRngState();
        bar.update(st.step, st.epochSeen, { loss: st.epochLoss / st.epochSeen, acc: st.epochCorrect / st.epochSeen });
        if (interrupted) break;
      }
      if (interrupted) {
        bar.log(`interrupted at step ${st.step} of epoch ${st.epoch + 1}`);
        await save(lastPath);
        log(`saved ${lastPath}; continue with: nabla train --out ${out} --resume (and the same options)`);
        return 130;
      }
      const val = data.val ? evaluate(model, data.val, classes) : null;
      const row: EpochRow = {
        epoch: st.epoch + 1, trainLoss: st.epochLoss / st.epochSeen, trainAcc: st.epochCorrect / st.epochSeen,
        valLoss: val?.loss, valAcc: val?.accuracy, seconds: st.epochSeconds, samplesPerSec: st.epochSeen / st.epochSeconds,
        lr: (optimizer.paramGroups[0]!.lr as number),
      };
      st.history.push(row);
      bar.endEpoch(st.epochSeen, { loss: row.trainLoss, acc: row.trainAcc, ...(val ? { val_loss: val.loss, val_acc: val.accuracy } : {}) });
      appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify(row) + '\n');
      st.epoch++; st.step = 0;
      const score = val ? val.accuracy : row.trainAcc;
      const improved = score > st.bestValAcc;
      if (improved) { st.bestValAcc = score; st.sinceBest = 0; } else st.sinceBest++;
      await save(lastPath);
      if (improved) await save(bestPath);
      if (f.patience > 0 && st.sinceBest >= f.patience) {
        log(`early stopping: no better validation accuracy for ${f.patience} epoch(s)`);
        break;
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (interrupted) {
    log(`stopped after epoch ${st.epoch}; ${lastPath} holds it; continue with: nabla train --out ${out} --resume (and the same options)`);
    return 130;
  }
  await finish(out, bestPath, model, data, c, st.history, log);
  return 0;
}

/** Loads the best weights, evaluates on the test set, writes report.html and prints the result. */
async function finish(out: string, bestPath: string, model: Module, data: LoadedData, c: Config, history: EpochRow[], log: (s: string) => void): Promise<void> {
  const ck = await loadCheckpoint(bestPath);
  const tensors = fromRecords(ck.model);
  model.loadStateDict(tensors);
  for (const t of Object.values(tensors)) t.dispose();
  const ev = evaluate(model, data.test, data.classes.length, { keepMistakes: 40 });
  const report = renderReport({
    title: `nabla train — ${c.model} on ${c.dataset}`, config: { ...c }, epochs: history,
    testAccuracy: ev.accuracy, testLoss: ev.loss, classes: data.classes, confusion: ev.confusion, perClass: ev.perClass,
    misclassified: ev.mistakes.map((m) => ({ ...m, png: pngDataUri(data.test.raw.subarray(m.index * 784, (m.index + 1) * 784), 28, 28) })),
    backend: backendFacts(), dataSource: data.source,
  });
  writeFileSync(join(out, 'report.html'), report);
  appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify({ test: { loss: ev.loss, accuracy: ev.accuracy } }) + '\n');
  log(`test accuracy ${(100 * ev.accuracy).toFixed(2)}% (loss ${ev.loss.toFixed(4)}) with the best checkpoint · wrote ${join(out, 'report.html')}`);
}
