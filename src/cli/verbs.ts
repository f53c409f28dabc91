// `nabla eval CHECKPOINT` (the task's metrics and inspection on the test set) and the tasks' verbs on a
// trained model (`nabla predict CHECKPOINT image.png…`, generate, translate …): the checkpoint's saved
// config says which task and model it holds.

import * as nb from '../index.js';
import { parseArgs, helpText, helpSections, UsageError, type FlagSpec } from './args.js';
import { TASKS, taskFor } from '../tasks/index.js';
import { buildRun, cacheDirFor, loadRun, readRun } from './run-config.js';
import { looseFlags } from './options.js';
import { loaders, testModel } from './finish.js';
import { metricFormatter, setThreads } from './runtime.js';

export const THREADS: Record<string, FlagSpec> = { threads: { type: 'int', min: 1, help: 'worker threads (default: all cores)' } };

/** eval's flags: --threads and every task's data flags (which ones a checkpoint's task takes is checked after loading it). */
export function evalFlags(): Record<string, FlagSpec> {
  const out: Record<string, FlagSpec> = { ...THREADS };
  // Checked by type here; a task's own bounds and choices are checked when its flags are parsed.
  for (const t of TASKS) for (const k of t.evalFlags ?? []) out[k] = { type: t.flags[k]!.type, help: t.flags[k]!.help };
  return out;
}

export function evalHelp(): string {
  return helpText('eval', 'CHECKPOINT [TASK] [options]', 'Evaluates a checkpoint written by nabla train on its task\'s test set (the data options of its run, unless given here).', evalFlags());
}

export async function evalCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const pre = parseArgs(argv, evalFlags(), 'eval');
  if (pre.positionals.length < 1) throw new UsageError('eval: give the checkpoint to evaluate (nabla eval runs/…/best.safetensors)');
  if (pre.positionals.length > 2) throw new UsageError(`eval: expected a checkpoint and at most a task, got ${pre.positionals.join(' ')}`);
  const [path, named] = pre.positionals;
  const r = await readRun(path!);
  const task = r.task;
  if (named !== undefined && taskFor(named) !== task) throw new UsageError(`eval: ${path} holds a ${task.name} model, not ${named}`);
  for (const k of pre.given) if (k !== 'threads' && !(task.evalFlags ?? []).includes(k)) throw new UsageError(`eval: task ${task.name} takes no --${k} (it takes: ${(task.evalFlags ?? []).map((f) => '--' + f).join(', ') || 'none'})`);
  // Now with the task's own specs (choices, bounds).
  const own = Object.fromEntries((task.evalFlags ?? []).map((k) => [k, { ...task.flags[k]!, default: undefined }]));
  const { flags, given } = parseArgs(argv, { ...THREADS, ...own }, 'eval');
  if (flags.threads) await setThreads(flags.threads as number);
  const overrides = Object.fromEntries([...given].filter((k) => k !== 'threads').map((k) => [k, flags[k]]));
  const { ctx, model } = await buildRun(r, log, overrides);
  const data = await task.data(ctx.options, { log, cacheDir: cacheDirFor(task), purpose: 'eval' }, ctx.meta);
  const { test } = loaders(task, data, ctx);
  const metrics = (): nb.train.Metric[] => task.metrics?.(ctx) ?? [new nb.train.Accuracy()];
  const { logs, inspection } = await testModel(task, ctx, data, model, test, metrics);
  const names = metrics().map((m) => m.name);
  const fmt = metricFormatter(task);
  const parts = names.filter((n) => logs[n] !== undefined).map((n) => `test ${n} ${fmt(n, logs[n]!)}`);
  if (logs.loss !== undefined) parts.push(`loss ${logs.loss.toFixed(4)}`);
  log(`${parts.join(' · ')} · ${data.test.length} test examples (${data.source})`);
  for (const l of inspection?.lines ?? []) log(l);
  return 0;
}

/** Every verb some task offers, with the tasks that offer it. */
export function taskVerbs(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const t of TASKS) for (const v of Object.keys(t.verbs ?? {})) m.set(v, [...(m.get(v) ?? []), t.name]);
  return m;
}

export function verbHelp(verb: string): string {
  const sections: [string, Record<string, FlagSpec>][] = [];
  const usage: string[] = [];
  for (const t of TASKS) {
    const v = t.verbs?.[verb];
    if (!v) continue;
    sections.push([`Options (${t.name})`, v.flags]);
    usage.push(`${t.name}: ${v.summary}`);
  }
  const first = TASKS.find((t) => t.verbs?.[verb])!.verbs![verb]!;
  return helpSections(verb, `CHECKPOINT ${first.usage}`, `${usage.join('\n')}\nThe checkpoint (written by nabla train) says which task and model it holds.`, sections);
}

/** `nabla <verb> CHECKPOINT args…`: loads the checkpoint and runs its task's verb. */
export async function verbCommand(verb: string, argv: string[], log: (s: string) => void): Promise<number> {
  const pre = parseArgs(argv, looseFlags([THREADS, ...TASKS.map((t) => t.verbs?.[verb]?.flags ?? {})]), verb);
  if (pre.positionals.length < 1) throw new UsageError(`${verb}: give a checkpoint first (nabla ${verb} runs/…/best.safetensors …)`);
  const [path, ...args] = pre.positionals;
  const run = await loadRun(path!, log);
  const v = run.task.verbs?.[verb];
  if (!v) throw new UsageError(`${verb}: ${path} holds a ${run.task.name} model, whose task has no '${verb}' (it has: ${Object.keys(run.task.verbs ?? {}).join(', ') || 'none'})`);
  const { flags } = parseArgs(argv, { ...THREADS, ...v.flags }, verb);
  if (flags.threads) await setThreads(flags.threads as number);
  return await v.run({ model: run.model, ctx: run.ctx, flags, args, checkpoint: path!, log });
}
