// The flags every task's `nabla train` has, how a task's defaults and flags join them, and the
// optimizer and learning-rate schedule they describe.

import * as nb from '../index.js';
import { parseArgs, UsageError, type FlagSpec, type Parsed } from './args.js';
import type { AnyTask } from '../tasks/index.js';
import { TASKS } from '../tasks/index.js';
import type { Options } from '../tasks/task.js';

/** The common flags; a task may change the defaults of those in CommonFlag (task.defaults). */
export function commonFlags(task: AnyTask): Record<string, FlagSpec> {
  const d = task.defaults ?? {};
  const models = Object.keys(task.models);
  return {
    model: { type: 'string', default: (d.model as string | undefined) ?? models[0], choices: models, help: 'network to train' },
    from: { type: 'string', help: 'instead of --model: a network trained elsewhere (an ONNX file), its head replaced by a new one for this task' },
    freeze: { type: 'string', help: 'parameters that do not train, by name (globs, comma-separated; with --from the ONNX file\'s names), e.g. \'features.*\'' },
    epochs: { type: 'int', default: (d.epochs as number | undefined) ?? 5, min: 1, help: 'passes over the training set' },
    'batch-size': { type: 'int', default: (d['batch-size'] as number | undefined) ?? 64, min: 1, help: 'samples per step' },
    lr: { type: 'number', default: d.lr as number | undefined, min: 0, help: d.lr === undefined ? 'peak learning rate (default: 0.003 for adam/adamw, 0.05 for sgd)' : 'peak learning rate' },
    optimizer: { type: 'string', default: (d.optimizer as string | undefined) ?? 'adamw', choices: ['adam', 'adamw', 'sgd', 'sparse-adam'], help: 'optimizer (sgd: momentum 0.9, Nesterov; sparse-adam: Adam on the rows of sparse embeddings, no weight decay)' },
    'weight-decay': {
      type: 'number', default: d['weight-decay'] as number | undefined, min: 0,
      help: d['weight-decay'] === undefined ? 'weight decay (default: 0.05 for adamw, decoupled; 0.0005 for adam and sgd, as L2)' : 'weight decay (decoupled for adamw, L2 otherwise)',
    },
    schedule: { type: 'string', default: (d.schedule as string | undefined) ?? 'onecycle', choices: ['onecycle', 'cosine', 'constant'], help: 'learning-rate schedule (per step)' },
    clip: { type: 'number', default: (d.clip as number | undefined) ?? 0, min: 0, help: 'clip the gradient norm to this (0: no clipping)' },
    seed: { type: 'int', default: (d.seed as number | undefined) ?? 1, help: 'random seed (weights, split, shuffling, dropout, augmentation)' },
    patience: { type: 'int', default: (d.patience as number | undefined) ?? 0, min: 0, help: 'stop early after this many epochs without a better validation score (0: never)' },
    threads: { type: 'int', min: 1, help: 'worker threads (default: all cores)' },
    out: { type: 'string', help: 'output directory (default: runs/<task>-<model>-<time>)' },
    resume: { type: 'boolean', default: false, help: 'continue the run in --out from its last checkpoint, exactly' },
    force: { type: 'boolean', default: false, help: 'train into an --out that already holds a run, replacing it' },
    quiet: { type: 'boolean', default: false, help: 'no progress bar, only epoch lines' },
  };
}

/** Flags that do not change what a run computes: they may differ when resuming. */
export const RUN_ONLY_FLAGS = new Set(['threads', 'out', 'resume', 'force', 'quiet']);

/**
 * Every flag any task has, by type only (to find positionals before the task is known): choices,
 * bounds and defaults differ between tasks, so they are checked by the task's own parse after.
 */
export function looseFlags(specs: Iterable<Record<string, FlagSpec>>): Record<string, FlagSpec> {
  const all: Record<string, FlagSpec> = {};
  for (const spec of specs) {
    for (const [k, s] of Object.entries(spec)) {
      const prev = all[k]?.type;
      // Two tasks may give a name different value types (--hidden: widths '64,32' or one number): any text then.
      const type = prev && prev !== 'boolean' ? (s.type !== 'boolean' && s.type !== prev ? 'string' : prev) : s.type;
      all[k] = { type, help: s.help };
    }
  }
  return all;
}

function allFlags(): Record<string, FlagSpec> {
  return looseFlags(TASKS.flatMap((t) => [t.flags, commonFlags(t), ...Object.values(t.verbs ?? {}).map((v) => v.flags)]));
}

/** argv parsed against every task's flags: the positionals, --out and --resume before the task (and so its flags) is known. */
export function preParse(argv: readonly string[], command: string): Parsed {
  return parseArgs(argv, allFlags(), command);
}

/** Parses `nabla train` flags for this task: common and the task's (the task's flags may not shadow common ones). */
export function parseTrainArgs(argv: readonly string[], task: AnyTask): Parsed {
  const common = commonFlags(task);
  for (const k of Object.keys(task.flags)) if (k in common) throw new Error(`task ${task.name}: its flag --${k} is also a common flag`);
  const p = parseArgs(argv, { ...common, ...task.flags }, 'train');
  const o = p.flags;
  if (o.lr === undefined) o.lr = o.optimizer === 'sgd' ? 0.05 : 0.003;
  if (o['weight-decay'] === undefined) o['weight-decay'] = o.optimizer === 'adamw' ? 0.05 : 0.0005;
  task.check?.(o);
  return p;
}

export function makeOptimizer(o: Options, model: nb.nn.Module): nb.optim.Optimizer {
  const params = model.parameters();
  const lr = o.lr as number, weightDecay = o['weight-decay'] as number;
  if (o.optimizer === 'sgd') return new nb.optim.SGD(params, { lr, momentum: 0.9, nesterov: true, weightDecay });
  if (o.optimizer === 'adam') return new nb.optim.Adam(params, { lr, weightDecay });
  if (o.optimizer === 'adamw') return new nb.optim.AdamW(params, { lr, weightDecay });
  if (o.optimizer === 'sparse-adam') return new nb.optim.SparseAdam(params, { lr });
  throw new UsageError(`train: unknown optimizer '${String(o.optimizer)}'`);
}

/** The schedule over the whole run, stepped after every optimizer step; null for a constant rate. */
export function makeScheduler(o: Options, opt: nb.optim.Optimizer, stepsPerEpoch: number): nb.optim.LRScheduler | null {
  const total = (o.epochs as number) * stepsPerEpoch;
  if (o.schedule === 'onecycle') return new nb.optim.OneCycleLR(opt, { maxLr: o.lr as number, totalSteps: total, pctStart: 0.25 });
  if (o.schedule === 'cosine') return new nb.optim.CosineAnnealingLR(opt, { tMax: total });
  return null;
}
