// One training run of a task into a folder: seed, data, model, optimizer and schedule, loaders, the
// recorder (metrics.jsonl, last/best checkpoints) and fit() with Ctrl-C — what `nabla train` does for
// the model and again for each baseline that learns (Task.trainedBaselines).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from '../index.js';
import { loadCheckpoint, saveCheckpoint } from '../node.js';
import { makeOptimizer, makeScheduler, RUN_ONLY_FLAGS } from './options.js';
import type { AnyTask } from '../tasks/index.js';
import type { Options, TaskContext, TaskData } from '../tasks/task.js';
import { cacheDirFor, onnxSpecOf, savedOptions, type RunConfig } from './run-config.js';
import { freezeParameters, importWithNewHead, onnxModelFromCheckpoint } from './onnx-model.js';
import { RunRecorder } from './recorder.js';
import { loaders, stepFns } from './finish.js';
import { backendFacts, version } from './runtime.js';

type Loader = nb.data.DataLoader<unknown, unknown>;

export interface RunFitArgs {
  task: AnyTask;
  /** The run's options, parsed and checked (run-only flags included). */
  o: Options;
  out: string;
  /** The checkpoint to continue from (its last.safetensors), if resuming. */
  resumeFrom?: { path: string; ck: Awaited<ReturnType<typeof loadCheckpoint>>; config: RunConfig };
  /** When the run first began (a resumed run keeps its date). */
  started: Date;
  /** Put before the run's first line ('baseline no augmentation: '). */
  label?: string;
  log(line: string): void;
}

export interface FitRun {
  task: AnyTask;
  ctx: TaskContext;
  data: TaskData;
  model: nb.nn.Module;
  train: Loader;
  test: Loader;
  metrics: () => nb.train.Metric[];
  monitor: string;
  recorder: RunRecorder;
  paths: { last: string; best: string; metrics: string };
  config: RunConfig;
  sizes: Record<string, number>;
  /** Where fit() stopped on Ctrl-C; null when it ran to its end. */
  stoppedAt: nb.train.FitState | null;
}

/** The monitored log key and its direction: the task's, or the first metric on validation, or the loss. */
function monitorOf(task: AnyTask, probe: nb.train.Metric[], hasVal: boolean): { monitor: string; mode: 'min' | 'max' } {
  const valKey = (m: nb.train.Metric): string => `val${m.name[0]!.toUpperCase()}${m.name.slice(1)}`;
  const monitor = task.monitor ?? (hasVal ? (probe[0] ? valKey(probe[0]) : 'valLoss') : (probe[0]?.name ?? 'loss'));
  const monitored = probe.find((m) => monitor === m.name || monitor === valKey(m));
  return { monitor, mode: monitored ? (monitored.higherIsBetter ? 'max' : 'min') : nb.train.resolveMode('auto', monitor) };
}

/** Trains a task with options `o` into `out` (or continues the run there), up to the end of fit(). */
export async function runFit(a: RunFitArgs): Promise<FitRun> {
  const { task, o, out, resumeFrom, log } = a;
  nb.manualSeed(o.seed as number);
  const io = { log, cacheDir: cacheDirFor(task), purpose: 'train' as const };
  const data: TaskData = await task.data(o, io, resumeFrom ? resumeFrom.config.meta : undefined);
  const ctx: TaskContext = { options: o, meta: data.meta, log };
  // The network: the task's, one from an ONNX file with a new head (--from), or, resuming, the run's.
  let onnx = resumeFrom ? onnxSpecOf(resumeFrom.config) : null;
  let model: nb.nn.Module;
  if (onnx) model = onnxModelFromCheckpoint(onnx, resumeFrom!.ck);
  else if (o.from !== undefined) ({ model, spec: onnx } = importWithNewHead(o.from as string, task, o, data, ctx));
  else model = task.model(o.model as string, ctx);
  const frozen = o.freeze !== undefined ? freezeParameters(model, o.freeze as string) : null;
  const optimizer = makeOptimizer(o, model);
  const { train, val, test } = loaders(task, data, ctx);
  const scheduler = makeScheduler(o, optimizer, train.length);
  const metrics = (): nb.train.Metric[] => task.metrics?.(ctx) ?? [new nb.train.Accuracy()];
  const probe = metrics();
  const { monitor, mode } = monitorOf(task, probe, val !== null);
  const options = savedOptions(Object.fromEntries(Object.entries(o).filter(([k]) => !RUN_ONLY_FLAGS.has(k))));
  const config: RunConfig = { task: task.name, model: o.model as string, options, meta: data.meta, nabla: version(), started: a.started.toISOString(), ...(onnx ? { onnx } : {}) };

  const paths = { last: join(out, 'last.safetensors'), best: join(out, 'best.safetensors'), metrics: join(out, 'metrics.jsonl') };
  const recorder = new RunRecorder({
    metricsPath: paths.metrics, monitor, mode, patience: o.patience as number, log,
    save: (which, c) => saveCheckpoint(paths[which], nb.train.trainingCheckpoint({ model, optimizer, state: c.state(), config })),
  });
  let resume: nb.train.FitState | undefined;
  if (resumeFrom) {
    const st = nb.train.restoreTraining(resumeFrom.ck, model, optimizer, resumeFrom.path);
    if (!st) throw new Error(`${resumeFrom.path}: holds no training state to resume from (written by an older nabla?)`);
    resume = st;
    recorder.readBack(st.globalStep, st.history.epoch.length);
    log(`${a.label ?? ''}resuming ${out} at epoch ${st.epoch + 1}, step ${st.step} of ${train.length}`);
  } else {
    writeFileSync(paths.metrics, '');
  }
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...config, out, backend: backendFacts() }, null, 2) + '\n');
  const sizes = { train: data.train.length, val: data.val?.length ?? 0, test: data.test.length };
  const params = `${model.numParameters().toLocaleString('en-US')} parameters${frozen ? ` (${frozen.frozen.toLocaleString('en-US')} frozen by --freeze, ${frozen.trainable.toLocaleString('en-US')} train)` : ''}`;
  log(`${a.label ?? ''}${task.name} · ${o.model}: ${params} · ${sizes.train} train / ${sizes.val} val / ${sizes.test} test (${data.source}) · ${Object.entries(backendFacts()).map(([k, v]) => `${k} ${v}`).join(', ')}`);

  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)…\n');
  };
  process.on('SIGINT', onSigint);
  const steps = stepFns(task, ctx);
  let stoppedAt: nb.train.FitState | null = null;
  try {
    await nb.train.fit(model, {
      train, val: val ?? undefined, optimizer, scheduler: scheduler ?? undefined, schedulerInterval: 'batch', epochs: o.epochs as number,
      step: steps.train, evalStep: steps.eval, metrics: probe, clipGradNorm: o.clip as number, resume, signal: ac.signal,
      // --quiet: only each epoch's summary line.
      verbose: o.quiet ? 'lines' : 'auto', logEvery: o.quiet ? Number.MAX_SAFE_INTEGER : undefined,
      callbacks: [recorder, new nb.train.LambdaCallback({
        onTrainEnd: (c) => { if (c.interrupted) stoppedAt = c.state(); },
      })],
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  return { task, ctx, data, model, train, test, metrics, monitor, recorder, paths, config, sizes, stoppedAt };
}

/** "at step 12 of 250 in epoch 2" or "after epoch 1". */
export function stoppedWhere(st: nb.train.FitState, stepsPerEpoch: number): string {
  return st.step > 0 ? `at step ${st.step} of ${stepsPerEpoch} in epoch ${st.epoch + 1}` : `after epoch ${st.epoch}`;
}
