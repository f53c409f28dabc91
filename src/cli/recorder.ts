// The CLI's callback on fit(): every step's loss and learning rate, each epoch's logs and time into
// metrics.jsonl; last.safetensors every epoch (and on Ctrl-C), best.safetensors when the monitored
// value improves; --patience. Its state rides in the checkpoint, so a resumed run carries on as one.

import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type * as nb from '../index.js';

type Logs = nb.train.Logs;
type Ctx = nb.train.TrainContext;

export interface StepRecord { type: 'step'; epoch: number; globalStep: number; loss: number; lr: number }
export interface EpochRecord { type: 'epoch'; epoch: number; logs: Logs; seconds: number; samplesPerSec: number }

export interface RecorderOptions {
  metricsPath: string;
  monitor: string;
  mode: 'min' | 'max';
  patience: number;
  /** Writes a checkpoint of the run as it is now ('last' or 'best'). */
  save(which: 'last' | 'best', ctx: Ctx): Promise<void>;
  log(line: string): void;
}

const now = (): number => performance.now() / 1000;

/** JSON has no NaN/Infinity: null. */
export const clean = (logs: Logs): Record<string, number | null> => Object.fromEntries(Object.entries(logs).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));

export class RunRecorder implements nb.train.Callback {
  readonly steps: StepRecord[] = [];
  readonly epochs: EpochRecord[] = [];
  private pending: string[] = [];
  best: number | null = null;
  bestEpoch = 0;
  private sinceBest = 0;
  private stopped = false;
  /** Training seconds of earlier sessions (a resumed run), and of this one since it began. */
  private secondsBefore = 0;
  private sessionStart = now();
  private epochBase = 0;
  private epochT0 = now();
  private epochSamples = 0;

  constructor(private readonly o: RecorderOptions) {}

  /** Training seconds so far, all sessions. */
  get trainSeconds(): number {
    return this.secondsBefore + (now() - this.sessionStart);
  }

  /** Resuming: the records of metrics.jsonl up to where the checkpoint is (later lines were never checkpointed). */
  readBack(globalStep: number, epochsDone: number): void {
    if (!existsSync(this.o.metricsPath)) return;
    const kept: string[] = [];
    for (const line of readFileSync(this.o.metricsPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { type?: string; globalStep?: number; epoch?: number; logs?: Record<string, number | null> };
      if (r.type === 'step' && r.globalStep! <= globalStep) {
        this.steps.push(r as StepRecord);
        kept.push(line + '\n');
      }
      if (r.type === 'epoch' && r.epoch! <= epochsDone) {
        const logs = Object.fromEntries(Object.entries(r.logs ?? {}).map(([k, v]) => [k, v ?? NaN]));
        this.epochs.push({ ...(r as EpochRecord), logs });
        kept.push(line + '\n');
      }
    }
    writeFileSync(this.o.metricsPath, kept.join(''));
  }

  state(): nb.train.JsonValue {
    return {
      best: this.best, bestEpoch: this.bestEpoch, sinceBest: this.sinceBest, stopped: this.stopped,
      trainSeconds: this.trainSeconds, epochSeconds: this.epochBase + (now() - this.epochT0), epochSamples: this.epochSamples,
    };
  }

  loadState(s: nb.train.JsonValue): void {
    const o = s as { best: number | null; bestEpoch: number; sinceBest: number; stopped: boolean; trainSeconds: number; epochSeconds: number; epochSamples: number };
    Object.assign(this, { best: o.best, bestEpoch: o.bestEpoch, sinceBest: o.sinceBest, stopped: o.stopped, secondsBefore: o.trainSeconds, epochBase: o.epochSeconds, epochSamples: o.epochSamples });
    this.sessionStart = now();
  }

  onTrainBegin(ctx: Ctx): void {
    this.sessionStart = now();
    if (this.stopped) ctx.stopTraining = true; // resuming a run that had stopped early: nothing more to train
  }

  onEpochBegin(): void {
    this.epochT0 = now();
  }

  onBatchEnd(_step: number, logs: Logs, ctx: Ctx): void {
    this.epochSamples += logs.batchSize ?? 0;
    const r: StepRecord = { type: 'step', epoch: ctx.epoch + 1, globalStep: ctx.globalStep, loss: logs.batchLoss!, lr: logs.lr! };
    this.steps.push(r);
    this.pending.push(JSON.stringify(r) + '\n');
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: Ctx): Promise<void> {
    const seconds = this.epochBase + (now() - this.epochT0);
    const rec: EpochRecord = { type: 'epoch', epoch: epoch + 1, logs: { ...logs }, seconds, samplesPerSec: this.epochSamples / seconds };
    this.epochs.push(rec);
    this.pending.push(JSON.stringify({ ...rec, logs: clean(rec.logs) }) + '\n');
    this.epochBase = 0;
    this.epochSamples = 0;
    this.epochT0 = now();
    const v = logs[this.o.monitor];
    if (typeof v !== 'number') throw new Error(`train: the task monitors '${this.o.monitor}', which the epoch's logs have not (they have: ${Object.keys(logs).join(', ')})`);
    const improved = this.best === null || (this.o.mode === 'max' ? v > this.best : v < this.best);
    if (improved) {
      this.best = v;
      this.bestEpoch = epoch + 1;
      this.sinceBest = 0;
    } else {
      this.sinceBest++;
    }
    if (this.o.patience > 0 && this.sinceBest >= this.o.patience && epoch + 1 < ctx.epochs) {
      this.stopped = true;
      ctx.stopTraining = true;
      ctx.log(`early stopping: ${this.o.monitor} has not improved for ${this.o.patience} epoch(s) (best ${this.best} at epoch ${this.bestEpoch})`);
    }
    this.flush();
    await this.o.save('last', ctx);
    if (improved) await this.o.save('best', ctx);
  }

  async onTrainEnd(ctx: Ctx): Promise<void> {
    if (!ctx.interrupted) return;
    this.flush();
    await this.o.save('last', ctx);
  }

  private flush(): void {
    if (this.pending.length) appendFileSync(this.o.metricsPath, this.pending.join(''));
    this.pending = [];
  }
}
