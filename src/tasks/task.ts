// The Task interface: what an application (images, language, translation, speech, tabular …) adds to
// the one training loop — its flags, data, models, step/loss, metrics, baselines, report section and
// verbs. The CLI runs every task with the same fit(), checkpoints, Ctrl-C/--resume and report.
// docs/tasks.md is the guide. Changes to this file are additive only: tasks of other engineers implement it.

import type * as nb from '../index.js';
import type { FlagSpec } from '../cli/args.js';

export type { FlagSpec };

/** JSON values (what checkpoints hold). */
export type Json = nb.train.JsonValue;

/**
 * A run's options: the common flags and the task's, by flag name ('batch-size', 'val-size'), parsed,
 * checked and defaulted. `input` is the positional argument the task was chosen by (its name, or a
 * path it claims such as data.csv). Saved in every checkpoint; eval, predict and verbs see them again.
 */
export type Options = Record<string, string | number | boolean | undefined>;

/** The flags every task has. A task may change their defaults (Task.defaults), not their meaning. */
export type CommonFlag = 'model' | 'epochs' | 'batch-size' | 'lr' | 'optimizer' | 'weight-decay' | 'schedule' | 'clip' | 'seed' | 'patience';

/** What loading data may use. */
export interface TaskIO {
  /** One line to the user (e.g. "using the shipped sample"). */
  log(line: string): void;
  /** A directory this task may cache prepared data in (created on demand by the task). */
  cacheDir: string;
  /** 'train': all splits; 'eval': the test split is what is used (train and val may be left empty). */
  purpose: 'train' | 'eval';
}

/** A task's data: datasets the CLI wraps in DataLoaders (the train one shuffled by --seed). */
export interface TaskData<M extends Json = Json> {
  train: nb.data.Dataset<unknown>;
  val: nb.data.Dataset<unknown> | null;
  test: nb.data.Dataset<unknown>;
  /** Makes a batch from samples (default: the loader's default collate, or the dataset's getBatch). */
  collate?: (samples: unknown[]) => unknown;
  /**
   * What rebuilding the model and reading new inputs needs, as JSON: class names, a vocabulary,
   * feature scaling… Saved in the checkpoint; eval/predict pass it back to data() and model().
   */
  meta: M;
  /** Where the data came from, one line (log and report). */
  source: string;
}

/** What a task's functions see of the run. */
export interface TaskContext<M extends Json = Json> {
  options: Options;
  meta: M;
  log(line: string): void;
}

/** A reference point computed by the same command on the same test set with the same metrics. */
export interface Baseline {
  /** Short name ('majority class', 'unigram', 'mean rating'). */
  name: string;
  /** One sentence: how it predicts. */
  about: string;
  /** A model (often without parameters) whose outputs evalStep and the metrics read like the task's models. */
  model: nb.nn.Module;
}

/**
 * A reference point that learns: this task trained again by the same command, with a few options
 * changed — the same model without augmentation, a frame classifier (`model: 'frames'`), a smaller
 * network. The CLI trains it after the model with the same fit(), data, steps, schedule and
 * checkpoints (in `--out`/baseline-NAME/, so `nabla eval` reproduces its number and `--resume`
 * continues it), then tests its best weights with the task's metrics beside the fixed baselines.
 */
export interface TrainedBaseline {
  /** Short name ('no augmentation', 'frame classifier'); also names its folder. */
  name: string;
  /** One sentence: what differs from the model. */
  about: string;
  /** The options that differ from the run's (flag names, as parsed: {augment: false}, {model: 'frames'}). */
  options: Options;
}

/** Which split a loader reads. */
export type SplitName = 'train' | 'val' | 'test';

/** The task's look at the test set: lines for `nabla eval`, an HTML section for report.html. */
export interface Inspection {
  /** Printed by `nabla eval` after the metrics (tables, confusion matrix…). */
  lines: string[];
  /** A report section: HTML fragments (h2, tables, inline SVG, data: images); no scripts, nothing from the network. */
  html: string;
}

/** Sees every test batch's output and target (as evaluate()'s onBatch) and makes an Inspection. */
export interface Inspector {
  update(output: nb.Tensor | undefined, target: nb.Tensor | undefined, batch: unknown): void;
  finish(): Inspection;
}

/** An extra command on a trained model: `nabla <verb> CHECKPOINT args…` (predict, generate, translate, recommend, explain). */
export interface Verb<M extends Json = Json> {
  summary: string;
  /** After `nabla <verb> CHECKPOINT`, e.g. 'image.png…' or '[--length N]'. */
  usage: string;
  flags: Record<string, FlagSpec>;
  run(a: VerbArgs<M>): Promise<number> | number;
}

