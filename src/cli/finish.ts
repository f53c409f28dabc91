// The parts of a run after and around fit(): the loaders and step functions of a task, and the end —
// the best weights on the test set, the baselines with the same metrics, the task's inspection and
// report.html — shared by `nabla train` and (the evaluation part) `nabla eval`.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from '../index.js';
import { loadCheckpoint } from '../node.js';
import type { AnyTask } from '../tasks/index.js';
import type { Inspection, SplitName, TaskContext, TaskData } from '../tasks/task.js';
import { clean, type RunRecorder } from './recorder.js';
import type { RunConfig } from './run-config.js';
import { renderReport, duration, type BaselineResult } from './report.js';
import { backendFacts, metricFormatter, metricsLine } from './runtime.js';

type Loader = nb.data.DataLoader<unknown, unknown>;

/**
 * The train loader (shuffled by --seed) and the validation and test loaders of a task's data — or,
 * where the task groups samples (Task.batchSampler), its batch samplers, the train one drawing from
 * the loader's stream seeded by --seed (which checkpoints hold).
 */
export function loaders(task: AnyTask, data: TaskData, ctx: TaskContext): { train: Loader; val: Loader | null; test: Loader } {
  const o = ctx.options;
  const bs = o['batch-size'] as number, ebs = task.evalBatchSize ?? bs;
  const collate = data.collate ? { collate: data.collate } : {};
  const make = (split: SplitName, ds: nb.data.Dataset<unknown>, size: number, shuffle: boolean): Loader => {
    const batchSampler = task.batchSampler?.(split, data, size, ctx) ?? null;
    const seed = shuffle ? { seed: o.seed as number } : {};
    if (batchSampler) return new nb.data.DataLoader(ds, { batchSampler, ...seed, ...collate });
    return new nb.data.DataLoader(ds, { batchSize: size, ...(shuffle ? { shuffle: true } : {}), ...seed, ...collate });
  };
  return {
    train: make('train', data.train, bs, true),
    val: data.val && data.val.length > 0 ? make('val', data.val, ebs, false) : null,
    test: make('test', data.test, ebs, false),
  };
}

/** The task's train and eval steps, or cross-entropy of model(x) against y. */
export function stepFns(task: AnyTask, ctx: TaskContext): { train: nb.train.StepFn; eval: nb.train.StepFn } {
  const dflt: nb.train.StepFn = (model, batch) => {
    const [x, y] = batch as [nb.Tensor, nb.Tensor];
    const output = model.forward(x) as nb.Tensor;
    return { loss: nb.F.crossEntropy(output, y), output, target: y };
  };
  const train: nb.train.StepFn = task.trainStep ? (m, b) => task.trainStep!(m, b, ctx) : dflt;
  const evalStep: nb.train.StepFn = task.evalStep ? (m, b) => task.evalStep!(m, b, ctx) : task.trainStep ? train : dflt;
  return { train, eval: evalStep };
}

/** The model on the test set: the metrics' logs (and loss) and the task's inspection. */
export async function testModel(task: AnyTask, ctx: TaskContext, data: TaskData, model: nb.nn.Module, test: Loader, metrics: () => nb.train.Metric[]): Promise<{ logs: nb.train.Logs; inspection: Inspection | null }> {
  const inspector = task.inspector?.(data, ctx, model) ?? null;
  const logs = await nb.train.evaluate(model, test, {
    step: stepFns(task, ctx).eval, metrics: metrics(), onBatch: inspector ? (o, t, b) => inspector.update(o, t, b) : undefined,
  });
  return { logs, inspection: inspector ? inspector.finish() : null };
}

export interface FinishArgs {
  task: AnyTask;
  ctx: TaskContext;
  data: TaskData;
  model: nb.nn.Module;
  test: Loader;
  metrics: () => nb.train.Metric[];
  monitor: string;
  recorder: RunRecorder;
  paths: { best: string; metrics: string };
  out: string;
  started: Date;
  config: RunConfig;
  sizes: Record<string, number>;
  /** Baselines trained by this command (already tested), shown after the fixed ones. */
  trained?: BaselineResult[];
  log(line: string): void;
}

/** Loads the best weights, evaluates them and the baselines on the test set, writes report.html and prints the result. */
export async function finish(a: FinishArgs): Promise<void> {
  const t0 = performance.now();
  // the recorder's clock runs on: read the training time before testing, or the test is counted twice
  const trainSeconds = a.recorder.trainSeconds;
  const { task, ctx, model } = a;
  nb.train.restoreTraining(await loadCheckpoint(a.paths.best), model, undefined, a.paths.best);
  const { logs, inspection } = await testModel(task, ctx, a.data, model, a.test, a.metrics);
  const names = a.metrics().map((m) => m.name);
  const fmt = metricFormatter(task);
  const baselines: BaselineResult[] = [];
  for (const b of task.baselines?.(a.data, ctx) ?? []) {
    const bl = await nb.train.evaluate(b.model, a.test, { step: stepFns(task, ctx).eval, metrics: a.metrics() });
    baselines.push({ name: b.name, about: b.about, logs: bl });
  }
  const trained = a.trained ?? [];
  const baselineSeconds = trained.reduce((t, b) => t + (b.seconds ?? 0), 0);
  let summary: string;
  try {
    summary = model.summary(task.exampleInput?.(a.data, ctx));
  } catch (e) {
    summary = `${model.toString()}\n(no layer table: ${(e as Error).message})`;
  }
  const evalSeconds = (performance.now() - t0) / 1000;
  const report = renderReport({
    title: `nabla train — ${a.config.model} on ${task.name}`, task: task.name, taskSummary: task.summary, model: a.config.model,
    modelSummary: summary, parameters: model.numParameters(), started: a.started, finished: new Date(),
    trainSeconds, baselineSeconds, totalSeconds: trainSeconds + baselineSeconds + evalSeconds,
    steps: a.recorder.steps, epochs: a.recorder.epochs, metrics: names, test: logs, baselines: [...baselines, ...trained], bestEpoch: a.recorder.bestEpoch, monitor: a.monitor,
    format: fmt, config: { task: task.name, model: a.config.model, ...a.config.options }, backend: backendFacts(), dataSource: a.data.source, sizes: a.sizes,
    sections: inspection?.html ?? '',
  });
  writeFileSync(join(a.out, 'report.html'), report);
  const lines = [...baselines, ...trained].map((b) => JSON.stringify({ type: 'baseline', name: b.name, ...(b.seconds !== undefined ? { trained: true, seconds: b.seconds } : {}), logs: clean(b.logs) }) + '\n');
  appendFileSync(a.paths.metrics, lines.join('') + JSON.stringify({ type: 'test', epoch: a.recorder.bestEpoch, logs: clean(logs) }) + '\n');
  const loss = logs.loss !== undefined ? ` (loss ${logs.loss.toFixed(4)})` : '';
  const total = trainSeconds + baselineSeconds + evalSeconds;
  const parts = baselineSeconds > 0 ? ` (model ${duration(trainSeconds)}, trained baselines ${duration(baselineSeconds)})` : '';
  a.log(`test ${metricsLine(names, logs, fmt)}${loss} with the best checkpoint (epoch ${a.recorder.bestEpoch}) · total time ${duration(total)}${parts} · wrote ${join(a.out, 'report.html')}`);
  const all = [...baselines, ...trained];
  if (all.length) a.log(`baselines on the test set: ${all.map((b) => `${b.name} ${metricsLine(names, b.logs, fmt)}`).join(' · ')}`);
}
