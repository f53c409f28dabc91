// Models from ONNX files in runs: `nabla import` (the whole imported graph) and `nabla train --from`
// (its features, a new head for the task), kept in checkpoints as the graph without weights (the
// weights are the checkpoint's); and `--freeze GLOB`, which stops parameters from training.

import { readFileSync } from 'node:fs';
import * as nb from '../index.js';
import { UsageError } from './args.js';
import type { AnyTask } from '../tasks/index.js';
import type { Json, Options, TaskContext, TaskData } from '../tasks/task.js';

/** What a checkpoint's config.onnx holds: how to build its model again. */
export interface OnnxSpec {
  [k: string]: Json;
  /** the ONNX file it came from (for people; the model is rebuilt from `graph`) */
  file: string;
  /** base64 of the graph without its float weights (nb.onnx.splitWeights) */
  graph: string;
  /** where the features end (--from: the value the old head read); null: the graph's outputs */
  cut: string | null;
  /** --from: the new head, features → outputs; null: the imported graph is the whole model */
  head: { features: number; outputs: number } | null;
}

/** Imported features and a new head for the task (`nabla train --from`): parameters base.* and head.*. */
class ImportedWithHead extends nb.nn.Module {
  constructor(readonly base: nb.onnx.OnnxModule, readonly head: nb.nn.Linear) {
    super();
  }
  override forward(x: nb.Tensor): nb.Tensor {
    return this.head.forward(this.base.forward(x) as nb.Tensor);
  }
}

/** The model a spec describes, with these weights (by stateDict key) in its imported part. */
function modelOf(spec: OnnxSpec, weights: Record<string, nb.Tensor>): nb.nn.Module {
  const graph = Uint8Array.from(Buffer.from(spec.graph, 'base64'));
  if (!spec.head) return nb.onnx.importModel(graph, { weights, name: spec.file });
  const own = Object.fromEntries(Object.entries(weights).flatMap(([k, t]) => (k.startsWith('base.') ? [[k.slice(5), t]] : [])));
  const base = nb.onnx.importModel(graph, { weights: own, outputs: spec.cut ? [spec.cut] : undefined, name: spec.file });
  return new ImportedWithHead(base, new nb.nn.Linear(spec.head.features, spec.head.outputs));
}

