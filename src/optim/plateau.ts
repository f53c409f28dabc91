// ReduceLROnPlateau (PyTorch's): multiplies the LR by `factor` when a metric has stopped improving
// for `patience` epochs (relative or absolute threshold, cooldown, per-group minimum LR).

import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from './optimizer.js';
import { checkOptions } from '../options.js';

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

export class ReduceLROnPlateau {
  readonly name = 'ReduceLROnPlateau';
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(readonly optimizer: Optimizer, opts: PlateauOptions = {}) {
    const n = this.name;
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new TypeError(`${n}: the first argument must be an Optimizer`);
    checkOptions(n, opts, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    this.factor = opts.factor ?? 0.1;
    if (!(this.factor < 1)) throw new RangeError(`${n}: factor must be < 1, got ${this.factor}`);
    this.mode = opts.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`${n}: mode must be 'min' or 'max', got '${String(this.mode)}'`);
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new Error(`${n}: thresholdMode must be 'rel' or 'abs', got '${String(this.thresholdMode)}'`);
    this.patience = opts.patience ?? 10;
    this.threshold = opts.threshold ?? 1e-4;
    this.cooldown = opts.cooldown ?? 0;
    this.eps = opts.eps ?? 1e-8;
    const groups = optimizer.paramGroups;
    if (Array.isArray(opts.minLr)) {
      if (opts.minLr.length !== groups.length) throw new Error(`${n}: expected ${groups.length} minLr values (one per param group), got ${opts.minLr.length}`);
      this.minLrs = [...opts.minLr];
    } else this.minLrs = groups.map(() => (opts.minLr as number | undefined) ?? 0);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = groups.map((g) => g.lr);
  }

  /** Records this epoch's metric (a number or a one-element tensor) and reduces the LR if it has plateaued. */
  step(metric: number | Tensor): void {
    const current = typeof metric === 'number' ? metric : metric.item();
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    const { mode, factor, patience, threshold, thresholdMode, cooldown, minLrs, eps, best, numBadEpochs, cooldownCounter, lastEpoch, lastLr } = this;
    return { mode, factor, patience, threshold, thresholdMode, cooldown, minLrs: [...minLrs], eps, best, numBadEpochs, cooldownCounter, lastEpoch, lastLr: [...lastLr] };
  }

  loadStateDict(sd: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(sd)) {
      if (!(k in this)) throw new Error(`${this.name}.loadStateDict: unknown key '${k}'`);
      (this as unknown as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
    }
    // JSON writes ±Infinity (the initial best) as null.
    if (this.best === null) this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
}
