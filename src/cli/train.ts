// `nabla train [TASK|PATH]`: any task on the one loop — the task's data, model, step and metrics run by
// fit(), with a live progress bar, validation each epoch, best/last checkpoints, metrics.jsonl and
// report.html; Ctrl-C stops after the current step and `--resume` continues exactly.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from '../index.js';
import { loadCheckpoint, saveCheckpoint } from '../node.js';
import { helpSections, UsageError } from './args.js';
import { commonFlags, makeOptimizer, makeScheduler, parseTrainArgs, preParse, RUN_ONLY_FLAGS } from './options.js';
import { taskFor, taskNamed, TASKS, DEFAULT_TASK, type AnyTask } from '../tasks/index.js';
import type { Options, TaskContext, TaskData } from '../tasks/task.js';
import { cacheDirFor, ONNX_MODEL, onnxSpecOf, runConfigOf, savedOptions, taskOf, type RunConfig } from './run-config.js';
import { freezeParameters, importWithNewHead, onnxModelFromCheckpoint } from './onnx-model.js';
import { RunRecorder } from './recorder.js';
import { finish, loaders, stepFns } from './finish.js';
import { backendFacts, setThreads, version } from './runtime.js';

/** Files a run writes into --out (what --force replaces). */
const RUN_FILES = ['best.safetensors', 'last.safetensors', 'metrics.jsonl', 'report.html', 'config.json'];

export function trainHelp(argv: readonly string[]): string {
  let task = taskNamed(DEFAULT_TASK)!;
  try {
    const p = preParse(argv.filter((a) => a !== '--help' && a !== '-h'), 'train').positionals;
    task = (p[0] && taskFor(p[0])) || task;
  } catch { /* help for the default task */ }
  const tasks = TASKS.map((t) => `  ${t.name.padEnd(16)} ${t.summary}`).join('\n');
  return helpSections('train', `[TASK] [options]   (TASK: ${TASKS.map((t) => t.name).join(', ')}; default ${DEFAULT_TASK})`,
    `Trains a model for a task and writes best.safetensors, last.safetensors, metrics.jsonl and report.html to --out.\n\nTasks:\n${tasks}\n\nModels of ${task.name}: ${Object.entries(task.models).map(([k, v]) => `${k} (${v})`).join('; ')}`,
    [['Options', commonFlags(task)], [`Options of ${task.name}`, task.flags]]);
}

/** The task of a `nabla train` command line: its positional, or the checkpoint being resumed, or the default. */
async function chooseTask(argv: readonly string[]): Promise<{ task: AnyTask; input?: string; resumeFrom?: { path: string; ck: Awaited<ReturnType<typeof loadCheckpoint>>; config: RunConfig } }> {
  const pre = preParse(argv, 'train');
  const pos = pre.positionals;
  if (pos.length > 1) throw new UsageError(`train: expected at most one task or data path, got ${pos.join(' ')}`);
  const input = pos[0];
  let task = input !== undefined ? taskFor(input) : undefined;
  if (input !== undefined && !task) throw new UsageError(`train: unknown task '${input}' (tasks: ${TASKS.map((t) => t.name).join(', ')})`);
  if (pre.flags.resume && pre.flags.force) throw new UsageError('train: give --resume (continue the run in --out) or --force (replace it), not both');
  if (!pre.flags.resume) return { task: task ?? taskNamed(DEFAULT_TASK)!, input };
  if (pre.flags.out === undefined) throw new UsageError('train: --resume needs --out DIR, the run to continue (nabla train --out runs/cnn --resume)');
  const path = join(pre.flags.out as string, 'last.safetensors');
  if (!existsSync(path)) throw new UsageError(`train: --resume: there is no checkpoint at ${path}`);
  const ck = await loadCheckpoint(path);
  const config = runConfigOf(ck.config, path);
  const saved = taskOf(config, path);
  if (task && task !== saved) throw new UsageError(`train: --resume: ${path} is a ${saved.name} run, not ${task.name}`);
  return { task: saved, input: input ?? (config.options.input as string | undefined), resumeFrom: { path, ck, config } };
}

