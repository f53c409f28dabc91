// CyclicLR (PyTorch's): the LR cycles between baseLr and maxLr (triangular, triangular2, exp_range
// or a custom scale), stepped after every batch, with momentum (or Adam's β1) cycling the other way.

import type { Optimizer } from './optimizer.js';
import { LRScheduler } from './lr-scheduler.js';
import { checkOptions } from '../options.js';

export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range' | 'expRange';

export interface CyclicLROptions {
  /** the lower LR of the cycle, per group or for all */
  baseLr: number | number[];
  /** the upper LR of the cycle (the amplitude is maxLr − baseLr, scaled by the mode) */
  maxLr: number | number[];
  /** batches in the rising half of a cycle (default 2000) */
  stepSizeUp?: number;
  /** batches in the falling half (default stepSizeUp) */
  stepSizeDown?: number | null;
  /** 'triangular' (default), 'triangular2' (amplitude halved each cycle) or 'exp_range' (γ^iteration) */
  mode?: CyclicMode;
  /** the base of 'exp_range' (default 1) */
  gamma?: number;
  /** a custom amplitude scale in [0, 1] (then mode is ignored) */
  scaleFn?: (x: number) => number;
  /** what scaleFn is given: the cycle number (default) or the iteration */
  scaleMode?: 'cycle' | 'iterations';
  /** cycle momentum (β1 for Adam-like optimizers) inversely to the LR (default true) */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  lastEpoch?: number;
}

const OPTIONS = ['baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma', 'scaleFn', 'scaleMode', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'lastEpoch'];

export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: 'triangular' | 'triangular2' | 'exp_range';
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  useBeta1 = false;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  /** a custom scale is code: it is not in the state dict, and stays as constructed */
  readonly scaleFn: ((x: number) => number) | null;

  constructor(optimizer: Optimizer, opts: CyclicLROptions) {
    const n = 'CyclicLR';
    checkOptions(n, opts, OPTIONS);
    super(n, optimizer);
    const o = opts ?? ({} as CyclicLROptions);
    const groups = optimizer.paramGroups;
    const perGroup = (what: string, v: unknown, dflt?: number): number[] => {
      const vs = Array.isArray(v) ? v : v === undefined && dflt !== undefined ? groups.map(() => dflt) : groups.map(() => v);
      if (vs.length !== groups.length) throw new Error(`${n}: expected ${groups.length} values for ${what} (one per param group), got ${vs.length}`);
      vs.forEach((x) => {
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`${n}: ${what} must be a finite number (or one per param group), got ${String(x)}`);
      });
      return vs as number[];
    };
    const lastEpoch = o.lastEpoch ?? -1;
    const baseLrs = perGroup('baseLr', o.baseLr);
    if (lastEpoch === -1) groups.forEach((g, i) => (g.lr = baseLrs[i]!));
    this.maxLrs = perGroup('maxLr', o.maxLr);
    const up = o.stepSizeUp ?? 2000;
    const down = o.stepSizeDown ?? up;
    for (const [what, v] of [['stepSizeUp', up], ['stepSizeDown', down]] as const) {
      if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`${n}: ${what} must be a number > 0, got ${String(v)}`);
    }
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    const mode = o.mode === 'expRange' ? 'exp_range' : (o.mode ?? 'triangular');
    if (mode !== 'triangular' && mode !== 'triangular2' && mode !== 'exp_range' && o.scaleFn === undefined) {
      throw new Error(`${n}: mode must be 'triangular', 'triangular2' or 'exp_range' (or give a scaleFn), got '${String(o.mode)}'`);
    }
    this.mode = mode;
    this.gamma = o.gamma ?? 1;
    if (o.scaleFn !== undefined && typeof o.scaleFn !== 'function') throw new TypeError(`${n}: scaleFn must be a function, got ${String(o.scaleFn)}`);
    this.scaleFn = o.scaleFn ?? null;
    this.scaleMode = this.scaleFn ? (o.scaleMode ?? 'cycle') : mode === 'exp_range' ? 'iterations' : 'cycle';
    if (this.scaleMode !== 'cycle' && this.scaleMode !== 'iterations') throw new Error(`${n}: scaleMode must be 'cycle' or 'iterations', got '${String(this.scaleMode)}'`);
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (this.cycleMomentum) {
      const d = optimizer.defaults;
      if (!('momentum' in d) && !('betas' in d)) {
        throw new Error(`${n}: cycleMomentum needs an optimizer with momentum or betas (${optimizer.name} has neither); pass cycleMomentum: false`);
      }
      this.useBeta1 = 'betas' in d;
      const baseM = perGroup('baseMomentum', o.baseMomentum, 0.8);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (this.useBeta1) g.betas = [baseM[i]!, (g.betas as number[])[1]!];
          else g.momentum = baseM[i]!;
        });
      }
      this.baseMomentums = groups.map((g) => (this.useBeta1 ? (g.betas as number[])[0]! : (g.momentum as number)));
      this.maxMomentums = perGroup('maxMomentum', o.maxMomentum, 0.9);
    }
    this.init(lastEpoch);
    // PyTorch's order: the first step used the groups' initialLr as base; from now on, baseLr.
    this.baseLrs = baseLrs;
  }

  private scale(x: number): number {
    if (this.scaleFn) return this.scaleFn(x);
    if (this.mode === 'triangular') return 1;
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    return this.gamma ** x;
  }

  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const s = this.scale(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i]! - b) * scaleFactor * s);
    if (this.cycleMomentum) {
      this.groups.forEach((g, i) => {
        const m = this.maxMomentums[i]! - (this.maxMomentums[i]! - this.baseMomentums[i]!) * scaleFactor * s;
        if (this.useBeta1) g.betas = [m, (g.betas as number[])[1]!];
        else g.momentum = m;
      });
    }
    return lrs;
  }
}