export interface VerbArgs<M extends Json = Json> {
  /** The checkpoint's model in eval mode. */
  model: nb.nn.Module;
  /** The options and meta of the run that trained it. */
  ctx: TaskContext<M>;
  /** This verb's flags, parsed. */
  flags: Options;
  /** The positional arguments after the checkpoint. */
  args: string[];
  checkpoint: string;
  log(line: string): void;
}

export interface Task<M extends Json = Json> {
  /** The positional argument of `nabla train NAME` and the `task` saved in checkpoints. */
  name: string;
  /** One line for `nabla --help`. */
  summary: string;
  /** Whether a positional argument that is not a task name is this task's input (a .csv file, an image folder). */
  claims?(arg: string): boolean;
  /** The task's own flags. */
  flags: Record<string, FlagSpec>;
  /** Which of the task's flags `nabla eval` accepts (e.g. where the data is); default none. */
  evalFlags?: readonly string[];
  /** Defaults of common flags for this task (the first model is the default --model otherwise). */
  defaults?: Partial<Record<CommonFlag, string | number | boolean>>;
  /** --model choices: name → one line. */
  models: Record<string, string>;
  /** Checks across flags beyond each flag's spec; throw UsageError (from cli/args) with the flag's name. */
  check?(options: Options): void;
  /** Loads the splits; with `meta` (eval, predict, resume) it must read the data the way that meta says. */
  data(options: Options, io: TaskIO, meta?: M): Promise<TaskData<M>> | TaskData<M>;
  /** Builds the network `--model name` names (the weights come from init or a checkpoint). */
  model(name: string, ctx: TaskContext<M>): nb.nn.Module;
  /** A training step's loss (and output/target for the metrics). Default: cross-entropy of model(x) against y. */
  trainStep?(model: nb.nn.Module, batch: unknown, ctx: TaskContext<M>): nb.train.StepResult;
  /** The same for validation, test and baselines, under noGrad in eval mode. Default: trainStep's default. */
  evalStep?(model: nb.nn.Module, batch: unknown, ctx: TaskContext<M>): nb.train.StepResult;
  /** Fresh metric accumulators (called for training, validation and test). Default: accuracy. */
  metrics?(ctx: TaskContext<M>): nb.train.Metric[];
  /** How a metric's value is shown (default: percent for accuracy-like names, else 4 decimals). */
  formatMetric?(name: string, value: number): string;
  /** Batch size of validation, test and baselines (default: --batch-size). */
  evalBatchSize?: number;
  /** The log key that picks best.safetensors and --patience: default the first metric on validation ('valAccuracy'), else 'valLoss'. */
  monitor?: string;
  /** Reference points evaluated on the test set beside the model (majority class, unigram, mean…). */
  baselines?(data: TaskData<M>, ctx: TaskContext<M>): Baseline[];
  /** Reference points that are trained by the same command (see TrainedBaseline); `ctx` is the model's run. */
  trainedBaselines?(ctx: TaskContext<M>): TrainedBaseline[];
  /**
   * Which samples batch together in a split, e.g. `new nb.data.BucketBatchSampler(lengths, {batchSize,
   * shuffle: split === 'train'})` so that clips or sentences of similar length share a batch (less
   * padding). Absent or null: runs of `batchSize` samples, shuffled for train. The train loader's
   * stream is seeded by --seed and saved in checkpoints, so the sampler's draws replay on --resume.
   * `batchSize` is --batch-size for train, evalBatchSize (or --batch-size) for val and test.
   */
  batchSampler?(split: SplitName, data: TaskData<M>, batchSize: number, ctx: TaskContext<M>): nb.data.BatchSampler | null;
  /**
   * The task's test-set analysis for `nabla eval` and the report (confusion matrix, examples,
   * samples…); `model` (the one being tested, in eval mode) is there for sections that run it again,
   * such as explanations (nb.explain).
   */
  inspector?(data: TaskData<M>, ctx: TaskContext<M>, model?: nb.nn.Module): Inspector;
  /** One input batch for the model summary's output shapes (optional). */
  exampleInput?(data: TaskData<M>, ctx: TaskContext<M>): nb.Tensor;
  /** Extra commands on a trained model, by name ('predict', 'generate' …). */
  verbs?: Record<string, Verb<M>>;
}