/** The out directory's policy: --resume continues it; otherwise it must be new or empty, or --force replaces the run in it. */
function prepareOut(o: Options, task: AnyTask): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const out = (o.out as string | undefined) ?? join('runs', `${task.name}-${o.model}-${stamp}`);
  if (!o.resume && existsSync(out)) {
    const files = readdirSync(out);
    if (files.length > 0 && !o.force) {
      throw new UsageError(`train: ${out} already holds files (${files.slice(0, 4).join(', ')}${files.length > 4 ? ', …' : ''}); continue its run with --resume, replace it with --force, or choose another --out`);
    }
    if (o.force) for (const f of RUN_FILES) rmSync(join(out, f), { force: true });
  }
  mkdirSync(out, { recursive: true });
  return out;
}

export async function trainCommand(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const { task, input, resumeFrom } = await chooseTask(argv);
  const { flags, given } = parseTrainArgs(argv, task);
  let o: Options = { ...flags, input: input ?? task.name };
  if (o.from !== undefined && !resumeFrom) {
    if (given.has('model')) throw new UsageError('train: give --model (a network of the task) or --from (one from an ONNX file), not both');
    o.model = ONNX_MODEL;
  }
  if (resumeFrom) {
    // The run goes on as it was configured: flags that change what it computes must match or be left out.
    const saved = resumeFrom.config.options;
    for (const k of given) {
      if (RUN_ONLY_FLAGS.has(k) || saved[k] === o[k]) continue;
      throw new UsageError(`train: --resume continues the run in ${o.out} as it was configured; --${k} ${String(o[k])} differs from its ${String(saved[k])} (leave --${k} out)`);
    }
    const runOnly = Object.fromEntries([...RUN_ONLY_FLAGS].map((k) => [k, o[k]]));
    o = { ...saved, ...runOnly };
  }
  const out = prepareOut(o, task);
  if (o.threads) await setThreads(o.threads as number);

  nb.manualSeed(o.seed as number);
  const started = resumeFrom ? new Date(resumeFrom.config.started) : new Date();
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
  const monitor = task.monitor ?? (val ? (probe[0] ? `val${probe[0].name[0]!.toUpperCase()}${probe[0].name.slice(1)}` : 'valLoss') : (probe[0]?.name ?? 'loss'));
  const monitored = probe.find((m) => monitor === m.name || monitor === `val${m.name[0]!.toUpperCase()}${m.name.slice(1)}`);
  const mode = monitored ? (monitored.higherIsBetter ? 'max' : 'min') : nb.train.resolveMode('auto', monitor);
  const config: RunConfig = { task: task.name, model: o.model as string, options: savedOptions(Object.fromEntries(Object.entries(o).filter(([k]) => !RUN_ONLY_FLAGS.has(k)))), meta: data.meta, nabla: version(), started: started.toISOString(), ...(onnx ? { onnx } : {}) };

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
    log(`resuming ${out} at epoch ${st.epoch + 1}, step ${st.step} of ${train.length}`);
  } else {
    writeFileSync(paths.metrics, '');
  }
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...config, out, backend: backendFacts() }, null, 2) + '\n');
  const sizes = { train: data.train.length, val: data.val?.length ?? 0, test: data.test.length };
  const params = `${model.numParameters().toLocaleString('en-US')} parameters${frozen ? ` (${frozen.frozen.toLocaleString('en-US')} frozen by --freeze, ${frozen.trainable.toLocaleString('en-US')} train)` : ''}`;
  log(`${task.name} · ${o.model}: ${params} · ${sizes.train} train / ${sizes.val} val / ${sizes.test} test (${data.source}) · ${Object.entries(backendFacts()).map(([k, v]) => `${k} ${v}`).join(', ')}`);

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
  if (stoppedAt) {
    const { epoch, step } = stoppedAt as nb.train.FitState;
    const where = step > 0 ? `at step ${step} of ${train.length} in epoch ${epoch + 1}` : `after epoch ${epoch}`;
    log(`interrupted ${where}; saved ${paths.last}; continue with: nabla train --out ${out} --resume`);
    return 130;
  }
  await finish({ task, ctx, data, model, test, metrics, monitor, recorder, paths, out, started, config, sizes, log });
  return 0;
}
