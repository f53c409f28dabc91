// `nabla export CHECKPOINT model.onnx`: any task's checkpoint as ONNX (dynamic batch), for ONNX Runtime
// and the tools that read ONNX. `nabla import model.onnx --out CHECKPOINT [TASK]`: an ONNX model as a
// checkpoint of a task, which eval, the task's verbs, export and `train --from` read like any run's.

import { existsSync } from 'node:fs';
import * as nb from '../index.js';
import { saveCheckpoint, saveFileAtomic } from '../node.js';
import { helpText, parseArgs, UsageError, type FlagSpec, type Parsed } from './args.js';
import { DEFAULT_TASK, taskFor, TASKS, type AnyTask } from '../tasks/index.js';
import type { Options } from '../tasks/task.js';
import { buildRun, cacheDirFor, ONNX_MODEL, readRun, savedOptions, type RunConfig } from './run-config.js';
import { evalFlags, THREADS } from './verbs.js';
import { exampleInputOf, importWhole, taskOutputShape } from './onnx-model.js';
import { parseTrainArgs, RUN_ONLY_FLAGS } from './options.js';
import { setThreads, version } from './runtime.js';

const EXPORT_FLAGS: Record<string, FlagSpec> = {
  opset: { type: 'int', min: 1, help: 'ONNX opset, 17 to 20 (default: 17, or an imported model\'s opset if newer)' },
};
const IMPORT_FLAGS: Record<string, FlagSpec> = {
  out: { type: 'string', help: 'the checkpoint to write (required), e.g. runs/imported.safetensors' },
  force: { type: 'boolean', default: false, help: 'replace --out if it exists' },
};

export function exportHelp(): string {
  return helpText('export', 'CHECKPOINT OUT.onnx [options]', 'Writes the model of a checkpoint (from nabla train or nabla import) as an ONNX file: opset 17, the batch dimension dynamic, the weights under their stateDict names, the task and its meta (class names …) as metadata. The task\'s data (the run\'s, or the data options here) gives the example input it is traced with.', { ...THREADS, ...EXPORT_FLAGS, ...evalFlags() });
}

export function importHelp(): string {
  return helpText('import', `MODEL.onnx --out CHECKPOINT [TASK] [options]   (TASK: ${TASKS.map((t) => t.name).join(', ')}; default ${DEFAULT_TASK})`, 'Makes an ONNX model (e.g. from torch.onnx.export) a checkpoint of a task: nabla eval, the task\'s verbs and nabla export read it. It must take the task\'s input and give what the task\'s models give; to train a network from elsewhere for a task with a new head, use nabla train TASK --from MODEL.onnx.', { ...THREADS, ...IMPORT_FLAGS, ...evalFlags() });
}

/** argv parsed for a task once it is known: --threads, the command's flags and the task's data flags (evalFlags); those given are the overrides. */
function taskFlags(task: AnyTask, argv: string[], command: string, own: Record<string, FlagSpec>, pre: Parsed): { flags: Parsed['flags']; overrides: Options } {
  const dataFlags = task.evalFlags ?? [];
  for (const k of pre.given) if (!(k in THREADS) && !(k in own) && !dataFlags.includes(k)) throw new UsageError(`${command}: task ${task.name} takes no --${k} (its data options: ${dataFlags.map((f) => '--' + f).join(', ') || 'none'})`);
  const spec = Object.fromEntries(dataFlags.map((k) => [k, { ...task.flags[k]!, default: undefined }]));
  const { flags, given } = parseArgs(argv, { ...THREADS, ...own, ...spec }, command);
  return { flags, overrides: Object.fromEntries([...given].filter((k) => dataFlags.includes(k)).map((k) => [k, flags[k]])) };
}

const dimsOf = (v: nb.onnx.OnnxGraph['inputs'][number]): string => `[${(v.shape ?? []).map((d) => d ?? '?').join(', ')}]`;

/** "Conv ×2, Relu ×3, …" */
function opCounts(nodes: readonly { opType: string }[]): string {
  const c = new Map<string, number>();
  for (const n of nodes) c.set(n.opType, (c.get(n.opType) ?? 0) + 1);
  return [...c].map(([k, v]) => (v > 1 ? `${k} ×${v}` : k)).join(', ');
}