/** Rebuilds the model of a checkpoint whose config has `onnx` (its weights are loaded after, as for any run). */
export function onnxModelFromCheckpoint(spec: OnnxSpec, ck: { model: Parameters<typeof nb.fromRecords>[0] }): nb.nn.Module {
  const weights = nb.fromRecords(ck.model);
  try {
    return modelOf(spec, weights);
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
}

function readOnnx(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The imported graph as a whole model (`nabla import`). */
export function importWhole(file: string): { model: nb.nn.Module; spec: OnnxSpec } {
  const { graph, weights } = nb.onnx.splitWeights(readOnnx(file, 'import'), file);
  const spec: OnnxSpec = { file, graph: Buffer.from(graph).toString('base64'), cut: null, head: null };
  try {
    return { model: modelOf(spec, weights), spec };
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
}

/**
 * One input batch of the task, for export and for checking an imported model: Task.exampleInput, or
 * else the inputs of the first test batch (the batch itself, or its first element: [x, y]).
 * The caller owns (disposes) it.
 */
export function exampleInputOf(task: AnyTask, data: TaskData, ctx: TaskContext, what: string): nb.Tensor {
  if (task.exampleInput) return nb.keep(task.exampleInput(data, ctx));
  const loader = new nb.data.DataLoader(data.test, { batchSize: 2, ...(data.collate ? { collate: data.collate } : {}) });
  for (const batch of loader) {
    const x = batch instanceof nb.Tensor ? batch : Array.isArray(batch) && batch[0] instanceof nb.Tensor ? batch[0] as nb.Tensor : null;
    // Kept: the loader releases what a step made when the iteration ends.
    if (x) return nb.keep(x);
    break;
  }
  throw new UsageError(`${what}: task ${task.name} gives no example input (Task.exampleInput), and its test batches are not a tensor or [inputs, …]`);
}

/** The shape of what the task's own (default) model outputs for its example input — without touching the generator. */
export function taskOutputShape(task: AnyTask, o: Options, data: TaskData, ctx: TaskContext, what: string): number[] {
  const rng = nb.getRngState();
  try {
    const name = (task.defaults?.model as string | undefined) ?? Object.keys(task.models)[0]!;
    const m = task.model(name, { ...ctx, options: { ...o, model: name } });
    m.eval();
    const x = exampleInputOf(task, data, ctx, what);
    try {
      return nb.scope(() => nb.noGrad(() => [...(m.forward(x) as nb.Tensor).shape]));
    } finally {
      x.dispose();
      for (const t of [...m.parameters(), ...m.namedBuffers().map(([, b]) => b)]) t.dispose();
    }
  } finally {
    nb.setRngState(rng);
  }
}

/**
 * `--from FILE`: the file's graph up to the value its head reads (nb.onnx.findHeadInput), with a new
 * Linear head giving as many outputs as the task's models do.
 */
export function importWithNewHead(file: string, task: AnyTask, o: Options, data: TaskData, ctx: TaskContext): { model: nb.nn.Module; spec: OnnxSpec } {
  const bytes = readOnnx(file, 'train: --from');
  let head: ReturnType<typeof nb.onnx.findHeadInput>;
  try {
    head = nb.onnx.findHeadInput(bytes, file);
  } catch (e) {
    throw new UsageError(`train: --from ${file}: ${(e as Error).message}`);
  }
  const out = taskOutputShape(task, o, data, ctx, 'train: --from');
  const { graph, weights } = nb.onnx.splitWeights(bytes, file);
  const spec: OnnxSpec = { file, graph: Buffer.from(graph).toString('base64'), cut: head.value, head: { features: head.features, outputs: out.at(-1)! } };
  let model: nb.nn.Module;
  try {
    model = modelOf(spec, Object.fromEntries(Object.entries(weights).map(([k, t]) => [`base.${k}`, t])));
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
  // The features must take the task's input: say so now rather than in the first step.
  const x = exampleInputOf(task, data, ctx, 'train: --from');
  try {
    model.eval();
    const y = nb.scope(() => nb.noGrad(() => [...(model.forward(x) as nb.Tensor).shape]));
    ctx.log(`--from ${file}: ${(model as ImportedWithHead).base.numParameters().toLocaleString('en-US')} imported parameters up to '${head.value}' (${head.features} features; the old head ${head.head.join(', ')} dropped), a new head ${head.features} → ${y.at(-1)}`);
  } catch (e) {
    throw new UsageError(`train: --from ${file}: its features do not take ${task.name}'s input [${x.shape.join(', ')}]: ${(e as Error).message}`);
  } finally {
    model.train();
    x.dispose();
  }
  return { model, spec };
}

/** A glob over parameter names: * is any run of characters (dots too), ? one character. */
function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
}

/**
 * `--freeze 'features.*,…'`: the parameters whose names match stop training (requiresGrad false).
 * With --from the names are the imported model's own (its ONNX initializers); otherwise the model's
 * stateDict keys. Each glob must match something, and something must be left to train.
 */
export function freezeParameters(model: nb.nn.Module, globs: string): { frozen: number; trainable: number } {
  const named: [string, nb.nn.Parameter][] = model instanceof ImportedWithHead ? model.base.namedParameters() : model.namedParameters();
  const list = globs.split(',').map((g) => g.trim()).filter(Boolean);
  if (!list.length) throw new UsageError('train: --freeze needs a glob of parameter names, e.g. \'features.*\'');
  for (const g of list) {
    const re = globRegExp(g);
    const hit = named.filter(([k]) => re.test(k));
    if (!hit.length) throw new UsageError(`train: --freeze '${g}' matches no parameter (they are: ${named.slice(0, 8).map(([k]) => k).join(', ')}${named.length > 8 ? ', …' : ''})`);
    for (const [, p] of hit) p.requiresGrad_(false);
  }
  const all = model.parameters();
  const trainable = all.filter((p) => p.requiresGrad).reduce((a, p) => a + p.numel(), 0);
  if (trainable === 0) throw new UsageError(`train: --freeze '${globs}' freezes every parameter; nothing would train`);
  return { frozen: all.reduce((a, p) => a + p.numel(), 0) - trainable, trainable };
}
