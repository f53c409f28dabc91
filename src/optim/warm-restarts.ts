// CosineAnnealingWarmRestarts (SGDR, PyTorch's): cosine from the base LR down to etaMin over t0
// epochs, then a restart, each period tMult times the last; step(epoch) takes fractional epochs.

import type { Optimizer } from './optimizer.js';
import { LRScheduler } from './lr-scheduler.js';
import { checkOptions } from '../options.js';

export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tI: number;
  tMult: number;
  etaMin: number;
  tCur: number;

  constructor(optimizer: Optimizer, opts: { t0: number; tMult?: number; etaMin?: number; lastEpoch?: number }) {
    const n = 'CosineAnnealingWarmRestarts';
    checkOptions(n, opts, ['t0', 'tMult', 'etaMin', 'lastEpoch']);
    super(n, optimizer);
    const t0 = opts?.t0, tMult = opts?.tMult ?? 1;
    if (typeof t0 !== 'number' || !Number.isInteger(t0) || t0 <= 0) throw new RangeError(`${n}: t0 (epochs before the first restart) must be a positive integer, got ${String(t0)}`);
    if (typeof tMult !== 'number' || !Number.isInteger(tMult) || tMult < 1) throw new RangeError(`${n}: tMult must be an integer ≥ 1, got ${String(tMult)}`);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = opts.etaMin ?? 0;
    this.tCur = opts.lastEpoch ?? -1;
    this.init(opts.lastEpoch ?? -1);
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  /** Advances one epoch, or jumps to `epoch` (which may be fractional: epoch + batch / batches). */
  override step(epoch?: number): void {
    this.stepCount++;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      if (typeof epoch !== 'number' || !(epoch >= 0)) throw new RangeError(`${this.name}: expected a non-negative epoch, got ${String(epoch)}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) this.tCur = epoch % this.t0;
        else {
          const k = Math.trunc(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** k - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** k;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.getLr();
    this.groups.forEach((g, i) => (g.lr = values[i]!));
    this.lastLr = this.groups.map((g) => g.lr);
  }
}
