// What a checkpoint written by `nabla train` says about its run (task, model, options, the task's meta),
// and rebuilding its model from it for eval, predict and the tasks' verbs.

import { existsSync } from 'node:fs';
import * as nb from '../index.js';
import { join } from 'node:path';
import { loadCheckpoint, nablaCacheDir } from '../node.js';
import { UsageError } from './args.js';
import { taskNamed, TASKS, DEFAULT_TASK, type AnyTask } from '../tasks/index.js';
import type { Json, Options, TaskContext } from '../tasks/task.js';
import { onnxModelFromCheckpoint, type OnnxSpec } from './onnx-model.js';

/** The `config` of every checkpoint `nabla train` writes. */
export interface RunConfig {
  [k: string]: Json;
  task: string;
  model: string;
  options: { [k: string]: string | number | boolean };
  meta: Json;
  nabla: string;
  /** When the run began (ISO 8601). */
  started: string;
}

/** A run config's model from an ONNX file (`nabla import`, `nabla train --from`, whose model is 'onnx'), under the key `onnx`. */
export function onnxSpecOf(config: RunConfig): OnnxSpec | null {
  return (config.onnx as OnnxSpec | undefined) ?? null;
}

/** The --model of runs whose network came from an ONNX file. */
export const ONNX_MODEL = 'onnx';

export interface LoadedRun {
  ck: Awaited<ReturnType<typeof loadCheckpoint>>;
  config: RunConfig;
  task: AnyTask;
  ctx: TaskContext;
}

/** Options as saved: JSON has no undefined, so unset flags are left out. */
export function savedOptions(o: Options): RunConfig['options'] {
  const out: RunConfig['options'] = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The run config of a checkpoint. Checkpoints from before tasks (config {model, dropout, dataset…})
 * are read as Fashion-MNIST runs.
 */
export function runConfigOf(config: unknown, path: string): RunConfig {
  const c = (config ?? {}) as Record<string, unknown>;
  if (typeof c.task === 'string') {
    if (typeof c.model !== 'string' || !c.options || typeof c.options !== 'object') throw new Error(`checkpoint ${path}: its run config lacks model or options`);
    return c as unknown as RunConfig;
  }
  const legacy = taskNamed(DEFAULT_TASK);
  if (legacy && typeof c.model === 'string' && c.model in legacy.models) {
    const options: RunConfig['options'] = {};
    for (const [k, v] of Object.entries(c)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') options[k] = v;
    return { task: DEFAULT_TASK, model: c.model, options, meta: null, nabla: 'unknown', started: '' };
  }
  throw new Error(`checkpoint ${path}: it does not say which task and model it holds (config.model is ${JSON.stringify(c.model)}); was it written by nabla train?`);
}

/** Where a task may cache prepared data. */
export function cacheDirFor(task: AnyTask): string {
  return join(nablaCacheDir(), 'tasks', task.name);
}

/** The task a run config names. */
export function taskOf(config: RunConfig, path: string): AnyTask {
  const t = taskNamed(config.task);
  if (!t) throw new Error(`checkpoint ${path}: task '${config.task}' is not one this nabla knows (${TASKS.map((x) => x.name).join(', ')})`);
  if (config.model === ONNX_MODEL) {
    if (typeof onnxSpecOf(config)?.graph !== 'string') throw new Error(`checkpoint ${path}: its model is '${ONNX_MODEL}' but its config holds no ONNX graph`);
    return t;
  }
  if (!(config.model in t.models)) throw new Error(`checkpoint ${path}: model '${config.model}' is not one of task ${t.name}'s (${Object.keys(t.models).join(', ')})`);
  return t;
}

/** Reads a checkpoint written by `nabla train` and the task and config it names (the weights are not loaded yet). */
export async function readRun(path: string): Promise<{ ck: LoadedRun['ck']; config: RunConfig; task: AnyTask; path: string }> {
  if (!existsSync(path)) throw new UsageError(`no checkpoint at ${path}`);
  const ck = await loadCheckpoint(path);
  const config = runConfigOf(ck.config, path);
  return { ck, config, task: taskOf(config, path), path };
}

/**
 * Rebuilds a read run's model (in eval mode) with the saved options (and `overrides`) and meta (or,
 * for a legacy checkpoint, the meta of the task's data), and loads the weights.
 */
export async function buildRun(r: Awaited<ReturnType<typeof readRun>>, log: (s: string) => void, overrides: Options = {}): Promise<LoadedRun & { model: nb.nn.Module }> {
  const { ck, config, task, path } = r;
  const options: Options = { ...config.options, ...overrides };
  let meta = config.meta;
  if (meta === null) meta = (await task.data(options, { log, cacheDir: cacheDirFor(task), purpose: 'eval' })).meta;
  const ctx: TaskContext = { options, meta, log };
  const spec = onnxSpecOf(config);
  const model = spec ? onnxModelFromCheckpoint(spec, ck) : task.model(config.model, ctx);
  nb.train.restoreTraining(ck, model, undefined, `checkpoint ${path}`);
  model.eval();
  return { ck, config, task, ctx, model };
}

/** readRun then buildRun. */
export async function loadRun(path: string, log: (s: string) => void, overrides: Options = {}): Promise<LoadedRun & { model: nb.nn.Module }> {
  return buildRun(await readRun(path), log, overrides);
}
