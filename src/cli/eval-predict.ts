// `nabla eval CHECKPOINT` (accuracy, per-class precision/recall, confusion matrix on the test set)
// and `nabla predict CHECKPOINT image.png…` (top classes with probabilities).

import { existsSync } from 'node:fs';
import { loadCheckpoint } from '../io/node-files.js';
import { fromRecords } from '../io/tensors.js';
import { readPngFile } from '../data/formats/png-node.js';
import { tensor } from '../tensor/create.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/graph.js';
import { softmax } from '../ops/activation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';
import { FASHION_MNIST_CLASSES } from '../data/datasets/fashion-mnist.js';
import { parseArgs, helpText, UsageError, type FlagSpec } from './args.js';
import { buildModel, MODEL_NAMES, type ModelName } from './models.js';
import { loadData, FMNIST_MEAN, FMNIST_STD } from './data.js';
import { evaluate } from './evaluate.js';

export const EVAL_FLAGS: Record<string, FlagSpec> = {
  sample: { type: 'boolean', default: false, help: 'evaluate on the shipped sample instead of the full test set' },
  data: { type: 'string', help: 'directory holding the IDX files' },
};
export const EVAL_HELP = helpText('eval', 'CHECKPOINT [fashion-mnist] [options]', 'Evaluates a checkpoint written by nabla train on the test set.', EVAL_FLAGS);
export const PREDICT_FLAGS: Record<string, FlagSpec> = {
  top: { type: 'int', default: 3, min: 1, help: 'classes to show per image' },
  invert: { type: 'boolean', default: true, help: 'treat dark-on-light images as light-on-dark like Fashion-MNIST (--no-invert to turn off)' },
};
export const PREDICT_HELP = helpText('predict', 'CHECKPOINT image.png… [options]', 'Classifies PNG images (resized to 28×28 grey) with a checkpoint.', PREDICT_FLAGS);

/** Rebuilds the model a checkpoint was trained as and loads its weights. */
async function loadModel(path: string): Promise<{ model: Module; config: Record<string, unknown> }> {
  if (!existsSync(path)) throw new UsageError(`no checkpoint at ${path}`);
  const ck = await loadCheckpoint(path);
  const config = (ck.config ?? {}) as Record<string, unknown>;
  const name = config.model as ModelName;
  if (!MODEL_NAMES.includes(name)) throw new Error(`checkpoint ${path}: it does not say which model it holds (config.model is ${JSON.stringify(config.model)}); was it written by nabla train?`);
  const model = buildModel(name, FASHION_MNIST_CLASSES.length, Number(config.dropout ?? 0));
  const tensors = fromRecords(ck.model);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`checkpoint ${path}: ${(e as Error).message}`);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  model.eval();
  return { model, config };
}

export async function evalCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { positionals, flags } = parseArgs(argv, EVAL_FLAGS, 'eval');
  if (positionals.length < 1) throw new UsageError('eval: give the checkpoint to evaluate (nabla eval runs/…/best.safetensors)');
  const [path, dataset = 'fashion-mnist'] = positionals;
  if (dataset !== 'fashion-mnist') throw new UsageError(`eval: unknown dataset '${dataset}' (available: fashion-mnist)`);
  const { model } = await loadModel(path!);
  const data = loadData({ dataset, sample: flags.sample as boolean, limit: 0, valSize: 0, seed: 0, root: flags.data as string | undefined }, log);
  const ev = evaluate(model, data.test, data.classes.length);
  log(`test accuracy ${(100 * ev.accuracy).toFixed(2)}% · loss ${ev.loss.toFixed(4)} · ${data.test.n} images (${data.source})`);
  const w = Math.max(...data.classes.map((c) => c.length));
  log(`\n${'class'.padEnd(w)}  precision  recall     F1`);
  ev.perClass.forEach((p, i) => log(`${data.classes[i]!.padEnd(w)}  ${(100 * p.precision).toFixed(2).padStart(8)}%  ${(100 * p.recall).toFixed(2).padStart(6)}%  ${p.f1.toFixed(3)}`));
  log(`\nconfusion matrix (rows: actual, columns: predicted)`);
  const cw = Math.max(5, ...ev.confusion.flat().map((v) => String(v).length + 1));
  log(' '.repeat(w) + data.classes.map((_, j) => String(j).padStart(cw)).join(''));
  ev.confusion.forEach((row, i) => log(`${data.classes[i]!.padEnd(w)}${row.map((v) => String(v).padStart(cw)).join('')}   (${i})`));
  return 0;
}

export async function predictCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { positionals, flags } = parseArgs(argv, PREDICT_FLAGS, 'predict');
  if (positionals.length < 2) throw new UsageError('predict: give a checkpoint and at least one PNG image');
  const [path, ...images] = positionals;
  for (const img of images) if (!existsSync(img)) throw new UsageError(`predict: no image at ${img}`);
  const { model } = await loadModel(path!);
  const classes = FASHION_MNIST_CLASSES;
  for (const img of images) {
    const im = readPngFile(img, { channels: 1, resize: [28, 28], invert: flags.invert as boolean });
    const x = new Float32Array(784);
    for (let i = 0; i < 784; i++) x[i] = (im.data[i]! - FMNIST_MEAN) / FMNIST_STD;
    const probs = scope(() => noGrad(() => softmax(model.forward(tensor(x, { shape: [1, 1, 28, 28] })) as Tensor, 1).dataSync()));
    const ranked = [...probs].map((p, i) => [i, p] as const).sort((a, b) => b[1] - a[1]).slice(0, flags.top as number);
    log(`${img}: ${ranked.map(([i, p]) => `${classes[i]} ${(100 * p).toFixed(1)}%`).join(', ')}`);
  }
  return 0;
}
