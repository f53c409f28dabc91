// Baselines that learn (Task.trainedBaselines): after the model, `nabla train` trains each one — the
// same task with a few options changed — by the same runFit() into --out/baseline-NAME/, and tests its
// best weights with the task's metrics. Its folder is a run of its own: `nabla eval` reproduces its
// number, and `--resume` of the main run continues a baseline that Ctrl-C stopped.

import { existsSync, mkdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nb from '../index.js';
import { loadCheckpoint } from '../node.js';
import { commonFlags, RUN_ONLY_FLAGS } from './options.js';
import type { AnyTask } from '../tasks/index.js';
import type { Options, TrainedBaseline } from '../tasks/task.js';
import { runConfigOf, savedOptions } from './run-config.js';
import { clean } from './recorder.js';
import { stepFns } from './finish.js';
import { runFit, stoppedWhere, type FitRun } from './run-fit.js';
import type { BaselineResult } from './report.js';
import { duration } from './report.js';
import { metricFormatter, metricsLine } from './runtime.js';

/** Folders of trained baselines inside --out start with this. */
export const BASELINE_DIR_PREFIX = 'baseline-';

/** 'no augmentation' → 'baseline-no-augmentation'. */
export function baselineDir(out: string, name: string): string {
  return join(out, BASELINE_DIR_PREFIX + (name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'run'));
}

/** The run's options with the baseline's changes, each checked against the flag it names (a task's mistake, so Error, not UsageError). */
export function baselineOptions(task: AnyTask, o: Options, b: TrainedBaseline): Options {
  const specs = { ...commonFlags(task), ...task.flags };
  const where = `task ${task.name}: trained baseline '${b.name}'`;
  for (const [k, v] of Object.entries(b.options)) {
    const spec = specs[k];
    if (!spec || RUN_ONLY_FLAGS.has(k)) throw new Error(`${where} sets '${k}', which is not a flag that changes what a run computes`);
    const ok = spec.type === 'int' ? Number.isInteger(v) : spec.type === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === spec.type;
    if (!ok) throw new Error(`${where} sets --${k} to ${JSON.stringify(v)}, not a${spec.type === 'int' ? 'n integer' : ` ${spec.type}`}`);
    if (spec.choices && !spec.choices.includes(v as string)) throw new Error(`${where} sets --${k} to '${String(v)}' (choices: ${spec.choices.join(', ')})`);
  }
  const merged = { ...o, ...b.options };
  task.check?.(merged);
  return merged;
}

const sameOptions = (a: Record<string, unknown>, b: Record<string, unknown>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);

/**
 * Trains and tests the task's trained baselines after the model's run. `resuming`: continue a
 * baseline run found in its folder (the main run was resumed). Returns their test results, or
 * `interrupted` when Ctrl-C stopped one (its last.safetensors is saved).
 */
export async function trainBaselines(run: FitRun, out: string, resuming: boolean, log: (s: string) => void): Promise<{ results: BaselineResult[]; interrupted: boolean }> {
  const { task } = run;
  const results: BaselineResult[] = [];
  const fmt = metricFormatter(task);
  for (const b of task.trainedBaselines?.(run.ctx) ?? []) {
    const dir = baselineDir(out, b.name);
    const o: Options = { ...baselineOptions(task, run.ctx.options, b), out: dir, resume: false, force: false };
    mkdirSync(dir, { recursive: true });
    const last = join(dir, 'last.safetensors');
    let resumeFrom: Parameters<typeof runFit>[0]['resumeFrom'];
    if (resuming && existsSync(last)) {
      const ck = await loadCheckpoint(last);
      const config = runConfigOf(ck.config, last);
      const want = savedOptions(Object.fromEntries(Object.entries(o).filter(([k]) => !RUN_ONLY_FLAGS.has(k))));
      if (config.task !== task.name || !sameOptions(config.options, want)) {
        throw new Error(`${last}: this baseline run was configured differently (${JSON.stringify(config.options)}) from the baseline '${b.name}' now (${JSON.stringify(want)}); delete ${dir} to train it again`);
      }
      resumeFrom = { path: last, ck, config };
    }
    const changes = Object.entries(b.options).map(([k, v]) => (v === true ? `--${k}` : v === false ? `--no-${k}` : `--${k} ${String(v)}`)).join(' ');
    log(`baseline '${b.name}' (${b.about}): the same command with ${changes}, into ${dir}`);
    const r = await runFit({ task, o, out: dir, resumeFrom, started: resumeFrom ? new Date(resumeFrom.config.started) : new Date(), label: `baseline '${b.name}': `, log });
    if (r.stoppedAt) {
      log(`interrupted the baseline '${b.name}' ${stoppedWhere(r.stoppedAt, r.train.length)} (the model's run in ${out} is complete); saved ${r.paths.last}; continue with: nabla train --out ${out} --resume`);
      return { results, interrupted: true };
    }
    const e0 = performance.now();
    nb.train.restoreTraining(await loadCheckpoint(r.paths.best), r.model, undefined, r.paths.best);
    const logs = await nb.train.evaluate(r.model, r.test, { step: stepFns(task, r.ctx).eval, metrics: r.metrics() });
    appendFileSync(r.paths.metrics, JSON.stringify({ type: 'test', epoch: r.recorder.bestEpoch, logs: clean(logs) }) + '\n');
    const seconds = r.recorder.trainSeconds + (performance.now() - e0) / 1000;
    const names = r.metrics().map((m) => m.name);
    log(`baseline '${b.name}': test ${metricsLine(names, logs, fmt)} with its best checkpoint (epoch ${r.recorder.bestEpoch}) · ${duration(seconds)}`);
    results.push({
      name: b.name, logs, seconds,
      about: `${b.about.replace(/\.?$/, '.')} Trained by this command (${changes}; ${duration(seconds)}); weights of its best epoch (${r.recorder.bestEpoch}) in ${r.paths.best}.`,
    });
  }
  return { results, interrupted: false };
}