export async function exportCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const pre = parseArgs(argv, { ...THREADS, ...EXPORT_FLAGS, ...evalFlags() }, 'export');
  if (pre.positionals.length !== 2) throw new UsageError(`export: give a checkpoint and the ONNX file to write (nabla export runs/…/best.safetensors model.onnx), got ${pre.positionals.length ? pre.positionals.join(' ') : 'neither'}`);
  const [path, out] = pre.positionals as [string, string];
  const r = await readRun(path);
  const { flags, overrides } = taskFlags(r.task, argv, 'export', EXPORT_FLAGS, pre);
  if (flags.threads) await setThreads(flags.threads as number);
  const { ctx, model, task, config } = await buildRun(r, log, overrides);
  const data = await task.data(ctx.options, { log, cacheDir: cacheDirFor(task), purpose: 'eval' }, ctx.meta);
  const imported = model.modules().flatMap((m) => (m instanceof nb.onnx.OnnxModule ? [m.opset] : []));
  const opset = (flags.opset as number | undefined) ?? Math.max(17, ...imported);
  const x = exampleInputOf(task, data, ctx, 'export');
  let bytes: Uint8Array;
  try {
    bytes = nb.onnx.exportModel(model, x, {
      opset,
      docString: `${task.name} · ${config.model}, exported by nabla ${version()} from ${path}`,
      metadata: { 'nabla.task': task.name, 'nabla.model': config.model, 'nabla.meta': JSON.stringify(ctx.meta) },
    });
  } catch (e) {
    const m = (e as Error).message;
    if (m.startsWith('exportModel')) throw e;
    // The model itself failed on the example: say which input that was.
    throw new Error(`export: ${task.name}'s ${config.model} model does not run on ${task.exampleInput ? 'the task\'s example input' : 'the inputs of the first test batch'} [${x.shape.join(', ')}]: ${m}`, { cause: e });
  } finally {
    x.dispose();
  }
  await saveFileAtomic(out, bytes);
  const g = nb.onnx.decodeModel(bytes).graph;
  log(`wrote ${out} (${bytes.length.toLocaleString('en-US')} bytes, opset ${opset}): ${g.inputs.map((v) => `${v.name} ${dimsOf(v)}`).join(', ')} → ${g.outputs.map((v) => `${v.name} ${dimsOf(v)}`).join(', ')}`);
  log(`${g.nodes.length} nodes (${opCounts(g.nodes)}); ${g.initializers.length} initializers`);
  return 0;
}

export async function importCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const pre = parseArgs(argv, { ...THREADS, ...IMPORT_FLAGS, ...evalFlags() }, 'import');
  if (pre.positionals.length < 1 || pre.positionals.length > 2) throw new UsageError(`import: give the ONNX file and at most a task (nabla import model.onnx --out runs/imported.safetensors ${DEFAULT_TASK}), got ${pre.positionals.join(' ') || 'nothing'}`);
  const [file, named] = pre.positionals as [string, string | undefined];
  const task = taskFor(named ?? DEFAULT_TASK);
  if (!task) throw new UsageError(`import: unknown task '${named}' (tasks: ${TASKS.map((t) => t.name).join(', ')})`);
  const { flags, overrides } = taskFlags(task, argv, 'import', IMPORT_FLAGS, pre);
  const out = flags.out as string | undefined;
  if (!out) throw new UsageError('import: --out is required: the checkpoint to write (nabla import model.onnx --out runs/imported.safetensors)');
  if (existsSync(out) && !flags.force) throw new UsageError(`import: ${out} exists; replace it with --force or choose another --out`);
  if (!existsSync(file)) throw new UsageError(`import: no ONNX file at ${file}`);
  if (flags.threads) await setThreads(flags.threads as number);

  // The run's options: the task's defaults and the data options given here.
  const defaults = parseTrainArgs([], task).flags;
  const o: Options = { ...Object.fromEntries(Object.entries(defaults).filter(([k]) => !RUN_ONLY_FLAGS.has(k))), ...overrides, model: ONNX_MODEL, input: task.name };
  const data = await task.data(o, { log, cacheDir: cacheDirFor(task), purpose: 'eval' });
  const ctx = { options: o, meta: data.meta, log };
  const { model, spec } = importWhole(file);
  model.eval();
  // It must take the task's input and give what the task's models give, or eval would fail later.
  const x = exampleInputOf(task, data, ctx, 'import');
  const inShape = [...x.shape];
  let got: number[];
  try {
    got = nb.scope(() => [...(nb.noGrad(() => model.forward(x)) as nb.Tensor).shape]);
  } catch (e) {
    throw new UsageError(`import: ${file} does not take ${task.name}'s input [${inShape.join(', ')}]: ${(e as Error).message}`);
  } finally {
    x.dispose();
  }
  const want = taskOutputShape(task, o, data, ctx, 'import');
  if (got.join() !== want.join()) {
    throw new UsageError(`import: ${file} gives [${got.join(', ')}] for ${task.name}'s input [${inShape.join(', ')}], where the task's models give [${want.join(', ')}]; to train it for ${task.name} with a new head: nabla train ${task.name} --from ${file}`);
  }
  const config: RunConfig = { task: task.name, model: ONNX_MODEL, options: savedOptions(o), meta: data.meta, nabla: version(), started: new Date().toISOString(), onnx: spec };
  await saveCheckpoint(out, nb.train.trainingCheckpoint({ model, config }));
  const onnxModule = model as nb.onnx.OnnxModule;
  log(`imported ${file} as a ${task.name} model: ${model.numParameters().toLocaleString('en-US')} parameters, opset ${onnxModule.opset}, ${onnxModule.nodes.length} nodes (${opCounts(onnxModule.nodes)}); [${inShape.join(', ')}] → [${got.join(', ')}]`);
  log(`wrote ${out}; evaluate it with: nabla eval ${out}`);
  return 0;
}
