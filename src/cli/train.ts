// `nabla train [TASK|PATH]`: any task on the one loop — the task's data, model, step and metrics run by
// fit(), with a live progress bar, validation each epoch, best/last checkpoints, metrics.jsonl and
// report.html; Ctrl-C stops after the current step and `--resume` continues exactly.

import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../node.js';
import { helpSections, UsageError } from './args.js';
import { commonFlags, parseTrainArgs, preParse, RUN_ONLY_FLAGS } from './options.js';
import { taskFor, taskNamed, TASKS, DEFAULT_TASK, type AnyTask } from '../tasks/index.js';
import type { Options } from '../tasks/task.js';
import { ONNX_MODEL, runConfigOf, taskOf, type RunConfig } from './run-config.js';
import { finish } from './finish.js';
import { runFit, stoppedWhere } from './run-fit.js';
import { BASELINE_DIR_PREFIX, trainBaselines } from './trained-baselines.js';
import { setThreads } from './runtime.js';

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
    if (o.force) {
      for (const f of RUN_FILES) rmSync(join(out, f), { force: true });
      // The trained baselines' runs belong to the run replaced (a stale one would be resumed).
      for (const f of files) if (f.startsWith(BASELINE_DIR_PREFIX)) rmSync(join(out, f), { recursive: true, force: true });
    }
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

  const started = resumeFrom ? new Date(resumeFrom.config.started) : new Date();
  const run = await runFit({ task, o, out, resumeFrom, started, log });
  if (run.stoppedAt) {
    log(`interrupted ${stoppedWhere(run.stoppedAt, run.train.length)}; saved ${run.paths.last}; continue with: nabla train --out ${out} --resume`);
    return 130;
  }
  const learned = await trainBaselines(run, out, resumeFrom !== undefined, log);
  if (learned.interrupted) return 130;
  await finish({ ...run, out, started, trained: learned.results, log });
  return 0;
}
